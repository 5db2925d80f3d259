"""The campaign decider (专项行动): the shared skeleton (domain/base.py) with the campaign's rules.

    (none) --launch (supervisor)--> active --deadline (system clock, end of the deadline day)-->
    deadline_passed --the hazards still open listed (system)--> explanations_owed | closed
    explanations_owed --explain_overdue for each (enterprise of the hazard, inspector, supervisor)--> closed
    active … explanations_owed: sign_report (supervisor, inspector) records a signed periodic report

Sources: seed 003 三、(一) (three lists; open at the deadline → a written explanation to the district
safety office 区政府安委办; 确难整改 → put to the district government) and the seed's closing paragraph
(periodic reports 由分管领导签发, the summary 由主要领导签发). Which hazards are under a campaign:
domain/campaign/scope.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from domain.access import check_acts
from domain.actors import Role, region_covers
from domain.base import CaseDecider, Handler, Reads, known, on
from domain.campaign.model import (
    OVERDUE_LISTING,
    CampaignCommand,
    CampaignEvent,
    CampaignState,
    DeadlineReached,
    ExplainOverdue,
    Launch,
    Launched,
    OverdueExplained,
    OverdueHazard,
    OverdueListed,
    ReportSigned,
    SignReport,
    Status,
)
from domain.campaign.scope import ends_at
from domain.decider import (
    CaseIndex,
    ChildCaseUpdated,
    Context,
    Deadline,
    DeadlineElapsed,
    KindSpec,
    Notice,
)
from domain.errors import InvalidCommand

E, INS, S = Role.enterprise, Role.inspector, Role.supervisor
ROLES: dict[str, frozenset[Role]] = {
    "launch": frozenset({S}),
    "sign_report": frozenset({S, INS}),
    "explain_overdue": frozenset({E, INS, S}),
}
OPEN = (Status.active, Status.deadline_passed, Status.explanations_owed)
ALLOWED: dict[Status, list[str]] = {
    Status.none: ["launch"],
    Status.active: ["sign_report"],
    Status.deadline_passed: ["sign_report"],
    Status.explanations_owed: ["sign_report", "explain_overdue"],
    Status.closed: [],
}


# ---- decide ------------------------------------------------------------------------------------------------


def launch(s: CampaignState, c: Launch, ctx: Context) -> list[CampaignEvent]:
    outside = [r for r in c.regions if not region_covers(c.region, r)]
    if outside:
        raise InvalidCommand(
            f"scope regions {', '.join(outside)} are outside the campaign's region {c.region}: a campaign "
            f"covers only regions within the office that runs it",
            field="regions",
            rule="campaign_scope",
        )
    if c.deadline < c.starts_on:
        raise InvalidCommand(
            f"the deadline {c.deadline} is before the start {c.starts_on}",
            field="deadline",
            rule="deadline_after_start",
        )
    end = ends_at(c.deadline)
    if end <= ctx.now:
        raise InvalidCommand(
            f"the deadline day {c.deadline} is over already", field="deadline", rule="future_deadline"
        )
    return [
        Launched(
            id=ctx.case_id,
            title=c.title,
            region=c.region,
            regions=sorted(set(c.regions)),
            industries=sorted(set(c.industries)),
            starts_on=c.starts_on,
            deadline=c.deadline,
            ends_at=end,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def sign_report(s: CampaignState, c: SignReport, ctx: Context) -> list[CampaignEvent]:
    return [
        ReportSigned(
            period=c.period,
            content_sha256=c.content_sha256,
            signer_id=ctx.actor.id,
            signer_name=ctx.actor.name or ctx.actor.id,
            signer_title=c.signer_title,
            at=ctx.now,
        )
    ]


def explain_overdue(s: CampaignState, c: ExplainOverdue, ctx: Context) -> list[CampaignEvent]:
    owed = {h.id: h for h in s.overdue}
    if c.hazard_id not in owed:
        raise InvalidCommand(
            f"hazard {c.hazard_id} is not one of the {len(owed)} hazards under this campaign still open at "
            "its deadline: only those owe a written explanation",
            field="hazard_id",
            rule="campaign_scope",
        )
    if any(e.hazard_id == c.hazard_id for e in s.explanations):
        raise InvalidCommand(
            f"hazard {c.hazard_id} is explained already", field="hazard_id", rule="duplicate"
        )
    return [
        OverdueExplained(
            hazard_id=c.hazard_id,
            explanation=c.explanation,
            refer_to_government=c.refer_to_government,
            by=ctx.actor.id,
            by_name=ctx.actor.name or ctx.actor.id,
            at=ctx.now,
        )
    ]


def deadline_elapsed(s: CampaignState, c: DeadlineElapsed, ctx: Context) -> list[CampaignEvent]:
    owed = {(d.key, d.due_at) for d in deadlines(s)}
    if (c.key, c.due_at) not in owed:
        return []  # stale timer
    return [DeadlineReached(at=ctx.now)]


def overdue_listed(s: CampaignState, c: ChildCaseUpdated, ctx: Context) -> list[CampaignEvent]:
    """The hazards under the campaign still open at its deadline, as the system read them then."""
    if c.ref != OVERDUE_LISTING or s.status != Status.deadline_passed:
        return []
    hazards = TypeAdapter(list[OverdueHazard]).validate_python(c.summary.get("hazards", []))
    return [OverdueListed(hazards=hazards, at=ctx.now)]


HANDLERS: dict[str, Handler[CampaignState, CampaignEvent]] = dict(
    [
        on(Launch, launch),
        on(SignReport, sign_report),
        on(ExplainOverdue, explain_overdue),
        on(DeadlineElapsed, deadline_elapsed),
        on(ChildCaseUpdated, overdue_listed),
    ]
)


# ---- fold and reads ----------------------------------------------------------------------------------------


def evolve(s: CampaignState, e: CampaignEvent) -> CampaignState:
    if isinstance(e, Launched):
        return s.model_copy(
            update={
                "id": e.id,
                "status": Status.active,
                "title": e.title,
                "region": e.region,
                "regions": e.regions,
                "industries": e.industries,
                "starts_on": e.starts_on,
                "deadline": e.deadline,
                "ends_at": e.ends_at,
                "launched_by": e.by,
            }
        )
    if isinstance(e, ReportSigned):
        return s.model_copy(update={"signatures": [*s.signatures, e]})
    if isinstance(e, DeadlineReached):
        return s.model_copy(update={"status": Status.deadline_passed})
    if isinstance(e, OverdueListed):
        status = Status.explanations_owed if e.hazards else Status.closed
        return s.model_copy(update={"status": status, "overdue": e.hazards})
    if isinstance(e, OverdueExplained):
        after = s.model_copy(update={"explanations": [*s.explanations, e]})
        return after if after.owing() else after.model_copy(update={"status": Status.closed})
    return s


def deadlines(s: CampaignState) -> list[Deadline]:
    if s.status != Status.active:
        return []
    return [
        Deadline(
            key="deadline",
            kind="campaign_deadline",
            due_at=known(s.ends_at, "ends_at"),
            note="hazards still open then owe a written explanation to the district safety office",
        )
    ]


def index(s: CampaignState) -> CaseIndex:
    dl = deadlines(s)
    return CaseIndex(
        status=s.status.value,
        region=s.region,
        next_due_at=dl[0].due_at if dl else None,
        overdue=s.status == Status.explanations_owed,
        terminal=s.status == Status.closed,
    )


def view(s: CampaignState) -> dict[str, Any]:
    data = s.model_dump(mode="json")
    data["owing"] = [h.model_dump(mode="json") for h in s.owing()]
    data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in deadlines(s)]
    data["allowed_commands"] = ALLOWED[s.status]
    return data


def summary(s: CampaignState) -> dict[str, Any]:
    return {"status": s.status.value, "terminal": s.status == Status.closed, "owing": len(s.owing())}


def notices(before: CampaignState, e: CampaignEvent, after: CampaignState) -> list[Notice]:
    """Each enterprise with a hazard open at the deadline is asked for its written explanation; the
    district safety office (the campaign region's supervisor) hears of the list and of each explanation."""
    if isinstance(e, OverdueListed):
        out = [
            Notice(
                kind="explanation_required",
                recipient_role="enterprise_responsible",
                recipient_party=h.enterprise_id,
                subject=f"专项行动「{after.title}」到期：隐患 {h.id} 未完成整改，"
                "请书面向区政府安委办说明情况",
                data={
                    "subject_en": f"campaign {after.id} is over: hazard {h.id} is not rectified; explain in "
                    "writing to the district safety office",
                    "campaign_id": after.id,
                    "hazard_id": h.id,
                },
            )
            for h in e.hazards
            if h.enterprise_id
        ]
        if e.hazards:
            out.append(
                Notice(
                    kind="overdue",
                    recipient_role="supervisor",
                    recipient_party=after.region,
                    subject=f"专项行动「{after.title}」到期：{len(e.hazards)} 项隐患未完成整改，待书面说明",
                    data={
                        "subject_en": f"campaign {after.id} is over: {len(e.hazards)} hazards not rectified, "
                        "written explanations owed",
                        "campaign_id": after.id,
                        "hazards": [h.id for h in e.hazards],
                    },
                )
            )
        return out
    if isinstance(e, OverdueExplained):
        to_gov = "，提请区政府研究" if e.refer_to_government else ""
        return [
            Notice(
                kind="explanation_filed",
                recipient_role="supervisor",
                recipient_party=after.region,
                subject=f"专项行动「{after.title}」：隐患 {e.hazard_id} 已书面说明{to_gov}",
                data={
                    "subject_en": f"campaign {after.id}: hazard {e.hazard_id} explained in writing"
                    + (", put to the district government" if e.refer_to_government else ""),
                    "campaign_id": after.id,
                    "hazard_id": e.hazard_id,
                },
            )
        ]
    return []


class CampaignDecider(CaseDecider[CampaignState, CampaignCommand, CampaignEvent]):
    def __init__(self) -> None:
        super().__init__(
            kind="campaign",
            state=CampaignState,
            commands=TypeAdapter(CampaignCommand),
            events=TypeAdapter(CampaignEvent),
            creation="launch",
            roles=ROLES,
            handlers=HANDLERS,
            reads=Reads(
                evolve=evolve,
                deadlines=deadlines,
                index=index,
                view=view,
                summary=summary,
                notices=notices,
            ),
        )

    def allowed(self, s: CampaignState) -> list[str]:
        return ALLOWED[s.status]

    def scope(self, s: CampaignState, c: CampaignCommand) -> tuple[str, str | None]:
        if isinstance(c, Launch):
            return c.region, None
        return s.region, None

    def check_actor(self, s: CampaignState, c: CampaignCommand, ctx: Context) -> None:
        """An enterprise explains only its own hazards; officers act within the campaign's region."""
        if isinstance(c, ExplainOverdue) and ctx.actor.role == Role.enterprise:
            owed = {h.id: h for h in s.overdue}.get(c.hazard_id)
            if owed is not None:  # else the handler refuses it as outside the campaign
                check_acts(ctx.actor, c.type, ROLES[c.type], s.region, owed.enterprise_id, self.kind)
            return
        super().check_actor(s, c, ctx)

    def nothing(self, s: CampaignState) -> str:
        return "nothing (the campaign is closed: every hazard open at its deadline is explained)"


CAMPAIGN = CampaignDecider()

CAMPAIGN_KIND = KindSpec(
    name=CAMPAIGN.kind,
    label_zh="专项行动",
    plural="campaigns",
    id_prefix="CP",
    workflow_type="CampaignWorkflow",
    creation=CAMPAIGN.creation,
    decider=CAMPAIGN,
    commands=CampaignCommand,
    events=CampaignEvent,
)
