"""The notice kinds → the enterprise's responsible roles (domain/notice_roles.py)."""

from __future__ import annotations

from domain.contacts import ENTERPRISE_ROLES
from domain.notice_roles import ROLES_BY_KIND, responsible_roles


def test_every_mapped_role_is_a_registry_role_and_unknown_kinds_reach_the_three() -> None:
    assert all(set(roles) <= set(ENTERPRISE_ROLES) for roles in ROLES_BY_KIND.values())
    assert responsible_roles("reminder") == ("enterprise",)
    assert responsible_roles("unknown_kind") == ("administrative", "supervisory", "enterprise")
