"""The one loop that runs any decider as a Temporal workflow (docs/architecture.md#data-flow-of-one-command).

- commands arrive as the `execute` update; its validator runs `decide` on the current state, so a
  refused command never enters the history;
- handlers are serialised by an asyncio.Lock; each accepted command's events are recorded by one
  `record_events` activity (event store + projection, idempotent), then folded in;
- the earliest deadline of `deadlines(state)` is awaited with `wait_condition(timeout=...)` and turned
  into a `deadline_elapsed` system command through the same `decide`;
- search attributes mirror `index(state)`; children are started as child workflows and report back
  with the `child_updated` signal; continue-as-new carries the state when the server suggests it;
- a case whose facts matter to its enterprise's record (domain/enterprise/facts.py) tells that record's
  workflow (started on demand, one per enterprise) with the `case_facts` signal when they change.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.contracts import (
        RECORD_EVENTS,
        UNSTORABLE_VALUE,
        EventData,
        RecordEventsInput,
        RecordEventsResult,
    )
    from domain.actors import SYSTEM, Actor
    from domain.common import STORABLE_TEXT_RULE
    from domain.decider import (
        ChildCaseUpdated,
        Context,
        Deadline,
        DeadlineElapsed,
        Decider,
        check_system_command,
    )
    from domain.enterprise import case_facts, record_id
    from domain.errors import DomainError, IdempotencyMismatch, InvalidCommand, from_validation
    from domain.registry import specs
    from workflows import search_attributes as sa
    from workflows.contracts import (
        Carried,
        CaseInput,
        CommandRequest,
        CommandResult,
        EventOut,
        ParentRef,
        key_of,
    )

# a transaction of milliseconds: an attempt held by a worker that died is given up after ten seconds, so
# the retry reaches a live worker soon (was 30 s: a command stalled that long, and a deadline could pass
# meanwhile; issue #20). 5 s failed the worker-kill fault test on a loaded machine. The timeout is no part
# of the history's shape: replay is unaffected.
RECORD_TIMEOUT = timedelta(seconds=10)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    non_retryable_error_types=["append_conflict"],
)
# Every patch of this loop up to issue #21, as one. A run started since records this one marker (and the
# SDK's one TemporalChangeVersion upsert beside it) where it recorded one of each per patch: two markers and
# two upserts fewer in a general hazard's history, each a history event and the upserts each a visibility
# write. Runs recorded before replay with the patches they recorded (`CaseWorkflow._patched`).
PATCHES_2026_12 = "patches-2026-12"
BUNDLED_PATCHES = frozenset(
    {
        "refuse-reused-key",
        "enterprise-record",
        "record-reporting-facts",
        "upsert-changed-search-attributes",
        "record-told-behind",
        "record-signalled-first",  # new with the bundle: no run has a marker of its own
    }
)
# Once the server suggests continue-as-new, a child's update (a parent's `child_updated`, a record's
# `case_facts`) is no longer applied by this run but carried to the next, which applies it first. Without
# it a run that is told faster than it records (a record during a storm of its enterprise's cases) never
# has every handler finished at once, so it never continues as new, and once the server's per-run signal
# limit is reached every later telling is refused: seen in `make bench` at 5,000 open cases of one
# enterprise (issue #21). A patch of its own: runs recorded with the bundle applied them in place.
CARRY_DEFERRED_UPDATES = "carry-deferred-updates"
MAX_CACHED_RESULTS = 64
MAX_FIRES_PER_WAKE = 100
KEY_REUSED = IdempotencyMismatch(
    "this Idempotency-Key was already used for another command: send a new key for a new command",
    field="Idempotency-Key",
    rule="idempotency",
)


@dataclass(frozen=True)
class Checked:
    """What the `execute` validator made of a command, handed to its handler (same update id): the parsed
    command and, when the case existed, the events decided on `state` at `now`.

    Only a shortcut: on replay the validator does not run and the handler parses and decides itself;
    deciding is a pure function of (state, command, actor, now), so both give the same events."""

    command: Any
    state: Any
    now: datetime
    events: list[Any] | None


@dataclass(frozen=True)
class Telling:
    """One telling of an enterprise's record: the facts of a case at the moment they changed."""

    record_id: str
    enterprise_id: str
    region: str
    update: ChildCaseUpdated


def update_id() -> str:
    """The id of the update whose validator or handler is running."""
    info = workflow.current_update_info()
    assert info is not None, "called outside an update"
    return info.id


def domain_failure(err: DomainError) -> ApplicationError:
    return ApplicationError(err.detail, err.to_dict(), type=err.code, non_retryable=True)


def validation_failure(err: ValidationError, tag: object = None) -> ApplicationError:
    return domain_failure(from_validation(err, tag))


def record_refusal(err: ActivityError) -> ApplicationError | None:
    """The command's own failure when the event store refused one of its values (record_events says so
    with a non-retryable `unstorable_value`): the command is invalid, the case is not broken."""
    cause = err.cause
    if not (isinstance(cause, ApplicationError) and cause.type == UNSTORABLE_VALUE):
        return None
    return domain_failure(
        InvalidCommand(
            f"the event store cannot keep a value of this command: {STORABLE_TEXT_RULE}",
            rule="storable_value",
        )
    )


class CaseWorkflow:
    """Base of every case workflow.

    A subclass is a @workflow.defn that sets `decider` and defines (the SDK wants them on the class itself):

        @workflow.init
        def __init__(self, inp: CaseInput) -> None:
            super().__init__(inp)

        @workflow.run
        async def run(self, inp: CaseInput) -> dict[str, Any]:
            return await self.run_case(inp)
    """

    decider: ClassVar[Decider[Any, Any, Any]]
    # child kind → workflow type name, for children a decider asks for
    child_workflows: ClassVar[dict[str, str]] = {spec.name: spec.workflow_type for spec in specs()}

    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._lock = asyncio.Lock()
        self._wake = False
        self._results: dict[str, CommandResult] = {}
        self._creation: CommandResult | None = None
        self._refusal: ApplicationError | None = None  # why the creation command was refused
        # deadline firings that were refused or recorded nothing: not fired again at once (or the loop
        # would spin on them), they are owed again only once the state names another due time
        self._spent_deadlines: set[tuple[str, datetime]] = set()
        self._checked: dict[str, Checked] = {}  # by update id, from `execute`'s validator to its handler
        self._records_opened: set[str] = set()  # enterprise records this run has started (or found)
        self._tellings: deque[Telling] = deque()  # told behind the answers, in order (record-told-behind)
        self._teller_running = False
        self._teller: asyncio.Task[None] | None = None
        # child updates not applied by this run, in arrival order (CARRY_DEFERRED_UPDATES): carried by
        # continue-as-new; a run that received some applies them before any update that arrives after
        self._deferred: list[ChildCaseUpdated] = []
        if inp.carried is not None:
            self._state = self.decider.parse_state(inp.carried.state)
            self._version = inp.carried.version
            self._results = dict(inp.carried.results)
            self._deferred = list(inp.carried.deferred)
        else:
            self._state = self.decider.initial_state()
            self._version = 0

    # ---- the loop -------------------------------------------------------------------------------------

    async def run_case(self, inp: CaseInput) -> dict[str, Any]:
        if inp.carried is None:
            async with self._lock:
                try:
                    command = self._parse(inp.command, inp.actor)
                    self._creation = await self._apply(command, inp.actor, inp.command_id or "create")
                except ApplicationError as e:
                    # nothing was recorded, so there is no case: the waiting `created` update (and any
                    # early command) answers with the refusal, then the workflow fails with it
                    self._refusal = e
            if self._refusal is not None:
                await workflow.wait_condition(self._tellings_done)
                raise self._refused()
        elif self._deferred:
            await self._apply_deferred()  # what the previous run was told once it was about to continue
        while True:
            await self._fire_due()
            index = self.decider.index(self._state)
            owed = self._owed()
            if index.terminal and not owed:
                break
            if workflow.info().is_continue_as_new_suggested():
                break
            self._wake = False
            if owed:
                delay = (owed[0].due_at - workflow.now()).total_seconds()
                if delay > 0:
                    try:
                        await workflow.wait_condition(
                            self._woken,
                            timeout=timedelta(seconds=delay),
                            timeout_summary=f"deadline {owed[0].key}",
                        )
                    except TimeoutError:
                        pass  # the deadline passed: _fire_due at the top of the loop handles it
            else:
                await workflow.wait_condition(self._woken)
        await workflow.wait_condition(self._tellings_done)  # no telling is lost
        if self._deferred and self.decider.index(self._state).terminal:
            await self._apply_deferred()  # a run that ends has no next run to carry them to
            await workflow.wait_condition(self._tellings_done)
        if not self.decider.index(self._state).terminal:
            workflow.continue_as_new(
                self._inp.model_copy(
                    update={
                        "carried": Carried(
                            state=self._state.model_dump(mode="json"),
                            version=self._version,
                            results=self._recent_results(),
                            deferred=list(self._deferred),
                        )
                    }
                )
            )
        return self._view()

    def _woken(self) -> bool:
        return self._wake or workflow.info().is_continue_as_new_suggested()

    def _owed(self) -> list[Deadline]:
        """The state's deadlines, earliest first, but those whose firing was refused or recorded nothing:
        such a firing is not retried at once, or the loop would spin on it; the others still fire."""
        owed = (
            d for d in self.decider.deadlines(self._state) if (d.key, d.due_at) not in self._spent_deadlines
        )
        return sorted(owed, key=lambda d: d.due_at)

    async def _fire_due(self) -> None:
        for _ in range(MAX_FIRES_PER_WAKE):
            now = workflow.now()
            due = [d for d in self._owed() if d.due_at <= now]
            if not due:
                return
            async with self._lock:
                d = due[0]
                try:
                    fired = await self._apply(DeadlineElapsed(key=d.key, due_at=d.due_at), SYSTEM, None)
                except ApplicationError as e:
                    workflow.logger.error("deadline %s refused: %s", d.key, e)
                    self._spent_deadlines.add((d.key, d.due_at))
                    continue
                if not fired.events:
                    workflow.logger.warning("deadline %s at %s recorded nothing", d.key, d.due_at)
                    self._spent_deadlines.add((d.key, d.due_at))
        workflow.logger.error("more than %d deadlines fired at one instant; deferring", MAX_FIRES_PER_WAKE)

    # ---- commands ---------------------------------------------------------------------------------------

    @workflow.update
    async def execute(self, req: CommandRequest) -> CommandResult:
        checked = self._checked.pop(update_id(), None)  # None on replay
        if req.command_id and req.command_id in self._results:
            return self._results[req.command_id]
        await self._wait_created()
        async with self._lock:
            if req.command_id and req.command_id in self._results:
                return self._results[req.command_id]
            # two requests with one key and different bodies at once: the second is refused here
            if self._key_reused(req.command_id) and self._patched("refuse-reused-key"):
                raise domain_failure(KEY_REUSED)
            if checked is None:
                return await self._apply(self._parse(req.command, req.actor), req.actor, req.command_id)
            # the validator's decision stands while nothing it was taken on has changed
            same = checked.state is self._state and checked.now == workflow.now()
            decided = checked.events if same else None
            return await self._apply(checked.command, req.actor, req.command_id, decided)

    @execute.validator
    def _validate_execute(self, req: CommandRequest) -> None:
        """Refuses a command before it enters the history: parsed, and decided once the case exists (during
        the first milliseconds of a case the handler decides after creation)."""
        if req.command_id and req.command_id in self._results:
            return
        if self._key_reused(req.command_id):
            raise domain_failure(KEY_REUSED)
        command = self._parse(req.command, req.actor)
        events = self._decide(command, req.actor) if self._created() else None
        checked = Checked(command, self._state, workflow.now(), events)
        self._checked[update_id()] = checked

    @workflow.update
    async def created(self) -> CommandResult:
        """Waits until the creation command is recorded; answers the case as created (the API's 201), or
        fails with the creation's refusal."""
        await self._wait_created()
        return self._creation or CommandResult(case=self._view(), version=self._version, events=[])

    def _created(self) -> bool:
        return self._version > 0

    async def _wait_created(self) -> None:
        await workflow.wait_condition(lambda: self._created() or self._refusal is not None)
        if not self._created():
            raise self._refused()

    def _refused(self) -> ApplicationError:
        """The creation's refusal, a fresh exception for each handler that answers with it."""
        e = self._refusal
        assert e is not None
        return ApplicationError(e.message, *e.details, type=e.type, non_retryable=True)

    def _key_reused(self, command_id: str | None) -> bool:
        """Another command (another body or user) was applied under this command's idempotency key."""
        if not command_id:
            return False
        key = key_of(command_id)
        return any(key_of(c) == key and c != command_id for c in self._results)

    @workflow.signal
    async def child_updated(self, update: ChildCaseUpdated) -> None:
        await self._child_update(update)

    async def _child_update(self, update: ChildCaseUpdated) -> None:
        async with self._lock:
            if self._deferred or self._defers():
                self._deferred.append(update)  # behind those deferred before it: the order is kept
                return
            await self._apply_child(update)

    async def _apply_child(self, update: ChildCaseUpdated) -> None:
        try:
            await self._apply(update, SYSTEM, None)
        except ApplicationError as e:
            workflow.logger.warning("child update %s refused: %s", update.child_id, e)

    def _about_to_continue(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() and not self.decider.index(self._state).terminal

    def _defers(self) -> bool:
        """Whether a child's update is carried to the next run rather than applied (CARRY_DEFERRED_UPDATES).
        The patch is asked only once continue-as-new is suggested, the one case where this run acts
        differently from runs recorded before it."""
        return self._about_to_continue() and self._patched(CARRY_DEFERRED_UPDATES)

    async def _apply_deferred(self) -> None:
        """Apply the deferred updates in order, until none is left or this run is about to continue."""
        async with self._lock:
            while self._deferred and not self._about_to_continue():
                await self._apply_child(self._deferred.pop(0))

    @workflow.query
    def state(self) -> dict[str, Any]:
        return self._view()

    # ---- internals ----------------------------------------------------------------------------------------

    def _patched(self, patch_id: str) -> bool:
        """`workflow.patched(patch_id)`, but a run that has the bundle of every patch up to issue #21 has
        them all without a marker each. The bundle is asked first: replaying a run recorded before it, the
        bundle is absent (and memoised so by the SDK for the run) and each patch answers as recorded; a new
        run records the bundle's marker once, at its first patched step."""
        if patch_id in BUNDLED_PATCHES and workflow.patched(PATCHES_2026_12):
            return True
        return workflow.patched(patch_id)

    def _view(self) -> dict[str, Any]:
        return {**self.decider.view(self._state), "version": self._version}

    def _parse(self, data: dict[str, Any], actor: Actor) -> Any:
        try:
            check_system_command(data.get("type"), actor)  # before parsing: a person learns no more
            return self.decider.parse_command(data)
        except ValidationError as e:
            raise validation_failure(e, data.get("type")) from None
        except DomainError as e:
            raise domain_failure(e) from None

    def _ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, now=workflow.now(), policy=self._inp.policy, case_id=self._inp.case_id)

    def _decide(self, command: Any, actor: Actor) -> list[Any]:
        try:
            return self.decider.decide(self._state, command, self._ctx(actor))
        except DomainError as e:
            raise domain_failure(e) from None
        except ValidationError as e:
            raise validation_failure(e) from None
        except (ValueError, TypeError) as e:
            raise domain_failure(InvalidCommand(str(e))) from None

    async def _apply(
        self, command: Any, actor: Actor, command_id: str | None, decided: list[Any] | None = None
    ) -> CommandResult:
        """Decides the command (unless `decided` holds its events, decided on the current state now), then
        records, folds and answers."""
        events = self._decide(command, actor) if decided is None else decided
        if not events:
            return CommandResult(case=self._view(), version=self._version, events=[])
        now = workflow.now()
        # The state moves on as soon as the rules have decided, before the events are recorded: a command
        # validated meanwhile (the projection may already show the new state) is judged on the state these
        # events make. Should recording fail, the state goes back and the failure is the command's.
        previous = self._state
        summary_before = self.decider.summary(previous)
        children = []
        for e in events:
            before = self._state
            self._state = self.decider.evolve(self._state, e)
            children.extend(self.decider.children(before, e, self._state))
        try:
            recorded: RecordEventsResult = await workflow.execute_activity(
                RECORD_EVENTS,
                RecordEventsInput(
                    stream_id=self._inp.case_id,
                    kind=self.decider.kind,
                    expected_version=self._version,
                    events=[EventData(type=e.type, data=e.model_dump(mode="json")) for e in events],
                    actor=actor,
                    occurred_at=now,
                    policy=self._inp.policy.ref,
                    command_id=command_id,
                    parent_id=self._inp.parent.case_id if self._inp.parent else None,
                ),
                result_type=RecordEventsResult,
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        except ActivityError as e:
            self._state = previous
            refusal = record_refusal(e)
            if refusal is None:
                raise
            raise refusal from None
        except BaseException:
            self._state = previous
            raise
        # the enterprise's record is told of the facts of this moment: behind the answer, in order (issue
        # #21: awaiting the start and the signal cost the command two more workflow tasks); histories
        # recorded before then told it before the command counted as done (its answer, `created`)
        telling = self._record_telling(previous)
        if telling is not None:
            if self._patched("record-told-behind"):
                self._tell_behind(telling)
            else:
                await self._tell_record(telling)
        self._version = recorded.version
        self._wake = True
        self._upsert_search_attributes()
        for child in children:
            await self._start_child(child)
        if self._inp.parent is not None:
            summary = self.decider.summary(self._state)
            if summary != summary_before:
                await self._tell_parent(self._inp.parent, summary)
        result = CommandResult(
            case=self._view(),
            version=self._version,
            events=[EventOut(version=r.version, type=r.type, data=r.data) for r in recorded.events],
        )
        if command_id:
            self._results[command_id] = result
            if len(self._results) > MAX_CACHED_RESULTS:
                self._results.pop(next(iter(self._results)))
        return result

    def _recent_results(self) -> dict[str, CommandResult]:
        return dict(list(self._results.items())[-MAX_CACHED_RESULTS:])

    def _upsert_search_attributes(self) -> None:
        """Mirror `index(state)` in the search attributes. Since the `upsert-changed-search-attributes`
        patch only those whose value differs from the workflow's current ones (as started, continued or
        last upserted) are sent, and none at all when nothing changed: each upsert is a history event and a
        visibility write on the server (issue #21). Histories recorded before it replay upserting all."""
        idx = self.decider.index(self._state)
        wanted: list[tuple[SearchAttributeKey[Any], Any]] = [
            (sa.CASE_KIND, self.decider.kind),
            (sa.CASE_STATUS, idx.status),
            (sa.REGION, idx.region),
            (sa.OVERDUE, idx.overdue),
            (sa.CASE_LEVEL, idx.level or None),
            (sa.ENTERPRISE_ID, idx.enterprise_id or None),
            (sa.NEXT_DUE_AT, idx.next_due_at or None),
        ]
        if self._patched("upsert-changed-search-attributes"):
            current = workflow.info().typed_search_attributes
            wanted = [(k, v) for k, v in wanted if current.get(k) != v]
        updates: list[SearchAttributeUpdate[Any]] = [
            k.value_unset() if v is None else k.value_set(v) for k, v in wanted
        ]
        if updates:
            workflow.upsert_search_attributes(updates)

    async def _start_child(self, child: Any) -> None:
        await self._start_case(
            CaseInput(
                case_id=child.case_id,
                kind=child.kind,
                policy=self._inp.policy,
                command=child.command,
                actor=SYSTEM,
                command_id="create",
                parent=ParentRef(case_id=self._inp.case_id, kind=self.decider.kind, ref=child.ref),
            )
        )

    async def _start_case(self, case: CaseInput) -> None:
        """Start another case's workflow, abandoned when this one closes; one that exists already is fine."""
        from temporalio.workflow import ParentClosePolicy

        try:
            await workflow.start_child_workflow(
                self.child_workflows[case.kind],
                case,
                id=case.case_id,
                task_queue=workflow.info().task_queue,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except Exception as e:
            if type(e).__name__ == "WorkflowAlreadyStartedError":
                workflow.logger.info("case %s already exists", case.case_id)
            else:
                raise

    def _record_telling(self, previous: Any) -> Telling | None:
        """What the enterprise's record (started on demand) is to be told of this case's facts, when they
        changed. Behind patches: histories recorded before the enterprise record existed replay without
        these commands, and those recorded before an incident told its 瞒报/谎报 replay with the facts told
        then. Decided when the facts change, so each telling carries the facts of its moment."""
        kind = self.decider.kind
        told, before = case_facts(kind, self._state), case_facts(kind, previous)
        old = case_facts(kind, self._state, reporting=False), case_facts(kind, previous, reporting=False)
        if (told, before) != old and not self._patched("record-reporting-facts"):
            told, before = old
        if told is None or told == before or "enterprise" not in self.child_workflows:
            return None
        if not self._patched("enterprise-record"):
            return None
        enterprise_id, region, facts = told
        update = ChildCaseUpdated(
            child_id=self._inp.case_id, child_kind=self.decider.kind, ref="facts", summary=facts
        )
        return Telling(record_id(enterprise_id), enterprise_id, region, update)

    def _tell_behind(self, telling: Telling) -> None:
        """Queue the telling behind the command's answer: one teller per run tells them one after another
        (first in, first out); the run waits for the queue to empty before it completes or continues."""
        self._tellings.append(telling)
        if not self._teller_running:
            self._teller_running = True
            self._teller = asyncio.create_task(self._teller_loop())

    async def _teller_loop(self) -> None:
        try:
            while self._tellings:
                await self._tell_record(self._tellings[0])
                self._tellings.popleft()
        finally:
            self._teller_running = False

    def _tellings_done(self) -> bool:
        return workflow.all_handlers_finished() and not self._tellings

    async def _tell_record(self, telling: Telling) -> None:
        """Signal the enterprise's record, started first when it does not exist yet. Since the bundle of
        patches the record is signalled first and started only when that fails (the enterprise's first
        case): an enterprise's later cases no longer each carry a start of its record (its input holds the
        policy pack) that fails as already started, nor the workflow task its outcome wakes (issue #21)."""
        rid = telling.record_id
        # the case's own command stands whatever happens here; the record hears of the next change
        try:
            if rid not in self._records_opened and self._patched("record-signalled-first"):
                try:
                    await workflow.get_external_workflow_handle(rid).signal("case_facts", telling.update)
                    self._records_opened.add(rid)
                    return
                except ApplicationError as e:  # not found: the enterprise's first case starts it below
                    workflow.logger.info("record %s not signalled (%s): starting it", rid, e)
            if rid not in self._records_opened:
                command = {
                    "type": "open_record",
                    "enterprise_id": telling.enterprise_id,
                    "region": telling.region,
                }
                await self._start_case(
                    CaseInput(
                        case_id=rid,
                        kind="enterprise",
                        policy=self._inp.policy,
                        command=command,
                        actor=SYSTEM,
                        command_id="create",
                    )
                )
                self._records_opened.add(rid)
            await workflow.get_external_workflow_handle(rid).signal("case_facts", telling.update)
        except Exception as e:
            workflow.logger.warning("record %s not told of %s: %s", rid, self._inp.case_id, e)

    async def _tell_parent(self, parent: ParentRef, summary: dict[str, Any]) -> None:
        handle = workflow.get_external_workflow_handle(parent.case_id)
        try:
            await handle.signal(
                "child_updated",
                ChildCaseUpdated(
                    child_id=self._inp.case_id, child_kind=self.decider.kind, ref=parent.ref, summary=summary
                ),
            )
        except Exception as e:
            workflow.logger.warning("parent %s not told of %s: %s", parent.case_id, self._inp.case_id, e)
