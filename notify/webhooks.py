"""Webhook endpoints: where they may point, how their messages are signed, how their addresses are shown.

Targets. A webhook is a request our servers make to an address someone typed in, so it must not reach
what only our servers can reach: loopback, private ranges, link-local (the cloud metadata service at
169.254.169.254), shared, multicast and reserved addresses, also when hidden in an IPv4-mapped, 6to4,
Teredo or NAT64 address or behind a name. Such targets are refused when a webhook is registered and
again just before each send, after resolving the name, and the request then goes to the address that
was checked (a name cannot be re-pointed between the check and the connection). Redirects are never
followed. `HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE=true` lifts the rule for local receivers (the embedded
default, tests).

Signing, as Standard Webhooks (standardwebhooks.com) does: every endpoint has its own secret
`whsec_<base64 of 32 random bytes>` (issued and sealed at rest by store/webhook_secrets.py); each
request carries `webhook-id` (the delivery's idempotency key, the same on every retry),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}" under the decoded secret>`. A
receiver recomputes it with its own secret and rejects a timestamp too far from its clock (replay).

Addresses in the delivery log are shown masked: the user-info, every query value and token-like path
segments (`https://oapi.dingtalk.com/robot/send?access_token=***`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import re
import socket
import time
from collections.abc import Mapping
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from store.webhook_secrets import SECRET_PREFIX

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_PRIVATE_SETTING = "HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE"
TOLERANCE_SECONDS = 300  # what a receiver should accept between our clock and its own
MASK = "***"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TOKEN_SEGMENT = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-.~%=]{16,}$")


class UnsafeTarget(ValueError):
    """A webhook address our servers must not call; the message says why and what is allowed."""


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """Any IPv4 address carried inside an IPv6 one (it says more about the target), then the address."""
    found: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        inner = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        found += [x for x in inner if x is not None]
    return [*found, ip]


def address_kind(ip: IPAddress) -> str | None:
    """Why a request must not go to `ip` (`loopback`, `private`, …), or None for a public address."""
    for a in _embedded(ip):
        for kind, hit in (
            ("loopback", a.is_loopback),
            ("link-local (cloud metadata)", a.is_link_local),
            ("unspecified", a.is_unspecified),
            ("multicast", a.is_multicast),
            ("private", a.is_private),
            ("reserved", a.is_reserved),
            ("not globally routable", not a.is_global),
        ):
            if hit:
                return kind
    return None


def _split(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise UnsafeTarget(f"not a valid URL ({e})") from e
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeTarget("not an http(s) URL with a host")
    return parts, host, port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refusal(host: str, ip: IPAddress) -> UnsafeTarget:
    shown = host if str(ip) == host else f"{host} ({ip})"
    return UnsafeTarget(
        f"{shown} is a {address_kind(ip)} address; webhooks may reach only public internet addresses"
        f" ({ALLOW_PRIVATE_SETTING}=true allows internal ones for local receivers)"
    )


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, ValueError) as e:  # a label over 63 characters, a NUL: no name at all
        raise UnsafeTarget(f"{host[:100]!r} is not a valid host name") from e
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_registration(url: str, *, allow_private: bool, resolve_within: float = 3.0) -> None:
    """Refuse (`UnsafeTarget`) an internal address or a name that resolves to one. A name that does not
    resolve now is accepted: it is checked again before every send."""
    _, host, port = _split(url)
    if allow_private:
        return
    literal = _literal(host)
    try:
        ips = [literal] if literal else await asyncio.wait_for(_resolve(host, port), resolve_within)
    except (OSError, TimeoutError):
        return
    for ip in ips:
        if address_kind(ip):
            raise _refusal(host, ip)


async def pinned_address(url: str, *, allow_private: bool) -> tuple[str, str | None]:
    """The URL to connect to and, when it was rewritten to the checked address, the host name it stands
    for (the TLS server name), after checking every address the name resolves to; `UnsafeTarget` when
    one is internal, OSError when the name does not resolve."""
    parts, host, port = _split(url)
    if allow_private:
        return url, None
    literal = _literal(host)
    ips = [literal] if literal else await _resolve(host, port)
    for ip in ips:
        if address_kind(ip):
            raise _refusal(host, ip)
    if literal:
        return url, None
    userinfo, _, _ = parts.netloc.rpartition("@")
    port_part = f":{parts.port}" if parts.port else ""
    ip_host = f"[{ips[0]}]" if ips[0].version == 6 else str(ips[0])
    netloc = (f"{userinfo}@" if userinfo else "") + ip_host + port_part
    return urlunsplit(parts._replace(netloc=netloc)), host


# ---- secrets and signatures ----------------------------------------------------------------------------


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (Standard Webhooks)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, msg_id: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: the timestamp is recent and one of the `v1` signatures matches."""
    try:
        msg_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split())


# ---- showing addresses ---------------------------------------------------------------------------------


def mask_url(url: str) -> str:
    """The address without what works as a password: user-info, query values, token-like path segments."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    netloc = (f"{MASK}@" if "@" in parts.netloc else "") + (f"[{host}]" if ":" in host else host) + port
    path = "/".join(MASK if _TOKEN_SEGMENT.match(s) else s for s in parts.path.split("/"))
    query = urlencode([(k, MASK) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, quote(path, safe="/*%"), query, ""))
