"""Consistent backups of a running install, and their restore into a fresh one.

A backup is a directory: `manifest.json`, the database snapshot (`database.dump` from
`pg_dump -Fc`, or `database.sqlite3` from SQLite's online backup API) and `storage/`, a copy of
every file of the storage (local directory or S3 through Django's storage API) with its listing
`storage.jsonl` (name, size, SHA-256).

The order is what makes a backup taken during writes consistent: the database snapshot FIRST,
then the storage. A stored blob is immutable and named by its content, and it is written before
the row that references it commits (skills/services.py saves the blobs, then the version's rows;
files/services.py saves the file, then its row). So every row in the snapshot has its file in
storage before the copy starts, and the copy, which only ever sees more files, finds it. Files
written after the snapshot are copied too and are harmless: nothing in the restored database
names them. The one exception is a file DELETED between the snapshot and its copy (an export
removed by its owner or by retention): its row comes back `active` without its file, and
`manage.py check_integrity` names it.
"""
