"""The console's demo users cover the roles the walkthroughs need under the national pack (issue #18):
the authority its jurisdiction tree routes a district's escalations and incidents to is among them."""

from __future__ import annotations

from pathlib import Path

from domain.jurisdiction import next_level
from domain.policy import parse_pack
from runtime.settings import Settings
from starter.console.session import DEMO_USERS, demo_actor, demo_enabled

PACK = parse_pack((Path(__file__).resolve().parents[2] / "policies" / "cn-national.toml").read_text())


def test_a_supervisor_of_the_level_the_tree_routes_to_is_a_demo_user() -> None:
    for u in DEMO_USERS:
        if u.role not in ("enterprise", "inspector"):
            continue
        up = next_level(PACK, u.region)
        assert up == "500000"  # a Chongqing district sits under the municipality, not under 500100
        sups = [demo_actor(s) for s in DEMO_USERS if s.role == "supervisor"]
        assert any(a.region == up for a in sups), f"no demo supervisor at {up}, one level above {u.region}"


def test_demo_user_keys_are_unique() -> None:
    keys = [u.key for u in DEMO_USERS]
    assert len(keys) == len(set(keys))


def test_the_demo_sign_in_is_on_with_the_secret_hazardloop_dev_generated_and_passes_on(
    tmp_path: Path,
) -> None:
    generated = Settings(data_dir=tmp_path).resolved_jwt_secret()  # kept in the data dir
    assert demo_enabled(Settings(data_dir=tmp_path))
    # `hazardloop dev` hands the generated secret to the API as HAZARDLOOP_JWT_SECRET
    assert demo_enabled(Settings(data_dir=tmp_path, jwt_secret=generated))
    assert not demo_enabled(Settings(data_dir=tmp_path, jwt_secret="a-configured-secret-" + "x" * 32))
    assert not demo_enabled(Settings(data_dir=tmp_path / "elsewhere", jwt_secret=generated))
