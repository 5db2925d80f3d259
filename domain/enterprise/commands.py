"""Enterprise-record commands: the facts its cases tell it (system), and the officers' steps of the
credit listing (decide, publish, remove) and of Art. 113 (四) (a refused stop-work order)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from domain.common import REGION, Line
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed

TEXT = 2000


class OpenRecord(_Body):
    """Creation (system only): the first case of an enterprise that tells the record a fact opens it."""

    type: Literal["open_record"] = "open_record"
    enterprise_id: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=REGION)


class RecordRefusal(_Body):
    """An inspector finds a stop-work / 停产停业整顿 decision not executed (Art. 113 (四))."""

    type: Literal["record_refusal"] = "record_refusal"
    case_id: str = Field(
        min_length=1, max_length=100, description="the case whose stop-work order is refused"
    )
    note: str = Field(min_length=1, max_length=TEXT)


class DecideListing(_Body):
    """列入 (应急管理部令第11号): the authority that imposed the penalty decides (谁处罚、谁决定)."""

    type: Literal["decide_listing"] = "decide_listing"
    listed: bool
    decision_no: Line = Field(default="", max_length=100)
    comment: str = Field(default="", max_length=TEXT)


class RecordPublication(_Body):
    """The listing (or its removal) was published (国家企业信用信息公示系统 and the department's site)."""

    type: Literal["record_publication"] = "record_publication"
    where: Line = Field(min_length=1, max_length=500)


class RequestRemoval(_Body):
    """信用修复: the listed enterprise asks for early removal (after the pack's `credit.repair_after`)."""

    type: Literal["request_removal"] = "request_removal"
    reason: str = Field(min_length=1, max_length=TEXT)


class DecideRemoval(_Body):
    type: Literal["decide_removal"] = "decide_removal"
    approved: bool
    comment: str = Field(default="", max_length=TEXT)


EnterpriseCommand = Annotated[
    OpenRecord
    | RecordRefusal
    | DecideListing
    | RecordPublication
    | RequestRemoval
    | DecideRemoval
    | DeadlineElapsed
    | ChildCaseUpdated,
    Field(discriminator="type"),
]
