"""The one typed registry of custom search attributes: PII-free, within the SQL-visibility budget."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_KIND = SearchAttributeKey.for_keyword("CaseKind")
CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
CASE_LEVEL = SearchAttributeKey.for_keyword("CaseLevel")
REGION = SearchAttributeKey.for_keyword("Region")
ENTERPRISE_ID = SearchAttributeKey.for_keyword("EnterpriseId")
NEXT_DUE_AT = SearchAttributeKey.for_datetime("NextDueAt")
OVERDUE = SearchAttributeKey.for_bool("Overdue")

ALL_KEYS: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    CASE_KIND,
    CASE_STATUS,
    CASE_LEVEL,
    REGION,
    ENTERPRISE_ID,
    NEXT_DUE_AT,
    OVERDUE,
)

# name → type as the Temporal CLI and the operator service spell them
CLI_TYPES: dict[str, str] = {
    "CaseKind": "Keyword",
    "CaseStatus": "Keyword",
    "CaseLevel": "Keyword",
    "Region": "Keyword",
    "EnterpriseId": "Keyword",
    "NextDueAt": "Datetime",
    "Overdue": "Bool",
}
