"""Charts drawn on the server as inline SVG (no script, no chart library)."""

from __future__ import annotations

from html import escape
from typing import Any

from starter.console import i18n

TREND_COLOURS = {"new": "#2f6fb0", "rectified": "#2e8b57", "overdue": "#c0392b"}
TREND_WIDTHS = {"new": 4, "rectified": 2.5, "overdue": 1.5}  # wider below: lines that coincide stay seen


def trend_chart(series: list[dict[str, Any]], lang: str) -> str:
    """New, rectified and overdue hazards per day or month as lines in inline SVG (no script): every
    point carries its bucket and value, and its tooltip as <title>."""
    if not series:
        return ""
    left, top, width, height = 30, 24, 340, 120
    base = top + height
    peak = max(max(r[f] for f in TREND_COLOURS) for r in series) or 1
    step = width / max(len(series) - 1, 1)
    parts = [
        f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="#999"></line>',
        f'<text x="0" y="{top + 4}" font-size="11">{peak}</text>',
        f'<text x="0" y="{top + height}" font-size="11">0</text>',
        f'<text x="{left}" y="{top + height + 16}" font-size="11">{escape(series[0]["bucket"])}</text>',
        f'<text x="{left + width}" y="{top + height + 16}" font-size="11" text-anchor="end">'
        f"{escape(series[-1]['bucket'])}</text>",
    ]
    for i, (field, colour) in enumerate(TREND_COLOURS.items()):
        name = escape(i18n.t(lang, f"trend_{field}"))
        parts.append(
            f'<rect x="{left + 110 * i}" y="2" width="10" height="10" fill="{colour}"></rect>'
            f'<text x="{left + 14 + 110 * i}" y="11" font-size="11">{name}</text>'
        )
        points = [
            (round(left + step * j, 1), round(top + height - height * r[field] / peak, 1), r)
            for j, r in enumerate(series)
        ]
        path = " ".join(f"{x},{y}" for x, y, _ in points)
        parts.append(
            f'<polyline data-series="{field}" points="{path}" fill="none" stroke="{colour}"'
            f' stroke-width="{TREND_WIDTHS[field]}"></polyline>'
        )
        parts.extend(
            f'<circle data-series="{field}" data-bucket="{escape(r["bucket"])}" data-value="{r[field]}"'
            f' cx="{x}" cy="{y}" r="2" fill="{colour}"><title>{escape(r["bucket"])} {name} {r[field]}</title>'
            "</circle>"
            for x, y, r in points
        )
    return (
        f'<svg role="img" viewBox="0 0 380 {top + height + 22}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )
