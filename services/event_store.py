"""The PostgreSQL event store's recorder: eventsourcing's own, with its fixed statements composed once.

eventsourcing keeps the statements every insert runs (the table lock, the insert, the NOTIFY) and the
head query as psycopg ``Composed`` objects, which psycopg turns into bytes again on every execution:
in a profile of ``registerCity`` that was a sixth of the command's own CPU time. The same statements,
rendered once when the recorder is made. Chosen by ``APPLICATION_RECORDER_TOPIC`` (services/storage.py).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composable, Identifier


def _rendered(statement: Any) -> Any:
    return statement.as_bytes(None) if isinstance(statement, Composable) else statement


class CitynetRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = _rendered(self.insert_events_statement)
        self.lock_table_statements = [_rendered(s) for s in self.lock_table_statements]
        self.max_notification_id_statement = _rendered(self.max_notification_id_statement)
        self._notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes(None)

    def _notify_channel(self, curs: Any) -> None:
        curs.execute(self._notify_statement)
