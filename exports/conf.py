"""Bulk exports and the Metorial surface (`settings.SKILLPORT`); see core/conf.py."""

from core.conf import AppSettings, Setting


def _records_limit(text: str) -> int | None:
    return int(text) or None  # 0: no limit


DEFAULTS = {
    "EXPORT_MAX_CONCURRENT": Setting(
        5,
        "SKILLPORT_EXPORT_MAX_CONCURRENT",
        "pending + running exports per organization and mode (`429` beyond); 0 = no limit",
    ),
    "EXPORT_MAX_RECORDS": Setting(
        None,
        "SKILLPORT_EXPORT_MAX_RECORDS",
        "records per export (`422` at create when countable, else `interrupted`)",
        parse=_records_limit,
        shown="`0` (none)",
    ),
    "EXPORT_FILE_RETENTION_SECONDS": Setting(
        7 * 24 * 3600,
        "SKILLPORT_EXPORT_FILE_RETENTION",
        "how long export files are kept before the scheduler's `export_files` job deletes them",
        unit="s",
    ),
    "EXPORT_CHUNK_SIZE": Setting(
        2000,
        "SKILLPORT_EXPORT_CHUNK_SIZE",
        "records per block read (and per progress step)",
    ),
    "EXPORT_CHUNK_PAUSE_SECONDS": Setting(
        0.0,
        "SKILLPORT_EXPORT_CHUNK_PAUSE",
        "pause between blocks, to go easy on a busy database (0: full speed)",
        unit="s",
    ),
    "EXPORT_PARALLEL_WORKERS": Setting(
        2,
        "SKILLPORT_EXPORT_PARALLEL_WORKERS",
        "PostgreSQL parallel workers that may build one export's records (`0`: the export's own "
        "backend only); `max_parallel_workers` of the server caps them all",
    ),
    "EXPORT_GZIP_LEVEL": Setting(
        1,
        "SKILLPORT_EXPORT_GZIP_LEVEL",
        "gzip level of export files: 0-3 compress with ISA-L igzip (`isal`; level 1: ~10x zlib's "
        "speed at about its level-6 ratio), 4-9 with zlib; standard gzip either way",
    ),
    "METORIAL_DEFAULT_LIMIT": Setting(
        10,
        "SKILLPORT_METORIAL_DEFAULT_LIMIT",
        "page size of the Metorial-compatible `GET /skill-exports` without `limit`",
    ),
    "METORIAL_MAX_LIMIT": Setting(
        100,
        "SKILLPORT_METORIAL_MAX_LIMIT",
        "largest `limit` of the Metorial-compatible `GET /skill-exports`",
    ),
}
exports_conf = AppSettings("SKILLPORT", DEFAULTS, "Exports")
