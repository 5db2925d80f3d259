"""The case workflows, one per kind, each in its own module (workflows/enterprise.py, hazard.py, …)."""

from __future__ import annotations

from workflows.campaign import CampaignWorkflow
from workflows.case import CaseWorkflow
from workflows.enterprise import EnterpriseWorkflow
from workflows.hazard import HazardWorkflow
from workflows.incident import IncidentWorkflow
from workflows.tip import TipWorkflow

__all__ = [
    "WORKFLOW_BY_KIND",
    "CampaignWorkflow",
    "EnterpriseWorkflow",
    "HazardWorkflow",
    "IncidentWorkflow",
    "TipWorkflow",
]

WORKFLOW_BY_KIND: dict[str, type[CaseWorkflow]] = {
    cls.decider.kind: cls
    for cls in (CampaignWorkflow, EnterpriseWorkflow, HazardWorkflow, IncidentWorkflow, TipWorkflow)
}
