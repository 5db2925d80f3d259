"""The duties' counts in the periodic reports (issue #19: "the reports carry the new counts";
docs/rules.md#periodic-reports), per region, from the event store only, so a past period regenerates to the
same figures:

- `inspections_recorded`: `inspection_recorded` events in the period (seed 004 二(二), seed 000 日周月);
- `inspections_overdue`: plans marked overdue (`inspection_overdue`) in the period;
- `inspections_overdue_at_end`: plans whose last mark before the period's end is overdue (no inspection
  recorded since);
- `officers_behind`: officers noticed behind their month's duty (`officer_behind_noticed`, seed 001 task 24)
  in the period;
- `campaigns_open` / `campaigns_closed`: campaigns (seed 003) open at the period's end / closed in the
  period, counted in every region of their scope (as launched);
- `campaign_explanations_owed`: hazards open at a campaign's deadline with no written explanation yet at
  the period's end (seed 003 三), counted in the hazard's region.

A region is the one recorded on the event (the plan's, the officer's, the campaign's scope, the hazard's).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.campaign import CAMPAIGN
from domain.campaign.model import CampaignState, Status

DUTY_FIELDS = (
    "inspections_recorded",
    "inspections_overdue",
    "inspections_overdue_at_end",
    "officers_behind",
    "campaigns_open",
    "campaigns_closed",
    "campaign_explanations_owed",
)

_IN_PERIOD = text(
    """
    SELECT data->>'region' AS region,
        count(*) FILTER (WHERE type = 'inspection_recorded') AS inspections_recorded,
        count(*) FILTER (WHERE type = 'inspection_overdue') AS inspections_overdue,
        count(*) FILTER (WHERE type = 'officer_behind_noticed') AS officers_behind
    FROM events
    WHERE kind IN ('inspection', 'duty') AND occurred_at >= :start AND occurred_at < :end
      AND type IN ('inspection_recorded', 'inspection_overdue', 'officer_behind_noticed')
    GROUP BY 1
    """
)
# each plan's last overdue mark or inspection before the end: overdue at the end when it is the mark
_AT_END = text(
    """
    SELECT region, count(*) AS n FROM (
        SELECT DISTINCT ON (stream_id) type, data->>'region' AS region FROM events
        WHERE kind = 'inspection' AND occurred_at < :end
          AND type IN ('inspection_recorded', 'inspection_overdue')
        ORDER BY stream_id, version DESC
    ) last WHERE type = 'inspection_overdue' GROUP BY region
    """
)
_CAMPAIGNS = text(
    """
    SELECT stream_id, occurred_at, data FROM events
    WHERE kind = 'campaign' AND occurred_at < :end ORDER BY stream_id, version
    """
)


async def duty_counts(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Per region: the duties' counts (DUTY_FIELDS) of [start, end); regions with none are absent."""
    out: dict[str, Counter[str]] = {}
    params = {"start": start, "end": end}
    for r in await conn.execute(_IN_PERIOD, params):
        c = out.setdefault(str(r.region), Counter())
        for f in ("inspections_recorded", "inspections_overdue", "officers_behind"):
            c[f] += int(getattr(r, f))
    for r in await conn.execute(_AT_END, params):
        out.setdefault(str(r.region), Counter())["inspections_overdue_at_end"] += int(r.n)
    states: dict[str, CampaignState] = {}
    closed_in_period: set[str] = set()
    for stream_id, occurred_at, data in await conn.execute(_CAMPAIGNS, params):
        before = states.get(stream_id, CAMPAIGN.initial_state())
        after = CAMPAIGN.evolve(before, CAMPAIGN.parse_event(data))
        states[stream_id] = after
        if after.status == Status.closed and before.status != Status.closed and occurred_at >= start:
            closed_in_period.add(stream_id)
    for stream_id, s in states.items():
        if s.status == Status.none:
            continue
        for region in s.regions:
            c = out.setdefault(region, Counter())
            if s.status != Status.closed:
                c["campaigns_open"] += 1
            elif stream_id in closed_in_period:
                c["campaigns_closed"] += 1
        for h in s.owing():
            out.setdefault(h.region, Counter())["campaign_explanations_owed"] += 1
    return {region: {f: c[f] for f in DUTY_FIELDS} for region, c in sorted(out.items()) if any(c.values())}


def merge_counts(
    by_region: list[dict[str, Any]],
    extra: dict[str, dict[str, int]],
    fields: tuple[str, ...],
    empty: dict[str, Any],
) -> list[dict[str, Any]]:
    """The report's rows by region with each region's `extra` counts (zeros where none); a region with
    counts and no row gets a row of its own (`empty`: the other figures at zero)."""
    zero = dict.fromkeys(fields, 0)
    rows = {r["region"]: {**r, **zero, **extra.get(r["region"], {})} for r in by_region}
    for region, c in extra.items():
        rows.setdefault(region, {"region": region, **empty, **zero, **c})
    return [rows[k] for k in sorted(rows)]
