"""The codec endpoint (`POST /codec/decode`, the Temporal Web UI's codec server) decodes a case's payloads
only for an auditor or supervisor whose jurisdiction covers the case; a relabelled or unlabelled payload
does not pass for a case the caller may read; a sealed reporter identity never opens there."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from google.protobuf import json_format
from sqlalchemy import select
from temporalio.api.common.v1 import Payload

from harness.apptest import App, running_app
from runtime.codec import ENCODING, LABEL, envelope, is_encrypted, label_of, open_envelope
from runtime.settings import get_settings
from runtime.temporal_client import data_converter
from store.schema import sealed_identities

NAME, PHONE = "柳如烟PLANTEDNAME", "13987654321"
CONTENT = "仓库消防通道被堵 PLANTEDCONTENT"


@pytest.fixture
async def app(dev_env, db_url):
    # the API decodes with the key the worker's client encodes with
    async with running_app(
        dev_env.client, db_url, settings_overrides={"seal_key": get_settings().resolved_seal_key()}
    ) as a:
        yield a


async def _tip(app: App, region: str, **extra: Any) -> str:
    body = {"channel": "web", "region": region, "content": f"{CONTENT} {region}", **extra}
    r = await app.http.post("/v1/tips", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _history_payloads(app: App, workflow_id: str) -> list[Payload]:
    history = await app.client.get_workflow_handle(workflow_id).fetch_history()
    found: list[Payload] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("metadata"), dict) and "data" in node:
                found.append(
                    Payload(
                        metadata={k: base64.b64decode(v) for k, v in node["metadata"].items()},
                        data=base64.b64decode(node["data"]),
                    )
                )
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(history.to_json()))
    return found


def _body(payloads: list[Payload]) -> dict[str, Any]:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


def _relabelled(p: Payload, label: str | None) -> Payload:
    """The payload under another label (or none), its sealed bytes unchanged."""
    kid, _, sealed = open_envelope(p.data)
    return Payload(metadata=dict(p.metadata), data=envelope(kid, label, sealed))


async def test_decoding_is_limited_to_cases_within_the_callers_jurisdiction(app) -> None:
    tip = await _tip(app, "500107", reporter={"name": NAME, "contact": PHONE})
    other = await _tip(app, "500200")
    payloads = [p for p in await _history_payloads(app, tip) if is_encrypted(p)]
    body = _body(payloads)

    outsider = app.token("sup-cq2", "supervisor", "500200")
    r = await app.http.post("/codec/decode", json=body, headers=outsider)
    assert r.status_code == 403 and r.json()["rule"] == "jurisdiction", r.text
    assert "PLANTEDCONTENT" not in r.text and "payloads" not in r.json()
    assert payloads and {label_of(p) for p in payloads} == {tip}  # every payload says whose it is

    for who in (app.token("sup-cq1", "supervisor", "500100"), app.token("aud-1", "auditor", "500000")):
        r = await app.http.post("/codec/decode", json=body, headers=who)
        assert r.status_code == 200, r.text
        decoded = [json_format.ParseDict(p, Payload()) for p in r.json()["payloads"]]
        assert len(decoded) == len(payloads) and not any(is_encrypted(p) for p in decoded)
        texts = " ".join(p.data.decode("utf-8", "replace") for p in decoded)
        assert "PLANTEDCONTENT" in texts
        assert NAME not in r.text and PHONE not in r.text  # the sealed identity is not in any payload

    # one payload of another region's case in the request: nothing is decoded
    mixed = _body([*[p for p in await _history_payloads(app, other) if is_encrypted(p)], payloads[0]])
    r = await app.http.post("/codec/decode", json=mixed, headers=outsider)
    assert r.status_code == 403 and "payloads" not in r.json(), r.text

    # relabelling a payload with a case the caller may read, or stripping its label, does not open it
    national = app.token("aud-0", "auditor", "000000")
    for label, who, status in ((other, outsider, 422), (None, outsider, 403), (None, national, 422)):
        r = await app.http.post("/codec/decode", json=_body([_relabelled(payloads[0], label)]), headers=who)
        assert r.status_code == status, (label, r.text)
        assert "PLANTEDCONTENT" not in r.text


async def test_unlabelled_payloads_only_for_national_jurisdiction(app) -> None:
    codec = data_converter(app.settings).payload_codec  # no workflow context: no label
    assert codec is not None
    [unlabelled] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"older"')])
    assert label_of(unlabelled) is None
    for who in (app.token("sup-1", "supervisor", "500100"), app.token("aud-1", "auditor", "500000")):
        r = await app.http.post("/codec/decode", json=_body([unlabelled]), headers=who)
        assert r.status_code == 403 and r.json()["rule"] == "jurisdiction", r.text
        assert "000000" in r.json()["detail"]
    r = await app.http.post(
        "/codec/decode", json=_body([unlabelled]), headers=app.token("a0", "auditor", "000000")
    )
    assert r.status_code == 200, r.text
    assert json_format.ParseDict(r.json()["payloads"][0], Payload()).data == b'"older"'


async def test_a_sealed_identity_never_opens_through_the_codec(app) -> None:
    tip = await _tip(app, "500107", reporter={"name": NAME, "contact": PHONE})
    async with app.engine.connect() as conn:
        row = (await conn.execute(select(sealed_identities).where(sealed_identities.c.tip_id == tip))).one()
    base = {"encoding": ENCODING, "encryption-key-id": row.key_id.encode()}
    national = app.token("aud-0", "auditor", "000000")
    for metadata in (base, {**base, LABEL: tip.encode()}):
        r = await app.http.post(
            "/codec/decode", json=_body([Payload(metadata=metadata, data=row.ciphertext)]), headers=national
        )
        assert r.status_code == 422 and r.json()["field"] == "payloads", r.text
        assert NAME not in r.text and PHONE not in r.text
