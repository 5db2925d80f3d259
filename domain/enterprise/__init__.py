"""The enterprise record (企业安全生产记录): one case per enterprise, opened by the first of its cases
that tells it a fact, never closed.

    (none) --open_record (system)--> active
    active: case facts (system signal) · record_refusal · decide_listing · record_publication
            · request_removal · decide_removal · deadlines (publication, listing_expiry,
            removal_decision, removal_publication)

Hazards and incidents tell the record their facts (domain/enterprise/facts.py) whenever these change;
the record decides the closure proposal of 安全生产法 Art. 113 over all the enterprise's cases and the
安全生产严重失信主体名单 of 应急管理部令第11号 (domain/enterprise/rules.py names each rule's source).
"""

from domain.enterprise.decider import ENTERPRISE, ENTERPRISE_KIND, EnterpriseDecider
from domain.enterprise.facts import case_facts, record_id
from domain.enterprise.state import EnterpriseState

__all__ = ["ENTERPRISE", "ENTERPRISE_KIND", "EnterpriseDecider", "EnterpriseState", "case_facts", "record_id"]
