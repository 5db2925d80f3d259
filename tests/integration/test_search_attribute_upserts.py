"""A case upserts only the search attributes a command changed, and nothing when none changed (issue #21:
each upsert is a history event and a visibility write on the server). Behind the
`upsert-changed-search-attributes` patch: histories recorded before it replay upserting all seven
(tests/replay)."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from tests.integration.test_case_workflow import INSPECTOR, harness, start
from tests.support.ticket_workflow import TicketWorkflow
from workflows import search_attributes as sa
from workflows.contracts import CommandRequest

__all__ = ["harness"]  # the fixture, shared with the case loop's tests

CHANGE_VERSION = "TemporalChangeVersion"  # the SDK's own upsert for a patch marker


async def upserted_keys(handle: WorkflowHandle) -> list[set[str]]:
    """The search attributes each of the case's own upserts names (set or unset), in order."""
    out: list[set[str]] = []
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            keys = set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
            if keys != {CHANGE_VERSION}:
                out.append(keys)
    return out


async def test_a_case_upserts_only_the_search_attributes_a_command_changed(harness) -> None:
    client, queue, _engine = harness
    handle = await start(client, queue)
    for text in ("one", "two", "three"):
        command = {"type": "note", "text": text}
        await handle.execute_update(TicketWorkflow.execute, CommandRequest(command=command, actor=INSPECTOR))
    close = {"type": "close", "reason": "done"}
    await handle.execute_update(TicketWorkflow.execute, CommandRequest(command=close, actor=INSPECTOR))
    await handle.result()

    # opening sets what the ticket's index has (no level, no enterprise: nothing to unset); the three notes
    # change nothing indexed; closing changes the status and ends the deadline
    assert await upserted_keys(handle) == [
        {"CaseKind", "CaseStatus", "Region", "Overdue", "NextDueAt"},
        {"CaseStatus", "NextDueAt"},
    ]
    found = (await handle.describe()).typed_search_attributes
    assert found.get(sa.CASE_STATUS) == "closed" and found.get(sa.REGION) == "500107"
    assert found.get(sa.CASE_KIND) == "ticket" and found.get(sa.OVERDUE) is False
    assert found.get(sa.NEXT_DUE_AT) is None and found.get(sa.CASE_LEVEL) is None
