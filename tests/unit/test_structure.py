"""Issue #16's layering, checked on the source: the auditor is its own package below starter/; SQL is
written only in store/ (not in the shells, the auditor, the archive or report activities); the
registry's models and roles are domain's, not an API route's; access rules are domain's; the tip
routes reach the database only through the service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain.access import REVEALERS, check_reveal, check_tip_intake
from domain.actors import Actor, Role
from domain.contacts import ENTERPRISE_RESPONSIBLE, REGION_ROLES
from domain.errors import Forbidden

ROOT = Path(__file__).resolve().parents[2]
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "tuple_", "func", "and_", "or_"}
NO_SQL = [
    "starter",
    "audit",
    "activities/archive.py",
    "activities/reports.py",
    "notify/delivery.py",
    "notify/outbox.py",
]


def _sources(*where: str) -> list[Path]:
    out: list[Path] = []
    for w in where:
        p = ROOT / w
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from module import name`, and (module, "") of every `import module`."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.extend((node.module, a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((a.name, "") for a in node.names)
    return found


def test_the_auditor_is_a_package_below_starter() -> None:
    assert not (ROOT / "starter" / "audit.py").exists()
    modules = _sources("audit")
    assert {p.stem for p in modules} >= {"trail", "replay", "verify", "archive", "export"}
    for p in modules:
        assert len(p.read_text(encoding="utf-8").splitlines()) < 400, p
        wrong = [m for m, _ in _imports(p) if m == "starter" or m.startswith("starter.")]
        assert not wrong, f"{p.relative_to(ROOT)} imports {wrong}"


@pytest.mark.parametrize("where", NO_SQL)
def test_sql_is_written_only_in_store(where: str) -> None:
    for p in _sources(where):
        sql = [
            f"{m}.{n}"
            for m, n in _imports(p)
            if m.startswith("sqlalchemy") and (n in SQL_BUILDERS or m == "sqlalchemy.dialects.postgresql")
        ]
        assert not sql, f"{p.relative_to(ROOT)} builds SQL: {sql}"


def test_no_module_takes_a_model_or_a_rule_from_an_api_route_or_an_activity() -> None:
    for p in _sources("starter", "audit", "store", "domain"):
        for m, n in _imports(p):
            route = m.startswith("starter.api.") and n in {"Person", "bind_region", "registered_region"}
            roles = m in ("activities.delivery", "notify.delivery") and n.endswith("_ROLES")
            assert not (route or roles), f"{p.relative_to(ROOT)} imports {n} from {m}"


def test_routes_define_no_access_rules_and_tips_do_not_touch_the_database() -> None:
    for p in _sources("starter/api"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        names = {
            t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
        }
        assert not names & {"REVEALERS", "REGISTRY_ADMINS", "READERS"}, p
    tips = (ROOT / "starter" / "api" / "tips.py").read_text(encoding="utf-8")
    assert ".engine" not in tips and "store.sealed" not in tips


def test_the_access_rules_and_roles_say_what_they_did() -> None:
    assert ENTERPRISE_RESPONSIBLE == ("administrative", "supervisory", "enterprise")
    assert "supervisor" in REGION_ROLES
    assert REVEALERS == {Role.operator, Role.supervisor}
    inspector = Actor(id="i", role=Role.inspector, region="500107")
    with pytest.raises(Forbidden, match="only the intake or reward officer"):
        check_reveal(inspector)
    check_reveal(inspector.model_copy(update={"role": Role.operator}))
    with pytest.raises(Forbidden, match="authenticated intake is for operators"):
        check_tip_intake(inspector)
