"""Domain errors: what services and jobs raise, with no knowledge of HTTP.

The API maps each to a JSON:API error document in one table (api/exceptions.py)."""

from django import db

# A database that cannot be reached or gave up on a transient conflict (a restart, a failover, a
# lock or serialization timeout): nothing is wrong with the request or the job, so it is retried
# later, not reported as a failure. Nothing was written: requests run in one transaction.
DATABASE_ERRORS = (db.OperationalError, db.InterfaceError)
