"""Issue #17's "done when", as a new user does it: `hazardloop dev` (what `make run` starts) in an empty
data dir, then the console over HTTP — the demo sign-in as the enterprise's safety officer and as the
inspector, the forms as the pages render them (CSRF token and all) — walks a hazard from its report with
a photo, through grading and the rectification with an after-photo, to its closure. No token is minted
by the test: every request carries only what the console's own pages and cookies give."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_dev_smoke import DevRun, Ports, runs, workspace

__all__ = ["runs", "workspace"]  # the fixtures, shared with the smoke test

pytestmark = pytest.mark.timeout(420)
CN = timezone(timedelta(hours=8))


def png(rgb: tuple[int, int, int]) -> bytes:
    """A 4×4 PNG of one colour (a photo as the phone would send it, small)."""
    raw = b"".join(b"\x00" + bytes(rgb) * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


class Form(HTMLParser):
    """The fields of the form posting to `action`, with the values the page gives them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
            self.found = self.found or self.inside
        elif not self.inside or (not a.get("name") and tag != "option"):
            return
        elif tag == "input" and a.get("type") not in ("file", "submit", "checkbox"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and (self._select not in self.fields or "selected" in a):
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Person:
    """One browser: its own cookies, signed in through the demo sign-in page."""

    def __init__(self, base: str, user: str) -> None:
        self.http = httpx.Client(base_url=base, follow_redirects=True, trust_env=False, timeout=30)
        page = self.http.get("/signin")
        r = self.submit(page, "/signin", {"user": user})
        assert r.url.path == "/work", r.text[:500]

    def submit(
        self,
        page: httpx.Response,
        action: str,
        values: dict[str, str],
        photo: tuple[str, bytes] | None = None,
    ) -> httpx.Response:
        form = Form(action)
        form.feed(page.text)
        assert form.found, f"no form posting to {action} on {page.url}"
        data = {**form.fields, **values}
        files = {"evidence__files": (photo[0], photo[1], "image/png")} if photo else None
        r = self.http.post(action, data=data, files=files)
        assert r.status_code == 200, (action, r.status_code, r.text[:2000])
        return r


def status_of(page: httpx.Response) -> str:
    """The case's status badge: its code and its label, as the page shows them."""
    m = re.search(r'<span class="badge status" data-status="(\w+)">([^<]*)</span>', page.text)
    assert m, page.text[:2000]
    return f"{m[1]} {m[2]}"


@pytest.fixture
def dev(workspace: tuple[Path, Path], runs: list[DevRun]) -> Iterator[DevRun]:
    root, data_dir = workspace
    run = DevRun(root, data_dir, Ports(), "walkthrough")
    runs.append(run)
    run.wait_ready()
    yield run
    assert run.interrupt() == 0


def test_a_new_user_walks_a_hazard_to_closure_with_photos_in_the_console(dev: DevRun) -> None:
    ent = Person(dev.url, "enterprise")
    new = ent.http.get("/new/hazards")
    case = ent.submit(
        new,
        "/new/hazards",
        {
            "title": "配电箱未接地",
            "description": "二号车间配电箱外壳未接地",
            "location": "二号车间",
            "category": "unsafe_condition",
        },
        photo=("整改前.png", png((200, 60, 60))),
    )
    path = case.url.path
    assert path.startswith("/cases/hazards/HZ-") and status_of(case) == "reported 已上报"
    hid = path.rsplit("/", 1)[-1]

    ins = Person(dev.url, "inspector")
    work = ins.http.get("/work")
    assert hid in work.text  # under 待定级
    page = ins.http.get(path)
    deadline = (datetime.now(CN) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = ins.submit(page, f"{path}/commands/grade", {"level": "general", "deadline": deadline})
    assert status_of(page) == "rectifying 整改中"

    page = ent.http.get(path)
    page = ent.submit(
        page,
        f"{path}/commands/submit_rectification",
        {"summary": "已加装接地线并检测合格"},
        photo=("整改后.png", png((60, 160, 60))),
    )
    assert status_of(page) == "verifying 待复查"

    page = ins.http.get(path)
    page = ins.submit(page, f"{path}/commands/review", {"passed": "true", "comment": "现场复查合格"})
    assert status_of(page) == "closed 已销号/办结"
    assert "事件哈希链完整" in page.text
    # both photos are on the case, and open for the people of the case
    photos = sorted({part.split('"')[0] for part in page.text.split('href="/evidence/')[1:]})
    assert len(photos) == 2, photos
    for sha in photos:
        r = ins.http.get(f"/evidence/{sha}")
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
