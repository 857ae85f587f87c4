"""What leaves the database file must leave its side files too: after an erase or a purge, SQLite's
write-ahead log still holds the deleted rows' pages until a checkpoint copies them in (where secure_delete
zeroes them) and truncates the log."""

from booking.extensions import db


def fold_write_ahead_log(attempts: int = 5) -> bool:
    """PRAGMA wal_checkpoint(TRUNCATE) after the caller's commit; True once the log is empty (or not SQLite)."""
    if db.engine.dialect.name != "sqlite":
        return True
    for _ in range(attempts):
        with db.engine.connect() as connection:
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
    return False
