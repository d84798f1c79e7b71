"""gunicorn settings for `make serve` (and the tests that serve the app)."""
