"""Console pages of the duties (docs/rules.md#duties): `/duties` — 包保责任 — shows a supervisor (operator,
auditor) every officer's month in their jurisdiction, who is behind and why, and the overdue inspection
plans; an inspector sees their own month, their 包保 enterprises and the region's overdue plans. The
fragment `/duties/mine` is the officer's own month, loaded into 我的待办. Read-only: assignments and
inspections are recorded through the API and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.actors import Actor, Role
from domain.duties import officers
from domain.duties.inspections import COLOUR_ZH
from starter.console.routes import _lang, _signed_in, render
from store import duties

BOARD_READERS = frozenset({Role.supervisor, Role.operator, Role.auditor})
WORDS = {
    "zh": {
        "title": "包保责任",
        "mine": "我的包保履职",
        "officer": "责任人",
        "inspected": "检查挂牌企业",
        "pushed": "督促整改隐患",
        "solved": "协调解决问题",
        "uncovered": "半年未覆盖",
        "behind": "未达标",
        "on_track": "达标",
        "noticed": "已提醒",
        "overdue_plans": "逾期未检查企业",
        "enterprises": "包保企业",
        "colour": "风险等级",
        "due": "应检查时间",
        "none": "暂无",
        "month": "月份",
    },
    "en": {
        "title": "Officer duty",
        "mine": "My officer duty",
        "officer": "Officer",
        "inspected": "Enterprises inspected",
        "pushed": "Hazards pushed",
        "solved": "Problems solved",
        "uncovered": "Not covered in half a year",
        "behind": "Behind",
        "on_track": "On track",
        "noticed": "Notified",
        "overdue_plans": "Inspections overdue",
        "enterprises": "Assigned enterprises",
        "colour": "Risk colour",
        "due": "Due",
        "none": "None",
        "month": "Month",
    },
}


async def _own(request: Request, actor: Actor, month: str, now: datetime) -> dict[str, Any]:
    st = request.app.state
    async with st.engine.connect() as conn:
        rows = await duties.month_progress(conn, st.policy, month, now, officer_id=actor.id)
        listed = await duties.assignments_of(conn, actor.id)
        noticed = await duties.behind_noticed(conn, actor.id, month)
    return {"mine": rows[0][1] if rows else None, "listed": listed, "noticed": noticed}


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/duties")
    async def board(request: Request, month: str = "") -> Response:
        actor = _signed_in(request)
        lang = _lang(request)
        now = datetime.now(UTC)
        m = month if month and _valid_month(month) else officers.month_of(now)
        st = request.app.state
        ctx: dict[str, Any] = {"w": WORDS[lang], "month": m, "board": None, "mine": None, "listed": []}
        ctx["colours"] = {c.value: f"{z}色" for c, z in COLOUR_ZH.items()}
        if actor.role in BOARD_READERS:
            async with st.engine.connect() as conn:
                ctx["board"] = [
                    p for _, p in await duties.month_progress(conn, st.policy, m, now, scope=actor.region)
                ]
        elif actor.role == Role.inspector:
            ctx |= await _own(request, actor, m, now)
        else:
            return render(request, "error.html", {"message": WORDS[lang]["title"] + ": 403"}, status=403)
        async with st.engine.connect() as conn:
            ctx["overdue"] = await duties.list_plans(conn, actor.region, overdue=True, limit=100)
        return render(request, "duties.html", ctx)

    @r.get("/duties/mine")
    async def mine(request: Request) -> Response:
        actor = _signed_in(request)
        now = datetime.now(UTC)
        m = officers.month_of(now)
        ctx: dict[str, Any] = {"w": WORDS[_lang(request)], "month": m, "mine": None, "noticed": False}
        if actor.role == Role.inspector:
            ctx |= await _own(request, actor, m, now)
        return render(request, "duties_mine.html", ctx)

    return r


def _valid_month(month: str) -> bool:
    return re.fullmatch(officers.MONTH_PATTERN.strip("^$"), month) is not None
