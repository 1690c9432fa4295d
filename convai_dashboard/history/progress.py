"""A sync's progress as a bar on a terminal, for the commands that run one in the foreground."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import TextIOBase

from tqdm import tqdm

from convai_dashboard.history.models import SyncRun
from convai_dashboard.history.sync import ProgressCallback


@contextmanager
def progress_bar(label: str, file: TextIOBase) -> Iterator[ProgressCallback]:
    """Yields the `on_progress` callback of sync.run that draws the bar."""
    with tqdm(desc=label, unit="session", file=file, dynamic_ncols=True) as bar:

        def show(progress: SyncRun) -> None:
            bar.total = progress.sessions_total
            bar.n = progress.sessions_done
            bar.set_postfix(errors=progress.failures, refresh=False)
            bar.refresh()

        yield show
