"""The publication of a listing (挂牌督办) and of its write-off (销号) as recorded clocks.

[local] a listing, and the write-off of a listed hazard, are published within `listing.publish_due`
(5 working days) of the listing / of the write-off (issue #18: "publication of a listing and of its
write-off within 5 working days as a clock with a recorded publication").

- Listing: where the pinned pack has `listing.publication_recorded` (cn-national 2026.2), the listing
  owes a publication (`publish_listing`, with the notice's `uri`); the clock `listing_publication`
  escalates to the next level of the jurisdiction tree when it lapses.
- Write-off: where the pinned pack has `listing.writeoff_publication_recorded` (cn-national 2026.3), a
  listed hazard written off (passed review, 核销) does not close: it rests in `written_off` until the
  write-off's publication is recorded (`publish_writeoff`, with the notice's `uri`), which closes it.
  Its clock `writeoff_publication` runs from the write-off and escalates like the listing's when it
  lapses; the publication stays owed after the lapse.

A publication after its due time is recorded as late. Packs without the keys (cases pinned before) keep
the publication a notice only, and a written-off hazard closes at once.
"""

from __future__ import annotations

from domain.base import known
from domain.decider import Context, Deadline
from domain.hazard.commands import PublishListing, PublishWriteoff
from domain.hazard.events import HazardEvent, ListingPublished, WriteoffPublished
from domain.hazard.state import TERMINAL, HazardState, Status
from domain.policy import PolicyPack

KEY = "listing_publication"
WRITEOFF_KEY = "writeoff_publication"


def _recorded(policy: PolicyPack, key: str) -> bool:
    entry = policy.values.get(key)
    return entry is not None and entry.value is True


def owed(policy: PolicyPack) -> bool:
    """Whether a new listing's publication is a recorded clock under this pack."""
    return _recorded(policy, "listing.publication_recorded")


def writeoff_owed(policy: PolicyPack) -> bool:
    """Whether a listed hazard's write-off owes a recorded publication (the case stays open until then)."""
    return _recorded(policy, "listing.writeoff_publication_recorded")


def publication_deadlines(s: HazardState) -> list[Deadline]:
    if s.status == Status.written_off:
        if s.publish_due is None or WRITEOFF_KEY in s.lapsed:
            return []
        return [Deadline(key=WRITEOFF_KEY, kind=WRITEOFF_KEY, due_at=s.publish_due)]
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


def publish_writeoff(s: HazardState, c: PublishWriteoff, ctx: Context) -> list[HazardEvent]:
    due = known(s.publish_due, "publish_due")
    return [WriteoffPublished(uri=c.uri, late=ctx.now > due, at=ctx.now, by=ctx.actor.id)]
