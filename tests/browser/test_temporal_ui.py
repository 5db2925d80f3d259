"""The Temporal Web UI in a real browser: a dev server started with its UI, whose codec endpoint is the
app's /codec route. A supervisor signed in to the console (same browser, the session cookie carried to
the codec route by the UI's "include cross-origin credentials") reads a case's input decoded; a browser
with nobody signed in sees only the encrypted payload."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from harness.apptest import running_app
from harness.servers import start_dev_server
from tests.browser.conftest import Console, free_port, served
from tests.browser.test_console import signed_in

TITLE = "配电箱未接地"


@pytest.fixture
async def ui_console(db_url: str) -> AsyncIterator[tuple[Console, str]]:
    port, ui_port = free_port(), free_port()
    env = await start_dev_server(ui_port=ui_port, ui_codec_endpoint=f"http://127.0.0.1:{port}/codec")
    ui = f"http://127.0.0.1:{ui_port}"
    try:
        overrides = {"jwt_secret": None, "codec_cors_origins": [ui]}
        async with running_app(env.client, db_url, settings_overrides=overrides) as app:
            async with served(app, port) as console:
                yield console, ui
    finally:
        await env.shutdown()


async def _ui_page(ctx: Any, ui: str, wid: str, codec: str) -> Any:
    """The workflow's page in the UI, with the codec's cross-origin credentials switched on (the UI keeps
    that choice, like its "Codec Server" settings dialog, in the browser's local storage)."""
    stored = {"overrideRemoteCodecConfiguration": True, "endpoint": codec, "includeCredentials": True}
    await ctx.add_init_script(
        "".join(
            f"localStorage.setItem({json.dumps(k)}, {json.dumps(json.dumps(v))});" for k, v in stored.items()
        )
    )
    page = await ctx.new_page()
    await page.goto(f"{ui}/namespaces/default/workflows/{wid}")
    return page


async def test_the_temporal_ui_decodes_for_a_signed_in_supervisor_only(
    ui_console: tuple[Console, str], browser: Any
) -> None:
    console, ui = ui_console
    ent = await signed_in(browser, console, "enterprise")
    await ent.click("text=上报隐患")
    await ent.fill("[name=title]", TITLE)
    await ent.fill("[name=description]", "二号车间配电箱外壳未接地")
    await ent.fill("[name=location]", "二号车间")
    await ent.select_option("select[name=category]", "unsafe_condition")
    async with ent.expect_navigation():
        await ent.click("button.primary")
    wid = ent.url.rsplit("/", 1)[-1]
    assert wid.startswith("HZ-"), ent.url

    codec = f"{console.base}/codec"
    decoded = f'"case_id": "{wid}"'

    # a supervisor of the region, signed in to the console: the UI shows the case's input decoded
    sup = await signed_in(browser, console, "supervisor")
    page = await _ui_page(sup.context, ui, wid, codec)
    await expect(page.get_by_text(decoded)).to_be_visible(timeout=30_000)
    await expect(page.get_by_text("测试 / second-scale test pack").first).to_be_visible()
    body = await page.locator("body").inner_text()
    assert "Codec Server could not connect" not in body
    await console.shot(page, "temporal-ui-supervisor")

    # nobody signed in: the codec route refuses, the UI says so and shows the payload still encrypted
    anon_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    anon = await _ui_page(anon_ctx, ui, wid, codec)
    await expect(anon.locator("#content").get_by_text("Codec Server could not connect")).to_be_visible(
        timeout=30_000
    )
    await expect(anon.get_by_role("heading", name="Input", exact=True).first).to_be_visible()
    body = await anon.locator("body").inner_text()
    assert wid in body  # the page itself is there …
    assert decoded not in body and "second-scale test pack" not in body  # … its input is not
    await console.shot(anon, "temporal-ui-anonymous")
