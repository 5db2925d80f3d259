"""Who acts: roles, jurisdiction (6-digit 行政区划代码) and enterprise scope."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.common import REGION_RE

# The provinces (省级) of GB/T 2260 where the mainland's work-safety rules apply: the first two digits of
# every region a case can be in. 000000 (national) is a jurisdiction, never a case's place.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)


class Role(StrEnum):
    """The roles of docs/rules.md#who-acts, plus the internal `system` actor of timers."""

    enterprise = "enterprise"  # 生产经营单位
    inspector = "inspector"  # 执法人员
    supervisor = "supervisor"  # 安委办 / department head / government
    expert = "expert"  # 专家 / 安全评价机构
    operator = "operator"  # platform back office
    auditor = "auditor"  # 纪检监察: reads, never changes
    system = "system"  # timers and child-case updates; never a person


def region_prefix(code: str) -> str:
    """The significant prefix of a region code: 500000 → '50', 500100 → '5001', 500107 → '500107'."""
    if code == "000000":
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def is_place(code: str) -> bool:
    """True when `code` can be where a case is: six ASCII digits in a known province (not 000000)."""
    return REGION_RE.match(code) is not None and code[:2] in PROVINCES


def region_covers(scope: str, code: str) -> bool:
    """True when jurisdiction `scope` covers region `code` (500000 covers 500107; 000000 covers all)."""
    return code.startswith(region_prefix(scope))


def parent_region(code: str) -> str:
    """One level up: county → city → province → national (000000)."""
    if code == "000000":
        return code
    if code.endswith("0000"):
        return "000000"
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


class Actor(BaseModel):
    """Who acts, as the API authenticated them (JWT claims) or the system."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    name: str = ""
    role: Role
    region: str = Field(description="6-digit jurisdiction code; covers every code below it")
    enterprise_id: str | None = None

    @field_validator("region")
    @classmethod
    def _region_is_six_digits(cls, v: str) -> str:
        if not REGION_RE.match(v):
            raise ValueError("region must be a 6-digit administrative division code, e.g. 500107")
        return v

    def covers(self, region: str) -> bool:
        return region_covers(self.region, region)


SYSTEM = Actor(id="system", name="hazardloop", role=Role.system, region="000000")
