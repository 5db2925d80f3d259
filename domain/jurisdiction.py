"""The jurisdiction tree as data: who is one level up from a region, read from the pinned policy pack.

GB/T 2260 codes nest county → city → province, but in the four municipalities directly under the
central government (直辖市: 北京 11, 天津 12, 上海 31, 重庆 50) a district (区/县) sits directly under the
municipality: the next level of 500107 is 500000, not the code-level 500100 (市辖区 is no government).
The pack's `jurisdiction.tree` names the municipalities and, in `parents`, any other code whose parent the
code's digits do not tell. A pack without the key (before 2026.2) keeps the digit rule.

An incident's onward reporting route and its investigating authority (493号令 Art. 10, 19) follow the
tree too where the tree says `incident_route = true` (from the pack of 2026.2 on that carries it): a
Chongqing district's accident is reported to 500000 and a 较大 one investigated there. A case pinned to a
pack whose tree lacks the flag keeps the digit rule for both (`incident_tree` is None).

Escalation follows the tree: an overdue hazard is first the district government's (区政府安委办, seed
003 task (一): the written explanation goes there), and each missed clock goes one level up from there.
"""

from __future__ import annotations

from typing import Any

from domain.actors import parent_region
from domain.policy import PolicyPack

TREE_KEY = "jurisdiction.tree"


def next_level(policy: PolicyPack, code: str) -> str:
    """The region one level above `code` in the pack's jurisdiction tree (000000 stays 000000)."""
    entry = policy.values.get(TREE_KEY)
    return next_in(entry.value if entry is not None else None, code)


def incident_tree(policy: PolicyPack) -> dict[str, Any] | None:
    """The tree an incident's route and investigating authority follow: the pack's, when it says so."""
    entry = policy.values.get(TREE_KEY)
    if entry is None or not entry.value.get("incident_route", False):
        return None
    return {k: v for k, v in entry.value.items() if k in ("municipalities", "parents")}


def next_in(tree: dict[str, Any] | None, code: str) -> str:
    """The region one level above `code` in `tree` (None: by the code's digits)."""
    if tree is None or code == "000000":
        return parent_region(code)
    parents: dict[str, str] = tree.get("parents", {})
    if code in parents:
        return parents[code]
    if code[:2] in tree.get("municipalities", []) and not code.endswith("0000"):
        return code[:2] + "0000"
    return parent_region(code)
