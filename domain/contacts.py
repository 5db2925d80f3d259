"""The responsibility registry's rules (docs/rules.md#notifications): which roles a party has, and what
a registered person must give. An enterprise has the 三个责任人 (administrative, supervisory,
enterprise) and the 三个层级负责人 (management, technical, operations; major-risk enterprises); a
region has its duty officers, who receive escalations, and the departments of 联合惩戒 (role
`department:<code>`, the code of the pack's `credit.joint_punishment`: 市场监管部门 is
`department:market_regulation`), who receive a credit listing of an enterprise of the region and its
removal (发改财金〔2016〕1001号)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.common import REGION

ENTERPRISE_RESPONSIBLE = ("administrative", "supervisory", "enterprise")  # 三个责任人
ENTERPRISE_LEVELS = ("management", "technical", "operations")  # 三个层级负责人 (major-risk enterprises)
ENTERPRISE_ROLES = ENTERPRISE_RESPONSIBLE + ENTERPRISE_LEVELS
REGION_ROLES = ("supervisor", "inspector", "operator", "expert")
ROLES = {"enterprise": ENTERPRISE_ROLES, "region": REGION_ROLES}  # by party kind
DEPARTMENT_ROLE = re.compile(r"department:[a-z][a-z0-9_]{0,28}")  # a 联合惩戒 department of a region


def role_allowed(role: str, party_kind: str) -> bool:
    """A role of the party kind: one of ROLES, or for a region a department (`department:<code>`)."""
    return role in ROLES[party_kind] or (
        party_kind == "region" and DEPARTMENT_ROLE.fullmatch(role) is not None
    )


def allowed_roles(party_kind: str) -> str:
    named = ", ".join(ROLES[party_kind])
    return named + ", department:<code>" if party_kind == "region" else named


def check_roles(persons: list[Person], party_kind: str) -> None:
    """Every person's role must be one of the party's, else a ValueError naming them and the allowed."""
    bad = sorted({p.role for p in persons if not role_allowed(p.role, party_kind)})
    if bad:
        raise ValueError(f"unknown roles {bad}; allowed: {allowed_roles(party_kind)}")


class Person(BaseModel):
    """One registered person: a role at a party, and how to reach them."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    new_webhook_secret: bool = Field(default=False, description="issue a fresh signing secret")
    webhook_kind: Literal["webhook", "wecom", "dingtalk"] = Field(
        default="webhook",
        description="webhook: signed JSON (Standard Webhooks); wecom: a 企业微信 group bot; dingtalk: a 钉钉"
        " custom robot",
    )
    dingtalk_secret: str | None = Field(
        default=None,
        pattern=r"^SEC[0-9A-Za-z]{16,200}$",
        description="the DingTalk robot's 加签 secret (SEC…), stored sealed and never shown again",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.email and not self.webhook_url:
            raise ValueError("give an email or a webhook_url: a contact nobody can reach receives nothing")
        if self.dingtalk_secret and (self.webhook_kind != "dingtalk" or not self.webhook_url):
            raise ValueError("dingtalk_secret belongs to a webhook_url of webhook_kind dingtalk")
        return self


class EnterpriseResponsible(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(
        pattern=REGION,
        description="where the enterprise is: binds it on its first registration; another region moves it",
    )
    persons: list[Person] = Field(max_length=50)

    @model_validator(mode="after")
    def _roles(self) -> EnterpriseResponsible:
        check_roles(self.persons, "enterprise")
        return self


class RegionContacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    persons: list[Person] = Field(max_length=200)

    @model_validator(mode="after")
    def _roles(self) -> RegionContacts:
        check_roles(self.persons, "region")
        return self
