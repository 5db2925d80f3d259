"""cn-national changed after 2026.2 was set: it is 2026.3 now, and 2026.2 stays loadable from the pack
archive (policies/archive/), so views of cases pinned to it (the console's forecast) decide under their
own version. The cases themselves carry their pack in their input; the rules refuse any other."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.unit.test_hazard_decider as hz
from domain.errors import Conflict
from domain.policy import PolicyRef
from runtime.settings import REPO_ROOT, Settings
from starter.policies import load_pinned, load_policy
from tests.unit.test_hazard_decider import SUPERVISOR, awaiting_review

NEW_KEY = "listing.writeoff_publication_recorded"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, policy_dir=REPO_ROOT / "policies", policy="cn-national")


def test_the_shipped_pack_is_2026_3_and_2026_2_loads_from_the_archive(settings: Settings) -> None:
    current = load_policy(settings)
    assert current.ref == PolicyRef(id="cn-national", version="2026.3")
    assert load_pinned(settings, current.ref, current) is current
    old = load_pinned(settings, PolicyRef(id="cn-national", version="2026.2"), current)
    assert old is not None and old.ref.version == "2026.2"
    # 2026.3 adds rules (the write-off publication among them) and keeps every 2026.2 value as shipped
    assert NEW_KEY in set(current.values) - set(old.values)
    assert {k: current.values.get(k) for k in old.values} == old.values
    assert load_pinned(settings, PolicyRef(id="cn-national", version="2025.1"), current) is None
    assert load_pinned(settings, PolicyRef(id="no-such-pack", version="1"), current) is None


def test_a_case_pinned_to_2026_2_decides_under_it_and_refuses_2026_3(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = load_policy(settings)
    old = load_pinned(settings, PolicyRef(id="cn-national", version="2026.2"), current)
    assert old is not None
    monkeypatch.setattr(hz, "PACK", old)
    c = awaiting_review()
    assert c.state.policy == old.ref
    monkeypatch.setattr(hz, "PACK", current)  # the shell passing the newer pack: refused by the rules
    with pytest.raises(Conflict) as refused:
        c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    assert refused.value.extra["rule"] == "pinned_policy"
    monkeypatch.setattr(hz, "PACK", old)
    c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    assert c.status == "closed"  # 2026.2 has no write-off publication clock: closed at the write-off
