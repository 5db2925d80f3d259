"""推演 — what happens if nobody acts: a case's pending deadlines folded through its own rules.

Pure: the decider decides each owed deadline as the system would when it falls due
(`decide(state, DeadlineElapsed, Context(actor=SYSTEM, now=due_at, policy))`), `evolve` folds the events
in, and the next owed deadline is taken, until the case rests (no deadline owed) or a bound is hit. No
server, no history, no store is touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.actors import SYSTEM
from domain.decider import Context, Deadline, DeadlineElapsed, Decider, Notice
from domain.policy import PolicyPack

MAX_STEPS = 60
HORIZON = timedelta(days=400)


class ForecastStep(BaseModel):
    """One deadline falling due with nobody acting: what the rules record and whom they tell."""

    model_config = ConfigDict(frozen=True)
    n: int
    at: datetime
    key: str
    clock: str
    events: list[dict[str, Any]]
    notices: list[Notice]
    status_before: str
    status_after: str
    overdue_after: bool


class Forecast(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_id: str
    steps: list[ForecastStep]
    ends: Literal["rests", "max_steps", "horizon", "stuck"]
    status_at_end: str
    still_owed: list[Deadline]


def forecast(
    decider: Decider[Any, Any, Any],
    state: Any,
    policy: PolicyPack,
    case_id: str,
    *,
    max_steps: int = MAX_STEPS,
    horizon: timedelta = HORIZON,
) -> Forecast:
    """Fold `state`'s owed deadlines, earliest first, until none is owed, `max_steps` steps were taken,
    the next one lies beyond `horizon` after the first, or a deadline would not be discharged (a broken
    decider invariant: reported as `stuck` rather than looping)."""
    steps: list[ForecastStep] = []
    owed = decider.deadlines(state)
    start = owed[0].due_at if owed else None
    ends: Literal["rests", "max_steps", "horizon", "stuck"] = "rests"
    while owed:
        d = owed[0]
        if len(steps) >= max_steps:
            ends = "max_steps"
            break
        if start is not None and d.due_at - start > horizon:
            ends = "horizon"
            break
        ctx = Context(actor=SYSTEM, now=d.due_at, policy=policy, case_id=case_id)
        before_status = decider.index(state).status
        events = decider.decide(state, DeadlineElapsed(key=d.key, due_at=d.due_at), ctx)
        notices: list[Notice] = []
        for e in events:
            after = decider.evolve(state, e)
            notices.extend(decider.notices(state, e, after))
            state = after
        nxt = decider.deadlines(state)
        if any(x.key == d.key and x.due_at == d.due_at for x in nxt):
            ends = "stuck"
            break
        idx = decider.index(state)
        steps.append(
            ForecastStep(
                n=len(steps) + 1,
                at=d.due_at,
                key=d.key,
                clock=d.kind,
                events=[e.model_dump(mode="json") for e in events],
                notices=notices,
                status_before=before_status,
                status_after=idx.status,
                overdue_after=idx.overdue,
            )
        )
        owed = nxt
    return Forecast(
        case_id=case_id,
        steps=steps,
        ends=ends,
        status_at_end=decider.index(state).status,
        still_owed=owed,
    )
