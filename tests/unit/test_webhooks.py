"""Webhook targets, signatures and masked addresses (notify/webhooks.py), without servers."""

from __future__ import annotations

import ipaddress

import pytest

from notify.webhooks import (
    UnsafeTarget,
    address_kind,
    check_registration,
    mask_url,
    pinned_address,
    signed_headers,
    verify,
)
from store.webhook_secrets import new_secret


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.2", "loopback"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),  # `is_global` says True for it
        ("100.64.0.1", "not globally routable"),
        ("::1", "loopback"),
        ("fd00::1", "private"),
        ("::ffff:169.254.169.254", "link-local (cloud metadata)"),  # IPv4-mapped
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1, which `is_global` calls global
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_internal_addresses_are_named_and_public_ones_pass(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "http:///nohost", "http://[::1", "http://" + "a" * 70 + ".com/"]
)
async def test_what_is_not_an_http_url_with_a_host_is_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        await check_registration(url, allow_private=True if "ftp" in url else False)


async def test_a_literal_public_address_is_called_as_it_is_and_a_private_one_only_when_allowed() -> None:
    assert await pinned_address("https://8.8.8.8/h?x=1", allow_private=False) == (
        "https://8.8.8.8/h?x=1",
        None,
    )
    with pytest.raises(UnsafeTarget, match="loopback"):
        await pinned_address("http://localhost:9/h", allow_private=False)
    assert await pinned_address("http://localhost:9/h", allow_private=True) == ("http://localhost:9/h", None)


def test_a_receiver_accepts_a_fresh_signature_with_its_secret_only() -> None:
    secret, other = new_secret(), new_secret()
    body = b'{"case_id": "HZ-1"}'
    headers = signed_headers(secret, "7:3:webhook", body, now=1_800_000_000)
    assert verify(secret, headers, body, now=1_800_000_100)
    assert not verify(other, headers, body, now=1_800_000_100)
    assert not verify(secret, headers, body + b" ", now=1_800_000_100)
    assert not verify(secret, headers, body, now=1_800_000_000 + 301)  # stale: a replay
    assert not verify(secret, {**headers, "webhook-timestamp": "1800000100"}, body, now=1_800_000_100)
    rotated = {**headers, "webhook-signature": "v1,bm90LXRoaXM= " + headers["webhook-signature"]}
    assert verify(secret, rotated, body, now=1_800_000_000)  # several signatures, space-separated


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://oapi.dingtalk.com/robot/send?access_token=0123abcd",
            "https://oapi.dingtalk.com/robot/send?access_token=***",
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        ("http://user:pw@sms.example.com:8080/api", "http://***@sms.example.com:8080/api"),
        (
            "https://hooks.example.com/services/T00/B00/abcdefghij0123456789",
            "https://hooks.example.com/services/T00/B00/***",
        ),
        ("https://example.com/notify-the-office#frag", "https://example.com/notify-the-office"),
    ],
)
def test_masked_addresses_keep_the_place_and_hide_what_works_as_a_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


async def test_a_name_is_called_at_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No public DNS here: the resolver stands in for it, answering as a re-pointed name would."""
    answers = {
        "hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"],
        "evil.example.com": ["8.8.8.8", "10.0.0.7"],
    }

    async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr("notify.webhooks._resolve", resolve)
    assert await pinned_address("https://u:p@hooks.example.com:8443/x?k=1", allow_private=False) == (
        "https://u:p@93.184.216.34:8443/x?k=1",
        "hooks.example.com",
    )
    with pytest.raises(UnsafeTarget, match=r"evil.example.com \(10.0.0.7\) is a private address"):
        await pinned_address("https://evil.example.com/x", allow_private=False)  # any internal answer
    with pytest.raises(UnsafeTarget, match="private"):
        await check_registration("https://evil.example.com/x", allow_private=False)
