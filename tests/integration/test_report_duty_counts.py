"""The periodic reports carry the duties' counts per region (issue #19): inspections recorded and overdue,
officers behind, campaigns open / closed and explanations owed, at the daily period's boundaries
(15:00 Asia/Shanghai), from events written through the real event store on real PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import SYSTEM, Actor, Role
from domain.campaign.model import Launched, OverdueExplained, OverdueHazard, OverdueListed
from domain.timecalc import CN_TZ
from starter.api.report_routes import _scoped as scoped_report
from store.db import make_engine
from store.duty_counts import DUTY_FIELDS
from store.events import NewEvent, append, head
from store.reports import compute_report, to_csv_rows
from workflows.reports import period

RUN = datetime(2026, 7, 10, 15, 0, tzinfo=CN_TZ)  # the daily run: period [07-09 15:00, 07-10 15:00)
START = RUN - timedelta(days=1)
JUST_BEFORE = timedelta(seconds=-1)


async def put(
    conn: AsyncConnection, stream: str, kind: str, at: datetime, type_: str, data: dict[str, Any]
) -> None:
    version, _ = await head(conn, stream)
    await append(
        conn,
        stream_id=stream,
        kind=kind,
        expected_version=version,
        new=[NewEvent(type=type_, data={"type": type_, **data})],
        actor=SYSTEM.model_dump(mode="json"),
        occurred_at=at,
        policy_id="cn-national",
        policy_version="t",
        command_id=None,
    )


async def campaign(
    conn: AsyncConnection, cid: str, regions: list[str], events: list[tuple[datetime, Any]]
) -> None:
    launched = Launched(
        id=cid,
        title="大排查",
        region="500100",
        regions=regions,
        industries=[],
        starts_on=datetime(2026, 7, 1).date(),
        deadline=datetime(2026, 7, 8).date(),
        ends_at=datetime(2026, 7, 9, tzinfo=CN_TZ),
        at=datetime(2026, 7, 1, 9, tzinfo=CN_TZ),
        by="sup-1",
    )
    for at, e in [(launched.at, launched), *events]:
        data = e.model_dump(mode="json")
        await put(conn, cid, "campaign", at, data.pop("type"), data)


async def test_the_daily_report_counts_inspections_officers_and_campaigns_at_its_15_00_bounds(db_url) -> None:
    assert period("daily", RUN.astimezone()) == (START, RUN)
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        ov, rec = "inspection_overdue", "inspection_recorded"
        await put(conn, "IP-A", "inspection", START, ov, {"region": "500107"})  # first instant: in
        await put(conn, "IP-B", "inspection", START + JUST_BEFORE, ov, {"region": "500107"})  # the day before
        await put(conn, "IP-C", "inspection", START - timedelta(days=1), ov, {"region": "500108"})
        await put(
            conn, "IP-C", "inspection", RUN + JUST_BEFORE, rec, {"region": "500108"}
        )  # last instant: in
        await put(conn, "IP-D", "inspection", RUN, rec, {"region": "500108"})  # the next period's
        behind = "officer_behind_noticed"
        await put(conn, "OD-o1-202607", "duty", RUN + JUST_BEFORE, behind, {"region": "500107"})
        await put(conn, "OD-o2-202607", "duty", RUN, behind, {"region": "500107"})
        after_deadline = datetime(2026, 7, 9, 16, tzinfo=CN_TZ)
        owed = [
            OverdueHazard(id="H-1", region="500107", status="rectifying"),
            OverdueHazard(id="H-2", region="500108", status="rectifying"),
        ]
        explained = OverdueExplained(
            hazard_id="H-2", explanation="资金", refer_to_government=False, by="e", by_name="张三", at=RUN
        )
        await campaign(
            conn,
            "C-1",
            ["500107", "500108"],
            [
                (after_deadline, OverdueListed(hazards=owed, at=after_deadline)),
                (RUN + JUST_BEFORE, explained),
            ],
        )
        await campaign(
            conn, "C-2", ["500109"], [(after_deadline, OverdueListed(hazards=[], at=after_deadline))]
        )
        closed_before = START + JUST_BEFORE
        await campaign(
            conn, "C-3", ["500109"], [(closed_before, OverdueListed(hazards=[], at=closed_before))]
        )
        await campaign(conn, "C-4", ["500109"], [])  # launched, still open
        today = await compute_report(conn, "daily", START, RUN)
        yesterday = await compute_report(conn, "daily", START - timedelta(days=1), START)
    await engine.dispose()

    def rows(report: dict[str, Any]) -> dict[str, dict[str, int]]:
        return {r["region"]: {f: r[f] for f in DUTY_FIELDS} for r in report["by_region"]}

    z = dict.fromkeys(DUTY_FIELDS, 0)
    assert rows(today) == {
        "500107": z
        | {
            "inspections_overdue": 1,
            "inspections_overdue_at_end": 2,
            "officers_behind": 1,
            "campaigns_open": 1,
            "campaign_explanations_owed": 1,
        },
        "500108": z | {"inspections_recorded": 1, "campaigns_open": 1},
        "500109": z | {"campaigns_open": 1, "campaigns_closed": 1},
    }
    assert today["totals"]["inspections_overdue_at_end"] == 2
    assert today["totals"]["campaigns_open"] == 3
    by_region = {r["region"]: r for r in today["by_region"]}
    assert by_region["500109"]["new"] == 0 and by_region["500109"]["daily_reports_missed"] == 0
    assert rows(yesterday) == {
        "500107": z | {"inspections_overdue": 1, "inspections_overdue_at_end": 1, "campaigns_open": 1},
        "500108": z | {"inspections_overdue": 1, "inspections_overdue_at_end": 1, "campaigns_open": 1},
        "500109": z | {"campaigns_open": 2, "campaigns_closed": 1},  # C-3 closed a second before 15:00
    }
    csv_rows = to_csv_rows(today)
    header = next(r for r in csv_rows if r[:1] == ["region"])
    row_109 = dict(zip(header, next(r for r in csv_rows if r[:1] == ["500109"]), strict=True))
    assert (row_109["campaigns_open"], row_109["campaigns_closed"]) == (1, 1)
    # a county reader's narrowed totals keep the counts, summed over the rows it sees
    county = scoped_report(today, Actor(id="insp-1", role=Role.inspector, region="500107"))
    assert [r["region"] for r in county["by_region"]] == ["500107"]
    assert (county["totals"]["campaigns_open"], county["totals"]["inspections_overdue_at_end"]) == (1, 2)
    assert county["totals"]["officers_behind"] == 1 and county["totals"]["daily_reports_missed"] == 0
