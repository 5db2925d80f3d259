"""The jurisdiction rules of domain.access and the region pattern (issue #15): who files a case where, who
reads and writes the responsibility registry, and that a region is exactly six ASCII digits."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import Field as PydanticField
from pydantic import TypeAdapter, ValidationError

from domain.access import check_files, check_read_record, check_registry_read, check_registry_write
from domain.actors import Actor, Role, is_place
from domain.common import REGION, REGION_RE
from domain.errors import Forbidden, InvalidCommand
from domain.timecalc import IsoDuration

ENT = "E-1"
ENTERPRISE = Actor(id="ent", role=Role.enterprise, region="500107", enterprise_id=ENT)
INSPECTOR = Actor(id="insp", role=Role.inspector, region="500107")
CITY_INSPECTOR = Actor(id="insp-c", role=Role.inspector, region="500100")
CITY_SUPERVISOR = Actor(id="sup-c", role=Role.supervisor, region="500100")
COUNTY_SUPERVISOR = Actor(id="sup", role=Role.supervisor, region="500107")
NATIONAL_AUDITOR = Actor(id="aud", role=Role.auditor, region="000000")
CITY_AUDITOR = Actor(id="aud-c", role=Role.auditor, region="500100")
EXPERT = Actor(id="exp", role=Role.expert, region="500107")

HOSTILE = ["５００１０７", "500107\n", "٥٠٠١٠٧", "50010", "5001070", " 500107", "50010a", ""]


@pytest.mark.parametrize("code", HOSTILE)
def test_a_region_is_six_ascii_digits_in_python_and_in_pydantic(code: str) -> None:
    assert REGION_RE.match(code) is None
    with pytest.raises(ValidationError):
        TypeAdapter(Annotated[str, PydanticField(pattern=REGION)]).validate_python(code)
    with pytest.raises(ValidationError):
        Actor(id="x", role=Role.inspector, region=code)


def test_region_patterns_accept_a_plain_code() -> None:
    assert REGION_RE.match("500107") and re.search(REGION, "500107")
    assert TypeAdapter(Annotated[str, PydanticField(pattern=REGION)]).validate_python("000000") == "000000"


@pytest.mark.parametrize("text", ["P７D", "P7D\n", "PT١H"])
def test_a_duration_takes_ascii_digits_only(text: str) -> None:
    with pytest.raises(ValueError):
        IsoDuration(text)


def test_a_place_is_a_known_province_never_the_nation() -> None:
    assert is_place("500107") and is_place("110000") and is_place("650102")
    assert not any(is_place(c) for c in ("999999", "000000", "990107", "710000", "５００１０７", "500107\n"))


# ---- filing -------------------------------------------------------------------------------------------


def test_an_enterprise_files_only_in_its_own_region() -> None:
    check_files(ENTERPRISE, "500107", "hazard")
    for region in ("500201", "500108", "500100"):
        with pytest.raises(Forbidden) as e:
            check_files(ENTERPRISE, region, "hazard")
        assert e.value.extra["rule"] == "jurisdiction" and "500107" in e.value.detail


@pytest.mark.parametrize("region", ["999999", "000000", "５００１０７", "500107\n"])
def test_nobody_files_where_no_regulator_is(region: str) -> None:
    for actor in (ENTERPRISE, Actor(id="n", role=Role.supervisor, region="000000")):
        with pytest.raises(InvalidCommand) as e:
            check_files(actor, region, "hazard")
        assert e.value.extra == {"field": "region", "rule": "region_unknown"}


# ---- the responsibility registry ---------------------------------------------------------------------


def test_registry_reads_follow_the_registered_region_not_the_request() -> None:
    for actor in (INSPECTOR, CITY_INSPECTOR, CITY_SUPERVISOR, CITY_AUDITOR, NATIONAL_AUDITOR, ENTERPRISE):
        check_registry_read(actor, ENT, "500107")
    for actor in (
        Actor(id="i8", role=Role.inspector, region="500108"),
        Actor(id="a2", role=Role.auditor, region="500200"),
    ):
        with pytest.raises(Forbidden) as e:
            check_registry_read(actor, ENT, "500107")
        assert e.value.extra["rule"] == "jurisdiction"
    with pytest.raises(Forbidden) as e:
        check_registry_read(ENTERPRISE, "E-2", "500107")
    assert e.value.extra["rule"] == "enterprise_scope"
    with pytest.raises(Forbidden) as e:
        check_registry_read(EXPERT, ENT, "500107")
    assert e.value.extra["rule"] == "role"


def test_an_enterprise_registered_nowhere_is_read_by_a_national_jurisdiction_only() -> None:
    check_registry_read(NATIONAL_AUDITOR, ENT, None)
    check_registry_read(ENTERPRISE, ENT, None)
    with pytest.raises(Forbidden):
        check_registry_read(CITY_SUPERVISOR, ENT, None)


def test_the_first_registration_binds_within_the_writers_jurisdiction() -> None:
    check_registry_write(INSPECTOR, ENT, None, "500107")
    check_registry_write(ENTERPRISE, ENT, None, "500107")
    for actor, region, rule in (
        (INSPECTOR, "500201", "jurisdiction"),
        (ENTERPRISE, "500108", "jurisdiction"),
        (NATIONAL_AUDITOR, "500107", "role"),
        (EXPERT, "500107", "role"),
    ):
        with pytest.raises(Forbidden) as e:
            check_registry_write(actor, ENT, None, region)
        assert e.value.extra["rule"] == rule
    with pytest.raises(InvalidCommand):
        check_registry_write(Actor(id="n", role=Role.supervisor, region="000000"), ENT, None, "999999")


def test_writes_follow_the_registered_region_and_only_a_supervisor_covering_both_moves() -> None:
    check_registry_write(INSPECTOR, ENT, "500107", "500107")
    check_registry_write(CITY_SUPERVISOR, ENT, "500107", "500108")  # a move within the city
    for actor in (
        Actor(id="i2", role=Role.inspector, region="500201"),  # another region entirely
        INSPECTOR,  # covers the old region, but a move is for a supervisor
        CITY_INSPECTOR,  # covers both, not a supervisor
        COUNTY_SUPERVISOR,  # covers the old region only
        Actor(id="s8", role=Role.supervisor, region="500108"),  # covers the new region only
        ENTERPRISE,  # the enterprise itself does not move
    ):
        with pytest.raises(Forbidden):
            check_registry_write(actor, ENT, "500107", "500108")
    with pytest.raises(Forbidden) as e:
        check_registry_write(Actor(id="i2", role=Role.inspector, region="500201"), ENT, "500107", "500201")
    assert e.value.extra["rule"] == "role" and "500107" in e.value.detail


@pytest.mark.parametrize(
    ("actor", "rule"),
    [
        (ENTERPRISE, None),
        (INSPECTOR, None),
        (CITY_SUPERVISOR, None),
        (NATIONAL_AUDITOR, None),
        (EXPERT, "role"),
        (Actor(id="e2", role=Role.enterprise, region="500107", enterprise_id="E-2"), "enterprise_scope"),
        (Actor(id="far", role=Role.inspector, region="500108"), "jurisdiction"),
    ],
)
def test_an_enterprise_record_is_read_by_the_enterprise_and_officers_within_jurisdiction(
    actor: Actor, rule: str | None
) -> None:
    if rule is None:
        check_read_record(actor, "500107", ENT)
        return
    with pytest.raises(Forbidden) as e:
        check_read_record(actor, "500107", ENT)
    assert e.value.to_dict()["rule"] == rule
