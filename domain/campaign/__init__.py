"""Campaigns (专项行动 / 隐患大排查大整治, seed 003): a scope (regions, industries), a start and a
deadline; the three lists of the hazards under it; signed periodic reports; written explanations for
what is still open at the deadline. The state machine and sources: domain/campaign/decider.py; the
scope rules: domain/campaign/scope.py.
"""

from domain.campaign.decider import CAMPAIGN, CAMPAIGN_KIND, CampaignDecider
from domain.campaign.model import OVERDUE_LISTING, CampaignState
from domain.campaign.scope import ends_at, out_of_scope

__all__ = [
    "CAMPAIGN",
    "CAMPAIGN_KIND",
    "OVERDUE_LISTING",
    "CampaignDecider",
    "CampaignState",
    "ends_at",
    "out_of_scope",
]
