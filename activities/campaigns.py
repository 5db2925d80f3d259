"""Campaign activities: at a campaign's deadline, the hazards under it that are still open."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.contracts import CAMPAIGN_OVERDUE, CampaignOverdueInput
from store.campaigns import hazards_under

log = structlog.get_logger("hazardloop.campaigns")


class CampaignActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name=CAMPAIGN_OVERDUE)
    async def campaign_overdue(self, inp: CampaignOverdueInput) -> list[dict[str, object]]:
        async with self.engine.connect() as conn:
            rows = await hazards_under(conn, inp.model_dump(mode="json"), open_only=True)
        found: list[dict[str, object]] = [
            {
                "id": h["id"],
                "enterprise_id": h.get("enterprise_id") or "",
                "region": h["region"],
                "status": h["status"],
                "deadline": h.get("deadline"),
            }
            for h in rows
        ]
        log.info("campaign deadline: open hazards listed", campaign_id=inp.campaign_id, open=len(found))
        return found
