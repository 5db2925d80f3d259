"""Every document the code, tests and README cite exists, and so does every anchor they cite in it."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.settings import REPO_ROOT
from tests.support.worktree import worktree_files

CITED = re.compile(r"(?<![\w/.-])(?:docs/)?([\w-]+\.md)(?:#([\w\-\u4e00-\u9fff]+))?")
SOURCES = (".py", ".md", ".toml")


def sources() -> list[Path]:
    listed = worktree_files()
    return [REPO_ROOT / f for f in listed if f.endswith(SOURCES) and not f.startswith("tests/histories/")]


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = re.sub(r"[^\w\- \u4e00-\u9fff]", "", heading.strip().lower())
    return kept.replace(" ", "-")


EXPLICIT = re.compile(r'<a id="([^"]+)"></a>')


def anchors(doc: Path) -> set[str]:
    """The anchors of its headings, and those it names itself (`<a id="…"></a>`)."""
    text = doc.read_text()
    headings = {anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    return headings | set(EXPLICIT.findall(text))


def test_cited_documents_and_anchors_exist() -> None:
    docs = REPO_ROOT / "docs"
    known = {p.name: p for p in (*docs.glob("*.md"), REPO_ROOT / "README.md")}
    missing = []
    for path in sources():
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for m in CITED.finditer(line):
                name, fragment = m.group(1), m.group(2)
                where = f"{path.relative_to(REPO_ROOT)}:{n}: {m.group(0)}"
                if name not in known:
                    missing.append(where)
                elif fragment and fragment not in anchors(known[name]):
                    missing.append(where)
    assert missing == []
