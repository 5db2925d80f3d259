"""Group-bot channels: WeCom (企业微信) group robots and DingTalk (钉钉) custom robots.

Both take a JSON POST to the bot's webhook address (the key or access token is in its query), in their
own message shape (`msgtype`), and both answer HTTP 200 also when they refuse a message, saying so in
the body: `{"errcode": <non-zero>, "errmsg": "…"}`. So a bot delivery is delivered only on
`errcode` 0; a rate limit or a busy server is retried, any other errcode is a permanent refusal
recorded with its errcode and errmsg.

- WeCom group robot (企业微信 群机器人 "消息推送配置说明"): `{"msgtype": "markdown", "markdown":
  {"content": …}}`, content at most 4096 bytes of UTF-8; at most 20 messages a minute per robot,
  errcode 45009 when exceeded; -1 is "system busy".
- DingTalk custom robot (钉钉开放平台 "自定义机器人接入" / "自定义机器人安全设置"): `{"msgtype":
  "markdown", "markdown": {"title": …, "text": …}}`; with the 加签 security setting the robot's secret
  (`SEC…`) signs each request: query parameters `timestamp` (Unix milliseconds, within an hour of
  DingTalk's clock) and `sign` = URL-encoded base64 of HmacSHA256(key = secret, message =
  "{timestamp}\\n{secret}"), UTF-8. At most 20 messages a minute: errcode 130101 (and 410100, 限流)
  when exceeded; 310000 is a failed security check (sign, keyword or IP allowlist). A robot secured by
  a keyword instead matches it in our subject (it starts with 【隐患整改】).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Literal

WebhookKind = Literal["webhook", "wecom", "dingtalk"]
BOT_KINDS: tuple[WebhookKind, ...] = ("wecom", "dingtalk")
NAMES = {"wecom": "WeCom", "dingtalk": "DingTalk"}
# errcodes that mean "not now": the robot's rate limit or a busy server; retried with backoff
RETRIED = {"wecom": {-1, 45009}, "dingtalk": {-1, 130101, 410100}}
WECOM_MAX_BYTES = 4000  # of the 4096 WeCom accepts in a markdown content


class PermanentFailure(Exception):
    """The receiver refused for good (bad address, 4xx): do not retry."""


class TransientFailure(Exception):
    """The receiver failed this time (5xx, 408, 429): retry later."""


def _clip(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut at a character boundary."""
    return text.encode()[:limit].decode(errors="ignore")


def bot_body(kind: str, subject: str, body: str) -> bytes:
    """The message in the bot's own shape: markdown, subject as its heading."""
    message: dict[str, Any]
    if kind == "wecom":
        content = _clip(f"**{subject}**\n\n{body}", WECOM_MAX_BYTES)
        message = {"msgtype": "markdown", "markdown": {"content": content}}
    else:
        message = {"msgtype": "markdown", "markdown": {"title": subject, "text": f"#### {subject}\n\n{body}"}}
    return json.dumps(message, ensure_ascii=False).encode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` parameter before URL encoding: base64 HmacSHA256 of "{timestamp}\\n{secret}"."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def dingtalk_params(secret: str | None, *, now: float | None = None) -> dict[str, str]:
    """The query parameters a DingTalk robot with 加签 checks (none when it is secured otherwise)."""
    if not secret:
        return {}
    timestamp = int((time.time() if now is None else now) * 1000)
    return {"timestamp": str(timestamp), "sign": dingtalk_sign(secret, timestamp)}


def check_answer(kind: str, status: int, content: bytes) -> None:
    """Raise unless a 2xx answer of the bot says errcode 0; a refusal names its errcode and errmsg."""
    name = NAMES[kind]
    try:
        answer = json.loads(content)
        errcode = int(answer["errcode"])
    except (ValueError, TypeError, KeyError) as e:
        raise TransientFailure(f"{name} answered HTTP {status} without an errcode") from e
    if errcode == 0:
        return
    errmsg = str(answer.get("errmsg", ""))[:300]
    failure = TransientFailure if errcode in RETRIED[kind] else PermanentFailure
    raise failure(f"{name} errcode {errcode}: {errmsg}")
