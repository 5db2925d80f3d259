"""The daily-report sweep's activity input and output: pure pydantic models, imported by the sweep
workflow through the pass-through."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.duties.daily import DailyReportRule
from domain.policy import PolicyPack, PolicyRef


class DailySweepInput(BaseModel):
    """What the 15:00 schedule starts the sweep with: the pack in force (pinned, like a case's) and,
    to sweep a given day (tests, a catch-up), that day; by default the China day of the run."""

    model_config = ConfigDict(frozen=True)
    policy: PolicyPack
    day: date | None = None
    batch: int = Field(default=1000, ge=1, le=10_000)


class SweepBatchInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule: DailyReportRule
    policy: PolicyRef
    day: date
    after: str = ""
    limit: int = 1000


class SweepBatchResult(BaseModel):
    missed: int
    notices: int
    next_after: str | None = Field(description="the cursor of the next batch; None: the sweep is done")


class DailySweepResult(BaseModel):
    day: date
    owed: bool = Field(description="False: not a working day, or the pack sets no daily report")
    missed: int = 0
    notices: int = 0
    batches: int = 0
