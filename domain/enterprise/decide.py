"""Enterprise-record commands decided, the clocks of the credit listing, and what a decision entails
(`settle`: the Art. 113 grounds and listing causes the new facts meet). domain/enterprise/rules.py
names the rules and their sources."""

from __future__ import annotations

from pydantic import ValidationError

from domain.actors import parent_region
from domain.base import known
from domain.decider import ChildCaseUpdated, Context, Deadline, DeadlineElapsed
from domain.enterprise.commands import (
    DecideListing,
    DecideRemoval,
    OpenRecord,
    RecordPublication,
    RecordRefusal,
    RequestRemoval,
)
from domain.enterprise.events import (
    CaseFactsRecorded,
    ClosureProposed,
    CreditCauseFound,
    CreditListed,
    DeadlineMissed,
    EnterpriseEvent,
    ListingDeclined,
    ListingPublished,
    ListingRemoved,
    RecordOpened,
    RemovalDecided,
    RemovalRequested,
    StopWorkRefused,
)
from domain.enterprise.evolve import penalties_of
from domain.enterprise.rules import CAUSE_OF_GROUND, closure_grounds, penalty_windows, reporting_failures
from domain.enterprise.state import CaseFacts, EnterpriseState, Status
from domain.errors import Conflict, InvalidCommand
from domain.policy import PolicyPack

FACT_KINDS = frozenset({"hazard", "incident"})


def open_record(s: EnterpriseState, c: OpenRecord, ctx: Context) -> list[EnterpriseEvent]:
    return [
        RecordOpened(
            id=ctx.case_id,
            policy=ctx.policy.ref,
            enterprise_id=c.enterprise_id,
            region=c.region,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def case_facts(s: EnterpriseState, c: ChildCaseUpdated, ctx: Context) -> list[EnterpriseEvent]:
    """A case of the enterprise tells its facts (system): recorded when they changed."""
    if c.child_kind not in FACT_KINDS:
        return []
    if s.status == Status.none:
        raise Conflict("the enterprise record is not open yet", rule="record_not_open")
    try:
        facts = CaseFacts.model_validate(c.summary)
    except ValidationError:
        raise InvalidCommand(
            f"the facts of {c.child_kind} {c.child_id} are not a case's facts", field="summary", rule="schema"
        ) from None
    if s.cases.get(c.child_id) == facts:
        return []
    penalties = penalties_of({**s.cases, c.child_id: facts})
    windows = penalty_windows(penalties, ctx.policy, ctx.now)
    return [CaseFactsRecorded(case_id=c.child_id, facts=facts, windows=windows, at=ctx.now, by=ctx.actor.id)]


def record_refusal(s: EnterpriseState, c: RecordRefusal, ctx: Context) -> list[EnterpriseEvent]:
    order = s.stop_work_in_force(c.case_id)
    if order is None or order.refused_at is not None:
        in_force = sorted({r.case_id for r in s.stop_work if r.lifted_at is None and r.refused_at is None})
        raise InvalidCommand(
            f"no stop-work order of case {c.case_id} is in force unrefused; those in force: "
            + (", ".join(in_force) or "none"),
            field="case_id",
            rule="stop_work_in_force",
            allowed=in_force,
        )
    return [StopWorkRefused(case_id=c.case_id, note=c.note, at=ctx.now, by=ctx.actor.id)]


def departments(policy: PolicyPack) -> list[str]:
    return sorted(policy.table("credit.joint_punishment"))


def decide_listing(s: EnterpriseState, c: DecideListing, ctx: Context) -> list[EnterpriseEvent]:
    causes = list(dict.fromkeys(x.cause for x in s.credit_causes))
    if not c.listed:
        if not c.comment.strip():
            raise InvalidCommand(
                "say why the enterprise is not listed", field="comment", rule="reason_required"
            )
        return [ListingDeclined(causes=causes, comment=c.comment, at=ctx.now, by=ctx.actor.id)]
    if not c.decision_no.strip():
        raise InvalidCommand(
            "a listing is a written decision: give decision_no", field="decision_no", rule="required"
        )
    return [
        CreditListed(
            causes=causes,
            decision_no=c.decision_no,
            publish_due=ctx.policy.add("credit.publish_due", ctx.now),
            until=ctx.policy.add("credit.duration", ctx.now),
            repair_from=ctx.policy.add("credit.repair_after", ctx.now),
            departments=departments(ctx.policy),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def record_publication(s: EnterpriseState, c: RecordPublication, ctx: Context) -> list[EnterpriseEvent]:
    lst = known(s.listing, "listing")
    return [ListingPublished(where=c.where, removal=lst.removed_at is not None, at=ctx.now, by=ctx.actor.id)]


def request_removal(s: EnterpriseState, c: RequestRemoval, ctx: Context) -> list[EnterpriseEvent]:
    lst = known(s.listing, "listing")
    if ctx.now < lst.repair_from:
        raise Conflict(
            f"early removal (信用修复) may be asked from {lst.repair_from.isoformat()} "
            f"({ctx.policy.raw('credit.repair_after')} after the listing)",
            rule="repair_after",
        )
    return [
        RemovalRequested(
            reason=c.reason,
            decision_due=ctx.policy.add("credit.removal_decision_due", ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def removed(because: str, ctx: Context) -> ListingRemoved:
    return ListingRemoved(
        because="expired" if because == "expired" else "repaired",
        publish_due=ctx.policy.add("credit.publish_due", ctx.now),
        departments=departments(ctx.policy),
        at=ctx.now,
        by=ctx.actor.id,
    )


def decide_removal(s: EnterpriseState, c: DecideRemoval, ctx: Context) -> list[EnterpriseEvent]:
    if not c.approved and not c.comment.strip():
        raise InvalidCommand("say why the removal is refused", field="comment", rule="reason_required")
    decided = RemovalDecided(approved=c.approved, comment=c.comment, at=ctx.now, by=ctx.actor.id)
    return [decided, removed("repaired", ctx)] if c.approved else [decided]


# ---- clocks -----------------------------------------------------------------------------------------------


def deadlines(s: EnterpriseState) -> list[Deadline]:
    lst = s.listing
    if lst is None:
        return []
    out: list[Deadline] = []
    if lst.removed_at is None:
        if lst.published_at is None and "publication" not in s.lapsed:
            out.append(Deadline(key="publication", kind="publication", due_at=lst.publish_due))
        out.append(Deadline(key="listing_expiry", kind="listing_expiry", due_at=lst.until))
        due = lst.removal_decision_due
        if lst.removal_requested_at is not None and due is not None and "removal_decision" not in s.lapsed:
            out.append(Deadline(key="removal_decision", kind="removal_decision", due_at=due))
    elif (
        lst.removal_published_at is None and lst.removal_publish_due and "removal_publication" not in s.lapsed
    ):
        out.append(Deadline(key="removal_publication", kind="publication", due_at=lst.removal_publish_due))
    return sorted(out, key=lambda d: (d.due_at, d.key))


def deadline_elapsed(s: EnterpriseState, c: DeadlineElapsed, ctx: Context) -> list[EnterpriseEvent]:
    d = {x.key: x for x in deadlines(s)}.get(c.key)
    if d is None or d.due_at != c.due_at:
        return []  # stale timer
    if d.key == "listing_expiry":
        return [removed("expired", ctx)]
    return [
        DeadlineMissed(
            key=d.key, due_at=d.due_at, escalated_to=parent_region(s.region), at=ctx.now, by=ctx.actor.id
        )
    ]


# ---- what the facts entail ---------------------------------------------------------------------------------


def entailed(after: EnterpriseState, ctx: Context) -> list[EnterpriseEvent]:
    """The Art. 113 grounds newly met (each proposed once) and the listing causes they yield (once
    each, unless already pending or behind the listing in force); then each incident's 瞒报/谎报 newly
    told (a cause found once per incident)."""
    out: list[EnterpriseEvent] = []
    pending = {x.cause for x in after.credit_causes}
    if after.listed:
        pending |= set(known(after.listing, "listing").causes)
    for ground, reason in closure_grounds(after, ctx.policy, ctx.now):
        if ground in after.closure_grounds:
            continue
        out.append(
            ClosureProposed(
                ground=ground,
                reason=f"安全生产法 Art. 113 ({ground}): {reason}: propose closing the enterprise",
                at=ctx.now,
                by=ctx.actor.id,
            )
        )
        cause = CAUSE_OF_GROUND[ground]
        if cause not in pending:
            pending.add(cause)
            out.append(
                CreditCauseFound(
                    cause=cause,
                    reason=str(ctx.policy.table("credit.listing_causes")[cause]),
                    at=ctx.now,
                    by=ctx.actor.id,
                )
            )
    causes = ctx.policy.table("credit.listing_causes")
    for cause, case_id in reporting_failures(after, ctx.policy):
        if f"{cause}:{case_id}" in after.reporting_causes:
            continue
        reason = f"{causes[cause]} ({case_id})"
        out.append(CreditCauseFound(cause=cause, reason=reason, case_id=case_id, at=ctx.now, by=ctx.actor.id))
    return out
