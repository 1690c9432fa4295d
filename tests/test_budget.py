"""What a browser downloads to run the dashboard: every script and stylesheet, gzipped as a
server sends them, stays under 60 KB."""

from __future__ import annotations

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
BUDGET = 60 * 1024


def test_scripts_and_styles_stay_under_60_kb_gzipped():
    assets = [*STATIC.rglob("*.js"), *STATIC.rglob("*.css")]
    assert any(path.name.startswith("htmx") for path in assets), "the vendored htmx is counted"
    sizes = {path.name: len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in assets}
    assert sum(sizes.values()) < BUDGET, sizes
