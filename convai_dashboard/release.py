"""The release a process runs: the package's version and a digest of everything that shapes
what it renders (its code, templates and static files). Every cache key carries it
(settings.CACHES' KEY_PREFIX), so a page cached by one release is never served by the next,
with no step to remember at an upgrade. Outside the layers, as env.py is: settings read it."""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def digest(*folders: Path) -> str:
    """A digest of every file below these folders, names and contents, in a fixed order."""
    summed = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            # Python's compiled files follow the sources, which are summed already.
            if path.is_file() and "__pycache__" not in path.parts:
                summed.update(str(path.relative_to(folder.parent)).encode() + b"\0")
                summed.update(path.read_bytes())
    return summed.hexdigest()[:12]


def current(root: Path) -> str:
    """This checkout's release: "0.1.0-3f2a9c1b4d5e" (the digest alone where the package is
    not installed)."""
    try:
        package = version("convai-dashboard")
    except PackageNotFoundError:
        package = "unversioned"
    return f"{package}-{digest(root / 'convai_dashboard', root / 'templates', root / 'static')}"
