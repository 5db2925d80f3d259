"""The `dev` banner's token hint mints a token the running API accepts, also when the JWT secret was
given to `hazardloop dev` on its command line only (issue #20, finding): the hint is run in another shell,
which has neither that variable nor `dev`'s working directory."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from runtime.settings import Settings
from starter.devserver import banner, build_plan


def _run_hint(hint: str, cwd: Path) -> str:
    """Runs `VAR=value … hazardloop token …` as a shell would, with nothing else in its environment."""
    words = shlex.split(hint)
    n = next(i for i, w in enumerate(words) if not re.match(r"^[A-Z_]+=", w))
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd)} | dict(w.split("=", 1) for w in words[:n])
    out = subprocess.run(words[n:], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("given", ["a s3cret given on dev's 'command line' only", None])
def test_the_token_hint_signs_with_devs_secret(tmp_path: Path, given: str | None) -> None:
    data = tmp_path / "dev-data"
    settings = Settings(_env_file=None, data_dir=data, jwt_secret=given)  # type: ignore[call-arg]
    plan = build_plan(settings, python=sys.executable, base_env={})
    secret = plan.env["HAZARDLOOP_JWT_SECRET"]
    [line] = [x for x in banner(settings, plan) if x.strip().startswith("token ")]
    elsewhere = tmp_path / "another-shell"
    elsewhere.mkdir()

    token = _run_hint(line.strip().removeprefix("token").strip(), elsewhere)

    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["sub"] == "insp-1" and claims["role"] == "inspector"
