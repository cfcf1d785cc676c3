"""`trainer backup PATH`: a consistent snapshot of the database while the app runs and writes.

SQLite: Python's sqlite3 online backup API copies every page inside one read transaction, so
the copy is the database as of one moment even while gunicorn workers go on writing (WAL lets
them). PostgreSQL: `pg_dump -Fc`, which reads everything in one transaction; it imports a snapshot
exported by our own connection, so the row counts printed come from the very state it dumped.

A backup is written to a hidden temporary file beside PATH, checked, and only then renamed to
PATH: a half-written or unreadable backup never sits under the name an office will restore from.
The issuer's signing key is copied beside it (PATH + ".issuer_ed25519.pem", mode 0600) because
the signed credentials (/verify/<token>.json) can only ever be checked against that one key.
Pure apart from the database and the files: no Flask here.
"""
