"""The ledger export's columns: a kind without columns of its own still exports (the fuzzer found a 500
for a kind registered at run time), with the columns every case has."""

from __future__ import annotations

from starter.api.export_routes import COLUMNS, COMMON, ledger_rows


def test_a_kind_without_its_own_columns_exports_the_common_ones() -> None:
    rows = ledger_rows("ticket", [{"id": "TK-1", "status": "open", "region": "500107", "extra": "x"}])
    assert rows[0] == [label for _, label in COMMON]
    assert rows[1] == ["TK-1", "open", "500107", ""]


def test_a_known_kind_keeps_its_own_columns() -> None:
    rows = ledger_rows("hazard", [])
    assert rows == [[label for _, label in COLUMNS["hazard"]]]
    assert len(rows[0]) > len(COMMON)
