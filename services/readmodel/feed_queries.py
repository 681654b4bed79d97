"""When records last changed, from the event log: what calendar feeds stamp and validate against."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from citynet.services.readmodel.tables import event_log


async def last_changes(engine: AsyncEngine, ids: Iterable[str]) -> dict[str, datetime]:
    """The time of the last recorded event of each aggregate (absent: none projected yet)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    statement = (select(event_log.c.originator_id, func.max(event_log.c.recorded_at).label("at"))
                 .where(event_log.c.originator_id.in_(wanted)).group_by(event_log.c.originator_id))
    async with engine.connect() as conn:
        rows = (await conn.execute(statement)).all()
    return {r.originator_id: datetime.fromisoformat(r.at) for r in rows}
