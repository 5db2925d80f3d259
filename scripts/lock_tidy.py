"""Drop the project's own entry from a lock file: `dev` includes the `embedded` extra by naming the
project itself, which pip-compile writes as a local path (unhashable, and no dependency to pin)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

SELF = re.compile(
    r"# WARNING: pip install will require[^\n]*\n# Consider[^\n]*\nhazardloop @ [^\n]*\n(    #[^\n]*\n)*"
)

if __name__ == "__main__":
    lock = Path(sys.argv[1])
    lock.write_text(SELF.sub("", lock.read_text(encoding="utf-8")), encoding="utf-8")
