"""The publication of a listing (挂牌督办) as a recorded clock.

[local] a listing is published within `listing.publish_due` (5 working days) of the listing. Where the
pinned pack has `listing.publication_recorded` (cn-national 2026.2), the listing owes a publication
(`publish_listing`, with the notice's `uri`); the clock `listing_publication` escalates to the next
level of the jurisdiction tree when it lapses, and a publication after the due time is recorded as
late. Packs without the key (cases pinned before) keep the publication as a notice only.
"""

from __future__ import annotations

from domain.base import known
from domain.decider import Context, Deadline
from domain.hazard.commands import PublishListing
from domain.hazard.events import HazardEvent, ListingPublished
from domain.hazard.state import TERMINAL, HazardState
from domain.policy import PolicyPack

KEY = "listing_publication"


def owed(policy: PolicyPack) -> bool:
    """Whether a new listing's publication is a recorded clock under this pack."""
    entry = policy.values.get("listing.publication_recorded")
    return entry is not None and entry.value is True


def publication_deadlines(s: HazardState) -> list[Deadline]:
    if not s.publication_owed or s.publication is not None or s.publish_due is None:
        return []
    if s.status in TERMINAL or KEY in s.lapsed:
        return []
    return [Deadline(key=KEY, kind=KEY, due_at=s.publish_due)]


def can_publish(s: HazardState) -> bool:
    return s.publication_owed and s.publication is None


def publish_listing(s: HazardState, c: PublishListing, ctx: Context) -> list[HazardEvent]:
    due = known(s.publish_due, "publish_due")
    return [ListingPublished(uri=c.uri, late=ctx.now > due, at=ctx.now, by=ctx.actor.id)]
