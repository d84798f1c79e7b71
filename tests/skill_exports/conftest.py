from tests.exports.conftest import media_root, run_worker  # noqa: F401  (shared fixtures)
