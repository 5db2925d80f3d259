"""What the duty sweep workflow and its activity exchange (workflows/duties.py, activities/duties.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class DutySweepResult(BaseModel):
    at: datetime
    inspections_overdue: int
    officers_noticed: int
