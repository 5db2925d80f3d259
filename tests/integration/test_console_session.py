"""The console's sign-in and forms over HTTP (no browser): demo users only on the generated development
secret, the session cookie's flags, CSRF on every form, the same Actor and rules as the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest

from domain.timecalc import CN_TZ
from harness.apptest import running_app
from tests.e2e.test_hazard_api import REPORT


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert m, "the page carries a CSRF token"
    return m.group(1)


@pytest.fixture
async def dev_app(dev_env, db_url):
    async with running_app(dev_env.client, db_url, settings_overrides={"jwt_secret": None}) as a:
        yield a


async def test_demo_sign_in_sets_an_httponly_lax_session_and_needs_the_csrf_token(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    page = await http.get("/signin")
    assert page.status_code == 200 and 'data-user="inspector"' in page.text
    # the municipal supervisor the national pack's tree escalates a Chongqing district to is offered too
    assert 'data-user="supervisor_city"' in page.text and "演示市级监管负责人</bdi> · 500000" in page.text
    refused = await http.post("/signin", data={"user": "inspector", "csrf": "0" * 64})
    assert refused.status_code == 403 and refused.json()["rule"] == "csrf"
    assert "hl_session" not in refused.cookies
    ok = await http.post("/signin", data={"user": "inspector", "csrf": csrf_of(page.text)})
    assert ok.status_code == 303 and ok.headers["location"] == "/work"
    cookie = ok.headers["set-cookie"]
    assert "hl_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    work = await http.get("/work")
    assert work.status_code == 200 and "待定级" in work.text
    # a signed-in form without the token acts on nothing
    form = await http.get("/new/hazards")
    body = {
        "title": "x",
        "source": "inspection",
        "category": "unsafe_act",
        "enterprise_id": "E",
        "region": "500107",
    }
    assert (await http.post("/new/hazards", data=body)).status_code == 403
    bad = await http.post("/new/hazards", data={**body, "csrf": csrf_of(form.text), "region": "50010"})
    assert bad.status_code == 422 and "格式不符" in bad.text


async def test_no_demo_users_when_a_secret_is_configured(dev_env, db_url) -> None:
    async with running_app(dev_env.client, db_url) as app:  # HAZARDLOOP_JWT_SECRET set
        page = await app.http.get("/signin")
        assert page.status_code == 200 and "data-user=" not in page.text and "演示登录已关闭" in page.text
        token = csrf_of((await app.http.get("/tip")).text)  # a valid token from a public form
        refused = await app.http.post("/signin", data={"user": "supervisor", "csrf": token})
        assert refused.status_code == 403 and "hl_session" not in refused.headers.get("set-cookie", "")
        assert (await app.http.get("/work")).status_code == 303  # not signed in: to the sign-in page


async def signed_in(http: httpx.AsyncClient, user: str) -> None:
    page = await http.get("/signin")
    r = await http.post("/signin", data={"user": user, "csrf": csrf_of(page.text)})
    assert r.status_code == 303


@pytest.mark.parametrize("user", ["enterprise", "inspector", "supervisor", "expert", "operator", "auditor"])
async def test_every_role_has_its_work_ledger_and_reports_and_hostile_input_is_never_a_5xx(
    dev_app, user: str
) -> None:
    http: httpx.AsyncClient = dev_app.http
    await signed_in(http, user)
    for path in ("/work", "/list/hazards", "/list/tips", "/reports?period=annual", "/new/hazards"):
        r = await http.get(path)
        assert r.status_code == 200, (path, r.status_code)
    reports = await http.get("/reports")
    assert "<svg" in reports.text or "暂无" in reports.text or "合计" in reports.text
    hostile = [
        "/list/hazards?region=abc&overdue=maybe&from=zzz&level=%00",
        "/list/nothing",
        "/cases/hazards/HZ-NOPE",
        "/cases/hazards/..%2F..%2Fetc",
        "/go?case_id=%F0%9F%92%A3",
        "/reports?period=<script>",
        "/lang?to=en&next=//evil.example",
    ]
    for path in hostile:
        r = await http.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:200])
    for away in ("//evil.example", "/%5Cevil.example", "https://evil.example"):
        assert (await http.get(f"/lang?to=en&next={away}")).headers["location"] == "/"


async def test_the_english_switch(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    r = await http.get("/lang?to=en&next=/signin", follow_redirects=True)
    assert r.status_code == 200 and "Demo sign-in" in r.text and 'lang="en"' in r.text
    r = await http.get("/lang?to=zh&next=/signin", follow_redirects=True)
    assert "演示登录" in r.text


async def test_a_case_outside_the_readers_scope_is_refused_in_chinese(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    headers = dev_app.token("insp-9", "inspector", "500107")
    body = {
        "title": "临时用电线路破损",
        "enterprise_id": "ENT-2",
        "region": "500107",
        "source": "inspection",
        "category": "unsafe_condition",
    }
    created = await http.post("/v1/hazards", json=body, headers=headers)
    assert created.status_code == 201
    await signed_in(http, "enterprise")  # ENT-1 reads only its own enterprise's cases
    page = await http.get(f"/cases/hazards/{created.json()['id']}")
    assert (
        page.status_code == 403
        and "只能处理本企业的案件" in page.text
        and "text/html" in page.headers["content-type"]
    )
    missing = await http.get("/cases/hazards/HZ-NOPE")
    assert missing.status_code == 404 and "未找到" in missing.text


async def test_the_operator_works_a_tip_from_the_console(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    tip = {"channel": "web", "region": "500107", "content": "夜间违规动火"}
    created = await http.post("/v1/tips", json=tip)
    assert created.status_code == 201
    tip_id = created.json()["id"]
    await signed_in(http, "operator")
    work = await http.get("/work")
    assert tip_id in work.text
    page = await http.get(f"/cases/tips/{tip_id}")
    assert page.status_code == 200 and 'id="forecast"' in page.text and 'id="timeline"' in page.text
    forms = re.findall(r'data-command="([a-z_]+)"', page.text)
    assert forms, "the operator has something to do on a new tip"


async def test_the_reports_trend_is_an_svg_of_the_readers_jurisdiction_per_day_and_month(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    body = {"title": "配电箱未接地", "source": "inspection", "category": "unsafe_condition"}
    for region, ent in (("500107", "ENT-1"), ("500107", "ENT-2"), ("110101", "ENT-9")):
        who = dev_app.token("insp-x", "inspector", region)
        r = await http.post("/v1/hazards", json={**body, "region": region, "enterprise_id": ent}, headers=who)
        assert r.status_code == 201, r.text
    await signed_in(http, "supervisor")  # 500100: the Beijing hazard is not theirs
    today = datetime.now(CN_TZ).date()

    def points(page: str, series: str) -> dict[str, int]:
        chart = re.search(r'data-chart="trend".*?(<svg.*?</svg>)', page, re.S)
        assert chart, "the reports page draws the trend as inline SVG"
        pat = rf'<circle data-series="{series}" data-bucket="([0-9-]+)" data-value="([0-9]+)"'
        return {b: int(v) for b, v in re.findall(pat, chart.group(1))}

    daily = (await http.get("/reports?period=daily")).text
    new = points(daily, "new")
    assert len(new) == 30 and max(new) == today.isoformat() and min(new) == str(today - timedelta(days=29))
    assert new[today.isoformat()] == 2 and sum(new.values()) == 2
    assert set(points(daily, "rectified").values()) == {0} and len(points(daily, "overdue")) == 30
    annual = points((await http.get("/reports?period=annual")).text, "new")
    assert list(annual) == [f"{today.year}-{m:02d}-01" for m in range(1, today.month + 1)]
    assert annual[today.replace(day=1).isoformat()] == 2


CODE = re.compile(r"^[a-z][a-z0-9]*(?:[_.][a-z0-9]+)*$")  # a raw code (status, field, command…)


SKIPPED = ("script", "style", "code", "textarea", "pre", "bdi")


class _Texts(HTMLParser):
    """The text people read on a page: element text, not scripts, styles, code, what they typed or people's
    names (in <bdi>: data, not labels)."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        for name, value in attrs:  # what a placeholder, a tooltip or an aria label says is read too
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def untranslated(page: str) -> list[str]:
    """Raw codes and Chinese left on a page shown in English."""
    parser = _Texts()
    parser.feed(page)
    out = [x for x in parser.texts if CODE.match(x)]
    out += [x for x in parser.texts if re.search(r"[\u4e00-\u9fff]", x) and x not in ("中文",)]
    return out


async def test_every_page_in_english_shows_english_labels_not_codes(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    insp = dev_app.token("insp-1", "inspector", "500107")
    body = {**REPORT, "title": "Blocked fire exit", "description": "Seen", "location": "Gate 2"}
    created = await http.post("/v1/hazards", json={**body, "source": "inspection"}, headers=insp)
    assert created.status_code == 201, created.text
    hazard = created.json()["id"]
    graded = await http.post(
        f"/v1/hazards/{hazard}/commands", json={"type": "grade", "level": "general"}, headers=insp
    )
    assert graded.status_code == 200, graded.text
    tip = await http.post(
        "/v1/tips", json={"channel": "web", "region": "500107", "content": "Welding at night"}
    )
    assert tip.status_code == 201, tip.text
    tip_id, claim = tip.json()["id"], tip.json()["claim_token"]
    await http.get("/lang?to=en&next=/")
    found: dict[str, list[str]] = {}

    async def walk(path: str, data: dict[str, str] | None = None) -> None:
        if data is None:
            r = await http.get(path)
        else:
            r = await http.post(path, data={**data, "csrf": csrf_of((await http.get(path)).text)})
        assert r.status_code in (200, 403, 404), (path, r.status_code)
        assert 'lang="en"' in r.text, path
        if bad := untranslated(r.text):
            found[path] = bad

    for path in ("/signin", "/tip", "/tip/status"):
        await walk(path)
    await walk("/tip/status", {"case_id": tip_id, "claim_token": claim})
    await walk("/tip", {"region": "500107", "content": "Open flame near the gas tank"})
    for user in ("enterprise", "inspector", "supervisor", "expert", "operator", "auditor"):
        await signed_in(http, user)
        for path in (
            "/work",
            "/list/hazards",
            "/list/incidents",
            "/list/tips",
            "/reports?period=daily",
            "/reports?period=quarterly",
            "/reports?period=annual",
            "/new/hazards",
            "/new/incidents",
            f"/cases/hazards/{hazard}",
            f"/cases/tips/{tip_id}",
        ):
            await walk(f"{path}{'&' if '?' in path else '?'}as={user}")  # as=: who saw it
    assert found == {}, "\n".join(sorted({x for v in found.values() for x in v}))
