"""The enterprise record's evolve: one event folded in; never fails."""

from __future__ import annotations

from typing import Any

from domain.enterprise.events import (
    CaseFactsRecorded,
    ClosureProposed,
    CreditCauseFound,
    CreditListed,
    DeadlineMissed,
    ListingDeclined,
    ListingPublished,
    ListingRemoved,
    RecordOpened,
    RemovalDecided,
    RemovalRequested,
    StopWorkRefused,
)
from domain.enterprise.state import (
    CaseFacts,
    ClosureProposal,
    CreditCause,
    EnterpriseState,
    Listing,
    PenaltyFact,
    Status,
    StopWorkRecord,
)


def _stop_work(s: EnterpriseState, case_id: str, facts: CaseFacts, at: Any) -> list[StopWorkRecord]:
    """The stop-work orders after a case's facts: a new order opens a record, a lifted one closes it."""
    records = list(s.stop_work)
    current = s.stop_work_in_force(case_id)
    if current is not None and current.scope != facts.stop_work:
        records[records.index(current)] = current.model_copy(update={"lifted_at": at})
        current = None
    if current is None and facts.stop_work != "none":
        ordered_at = facts.stop_work_since or at
        records.append(StopWorkRecord(case_id=case_id, scope=facts.stop_work, ordered_at=ordered_at))
    return records


def penalties_of(cases: dict[str, CaseFacts]) -> list[PenaltyFact]:
    seen: dict[tuple[str, str], PenaltyFact] = {}
    for c in cases.values():
        for p in c.penalties:
            seen.setdefault((p.case_id, p.decision_no), p)
    return sorted(seen.values(), key=lambda p: (p.at, p.case_id, p.decision_no))


def _listing(s: EnterpriseState, **update: Any) -> Listing | None:
    return s.listing.model_copy(update=update) if s.listing is not None else None


def evolve(s: EnterpriseState, e: Any) -> EnterpriseState:
    u: dict[str, Any] = {"updated_at": e.at}
    match e:
        case RecordOpened():
            u.update(
                id=e.id,
                policy=e.policy,
                status=Status.active,
                enterprise_id=e.enterprise_id,
                region=e.region,
                created_at=e.at,
            )
        case CaseFactsRecorded():
            cases = {**s.cases, e.case_id: e.facts}
            u.update(
                cases=cases, penalties=penalties_of(cases), stop_work=_stop_work(s, e.case_id, e.facts, e.at)
            )
            if e.windows:
                u.update(penalty_windows=e.windows, windows_as_of=e.at)
        case StopWorkRefused():
            order = s.stop_work_in_force(e.case_id)
            if order is not None:
                records = list(s.stop_work)
                records[records.index(order)] = order.model_copy(
                    update={"refused_at": e.at, "refusal_note": e.note}
                )
                u["stop_work"] = records
        case ClosureProposed():
            u["closure"] = [*s.closure, ClosureProposal(ground=e.ground, reason=e.reason, at=e.at)]
        case CreditCauseFound():
            found = CreditCause(cause=e.cause, reason=e.reason, at=e.at, case_id=e.case_id)
            u["credit_causes"] = [*s.credit_causes, found]
            if e.case_id is not None:
                u["reporting_causes"] = [*s.reporting_causes, f"{e.cause}:{e.case_id}"]
        case ListingDeclined():
            u["credit_causes"] = []
        case CreditListed():
            past = [*s.past_listings, s.listing] if s.listing is not None else s.past_listings
            u.update(
                past_listings=past,
                credit_causes=[],
                lapsed=[
                    k for k in s.lapsed if k not in ("publication", "removal_publication", "removal_decision")
                ],
                listing=Listing(
                    causes=e.causes,
                    decision_no=e.decision_no,
                    listed_at=e.at,
                    by=e.by,
                    publish_due=e.publish_due,
                    until=e.until,
                    repair_from=e.repair_from,
                ),
            )
        case ListingPublished():
            if e.removal:
                u["listing"] = _listing(s, removal_published_at=e.at)
            else:
                u["listing"] = _listing(s, published_at=e.at, published_where=e.where)
        case RemovalRequested():
            u["listing"] = _listing(
                s, removal_requested_at=e.at, removal_reason=e.reason, removal_decision_due=e.decision_due
            )
        case RemovalDecided():
            if not e.approved:
                u["listing"] = _listing(
                    s, removal_requested_at=None, removal_reason="", removal_decision_due=None
                )
                u["lapsed"] = [k for k in s.lapsed if k != "removal_decision"]
        case ListingRemoved():
            u["listing"] = _listing(
                s, removed_at=e.at, removed_because=e.because, removal_publish_due=e.publish_due
            )
        case DeadlineMissed():
            u["lapsed"] = [*s.lapsed, e.key]
    return s.model_copy(update=u)
