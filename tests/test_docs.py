"""docs/performance.md stays a page a newcomer can read, and what points into it finds it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE = ROOT / "docs" / "performance.md"
# The file's name, a comma or a closing bracket, then the section's name in double quotes, as
# comments write it; across a line break and a comment's leading `#` if need be.
POINTER = re.compile(r'performance\.md[,)]?\s+"([^"]+)"')


def sections() -> set[str]:
    return set(re.findall(r"^#+ (.+?)\s*$", PERFORMANCE.read_text(), re.MULTILINE))


def pointers() -> list[tuple[str, str]]:
    tracked = subprocess.run(
        ["git", "ls-files", "convai_dashboard", "bench", "static", "templates", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = []
    for name in tracked:
        if name.endswith((".py", ".js", ".html", ".jinja", ".css")):
            text = re.sub(r"\s*\n\s*(#|//)?\s*", " ", (ROOT / name).read_text())
            found += [(name, section) for section in POINTER.findall(text)]
    return found


def test_every_pointer_into_performance_md_names_one_of_its_sections():
    found = pointers()
    assert len(found) > 10, "the pattern no longer finds the comments' pointers"
    assert [(name, s) for name, s in found if s not in sections()] == []


def test_performance_md_is_at_most_400_lines():
    assert len(PERFORMANCE.read_text().splitlines()) <= 400
