"""Problem details in Chinese by default and in English when Accept-Language asks for it: the same
refusal, the same stable code and rule, the title and detail in the caller's language."""

from __future__ import annotations

import pytest

from domain.messages import pick_language
from harness.apptest import App, running_app
from tests.e2e.test_hazard_api import REPORT

EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url, with_worker=False) as a:
        yield a


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_refused_role_in_chinese_and_in_english(app: App):
    auditor = app.token("aud-1", "auditor", "500000")
    zh = await app.http.post("/v1/hazards", json=REPORT, headers=auditor)
    en = await app.http.post("/v1/hazards", json=REPORT, headers={**auditor, **EN})
    assert zh.status_code == en.status_code == 403
    z, e = zh.json(), en.json()
    assert z["code"] == e["code"] == "forbidden" and z["rule"] == e["rule"]
    assert z["title"] == "无权操作" and e["title"] == "Forbidden"
    assert _cjk(z["detail"]) and not _cjk(e["detail"])
    assert z["detail"].startswith(("您的角色无权执行此操作", "审计人员只能查阅")), z["detail"]
    assert e["detail"] in z["detail"]  # the English specifics follow in parentheses


async def test_a_refused_field_in_chinese_and_in_english(app: App):
    insp = app.token("insp-1", "inspector", "500107")
    zh = await app.http.get("/v1/hazards", params={"limit": 0}, headers={**insp, "Accept-Language": "zh-CN"})
    en = await app.http.get("/v1/hazards", params={"limit": 0}, headers={**insp, **EN})
    assert zh.status_code == en.status_code == 422
    z, e = zh.json(), en.json()
    assert z["code"] == e["code"] == "invalid_request"
    assert z["field"] == e["field"] == "query.limit"
    assert z["title"] == "请求无效" and e["title"] == "Invalid request"
    assert z["detail"] == "请求内容不符合要求：query.limit：不能小于 1"
    assert "greater than or equal to 1" in e["detail"]


async def test_unauthenticated_in_chinese_by_default(app: App):
    r = await app.http.get("/v1/hazards")
    assert r.status_code == 401
    assert r.json()["title"] == "未认证" and r.json()["detail"].startswith("需要有效的身份令牌")
    r = await app.http.get("/v1/hazards", headers={"Accept-Language": "en"})
    assert r.json()["title"] == "Unauthorized" and not _cjk(r.json()["detail"])


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-GB", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh;q=0.9", "zh"),
        ("fr,en;q=0.8", "en"),
        ("fr", "zh"),
        ("en;q=bogus", "zh"),
        ("*", "zh"),
    ],
)
def test_language_pick(header: str | None, lang: str):
    assert pick_language(header) == lang
