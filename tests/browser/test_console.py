"""The console in a real browser: a hazard walked to closure by its people (the enterprise on a phone),
a refusal shown in Chinese at its field, and an anonymous tip followed with its claim token."""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.browser.conftest import PHONE, Console

CN = timezone(timedelta(hours=8))


def local_input(delta: timedelta) -> str:
    """A datetime-local value (China time) `delta` from now."""
    return (datetime.now(CN) + delta).strftime("%Y-%m-%dT%H:%M")


async def signed_in(browser: Any, console: Console, user: str, *, phone: bool = False) -> Any:
    ctx = await browser.new_context(
        viewport=PHONE if phone else {"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = await ctx.new_page()
    await page.goto(f"{console.base}/signin")
    await page.click(f"button[data-user={user}]")
    await page.wait_for_url(f"{console.base}/work")
    return page


async def command(page: Any, ctype: str, fill: dict[str, str], select: dict[str, str] | None = None) -> None:
    box = page.locator(f"details[data-command={ctype}]")
    if await box.get_attribute("open") is None:  # a refused form comes back open
        await box.locator("summary").click()
    for name, value in fill.items():
        await box.locator(f"[name='{name}']").fill(value)
    for name, value in (select or {}).items():
        await box.locator(f"select[name='{name}']").select_option(value)
    async with page.expect_navigation():
        await box.locator("button[type=submit]").click()


async def test_a_hazard_walks_to_closure_in_the_browser(console: Console, browser: Any) -> None:
    # the enterprise's safety officer reports on site, on a phone
    ent = await signed_in(browser, console, "enterprise", phone=True)
    await ent.click("text=上报隐患")
    await ent.fill("[name=title]", "配电箱未接地")
    await ent.fill("[name=description]", "二号车间配电箱外壳未接地")
    await ent.fill("[name=location]", "二号车间")
    await ent.select_option("select[name=category]", "unsafe_condition")
    await console.shot(ent, "report-form-phone")
    async with ent.expect_navigation():
        await ent.click("button.primary")
    assert "/cases/hazards/HZ-" in ent.url
    case_url = ent.url
    assert await ent.locator(".badge.status").inner_text() == "已上报"
    # the phone layout does not overflow sideways
    assert await ent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # the inspector finds it under 待定级, is refused a past deadline (in Chinese, at the field), grades it
    ins = await signed_in(browser, console, "inspector")
    section = ins.locator("section[data-section=w_to_grade]")
    await section.locator("a", has_text="配电箱未接地").click()
    await ins.wait_for_url(case_url)
    await command(ins, "grade", {"deadline": local_input(timedelta(days=-1))}, {"level": "general"})
    refusal = await ins.locator(".refusal").inner_text()
    assert "期限须晚于当前时间" in refusal
    field_error = ins.locator("details[data-command=grade] [data-field=deadline] .error")
    assert "期限须晚于当前时间" in await field_error.inner_text()
    await console.shot(ins, "refusal-in-chinese", readme=True)
    await command(ins, "grade", {"deadline": local_input(timedelta(days=3))}, {"level": "general"})
    assert await ins.locator(".badge.status").inner_text() == "整改中"
    assert await ins.locator("tr[data-clock=rectification] .countdown").inner_text() != ""
    forecast = await ins.locator("#forecast").inner_text()
    assert "逾期" in forecast and "上报至" in forecast  # the overdue mark, then the escalation one level up

    # the enterprise rectifies
    await ent.goto(case_url)
    await command(ent, "submit_rectification", {"summary": "已加装接地线并检测合格"})
    assert await ent.locator(".badge.status").inner_text() == "待复查"
    await console.shot(ent, "case-phone", readme=True)

    # the inspector reviews and closes it; the timeline shows every step, the chain verifies
    await ins.goto(case_url)
    await command(ins, "review", {"comment": "现场复查合格"}, {"passed": "true"})
    assert await ins.locator(".badge.status").inner_text() == "已销号/办结"
    steps = ins.locator("ol.timeline li")
    events = [await steps.nth(i).get_attribute("data-events") for i in range(await steps.count())]
    assert [e.split()[0] for e in events if e] == [
        "hazard_reported",
        "graded",
        "rectification_submitted",
        "reviewed",
    ]
    assert "事件哈希链完整" in await ins.locator("p.chain").inner_text()
    await console.shot(ins, "case-closed")

    # today's report counts it: reported and rectified, with a chart by region drawn server-side
    await ins.goto(f"{console.base}/reports?period=daily")
    kpis = ins.locator("#kpis strong")
    assert [await kpis.nth(i).inner_text() for i in range(4)] == ["1", "1", "100%", "0%"]
    assert await ins.locator("[data-chart=new_by_region] svg rect").count() == 1
    today = await ins.locator("[data-chart=trend] circle[data-series=rectified]").last.get_attribute(
        "data-value"
    )
    assert today == "1"  # the trend's last day: today's closure
    await console.shot(ins, "reports", readme=True)


async def test_an_anonymous_tip_is_filed_and_followed_with_its_claim_token(
    console: Console, browser: Any
) -> None:
    ctx = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await ctx.new_page()
    await page.goto(f"{console.base}/tip")
    await page.fill("[name=region]", "50010")  # five digits: refused at the field, in Chinese
    await page.fill("[name=content]", "某厂夜间违规动火作业")
    async with page.expect_navigation():
        await page.click("button.primary")
    assert "格式不符" in await page.locator("[data-field=region] .error").inner_text()
    await page.fill("[name=region]", "500107")
    photo = png((90, 90, 200))  # from the phone's camera: the input asks for it (capture)
    assert await page.locator("[name=evidence__files]").get_attribute("capture") == "environment"
    await page.set_input_files(
        "[name=evidence__files]", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": photo}]
    )
    await console.shot(page, "tip-form-phone")
    async with page.expect_navigation():
        await page.click("button.primary")
    tip_id = await page.locator("#tip-id").inner_text()
    token = await page.locator("#claim-token").inner_text()
    assert tip_id.startswith("TP-") or tip_id
    assert len(token) >= 10
    assert await page.locator("#tip-attachments").inner_text() == "1"
    await console.shot(page, "tip-claim-token")

    await page.goto(f"{console.base}/tip/status")
    await page.fill("[name=case_id]", tip_id)
    await page.fill("[name=claim_token]", token[:-2] + "xx")
    async with page.expect_navigation():
        await page.click("button.primary")
    assert await page.locator("#tip-result").count() == 0
    assert "未找到" in await page.locator(".refusal").inner_text()
    await page.fill("[name=case_id]", tip_id)
    await page.fill("[name=claim_token]", token)
    async with page.expect_navigation():
        await page.click("button.primary")
    assert await page.locator("#tip-result [data-status]").get_attribute("data-status") == "received"
    assert "已受理" in await page.locator("#tip-result").inner_text()


def png(rgb: tuple[int, int, int], size: int = 32) -> bytes:
    """A small real PNG (solid colour), for the photo steps."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    parts = [chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(rows)), chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(parts)


async def test_photos_before_and_after_rectification_from_a_phone(console: Console, browser: Any) -> None:
    before, after = png((200, 40, 40)), png((40, 160, 60))
    ent = await signed_in(browser, console, "enterprise", phone=True)
    await ent.goto(f"{console.base}/new/hazards")
    await ent.fill("[name=title]", "消防通道堵塞")
    await ent.select_option("select[name=category]", "unsafe_condition")
    await ent.set_input_files(
        "[name=evidence__files]", files=[{"name": "before.png", "mimeType": "image/png", "buffer": before}]
    )
    async with ent.expect_navigation():
        await ent.click("button.primary")
    case_url = ent.url
    sha_before = hashlib.sha256(before).hexdigest()
    assert await ent.locator(f"#evidence a[data-sha256='{sha_before}']").count() == 1
    got = await ent.request.get(f"{console.base}/evidence/{sha_before}")
    assert got.status == 200 and await got.body() == before

    ins = await signed_in(browser, console, "inspector")
    await ins.goto(case_url)
    await command(ins, "grade", {"deadline": local_input(timedelta(days=3))}, {"level": "general"})
    await ent.goto(case_url)
    box = ent.locator("details[data-command=submit_rectification]")
    await box.locator("summary").click()
    await box.locator("[name=summary]").fill("已清理通道")
    await box.locator("[name=evidence__files]").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": after}]
    )
    async with ent.expect_navigation():
        await box.locator("button[type=submit]").click()
    sha_after = hashlib.sha256(after).hexdigest()
    assert await ent.locator("#evidence a[data-sha256]").count() == 2
    assert await ent.locator(f"#evidence a[data-sha256='{sha_after}']").count() == 1
    await console.shot(ent, "photos-phone")
