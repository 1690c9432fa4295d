"""What each cache saves on the page it serves: every reading page of bench/peer_datasette.py
and the overview, through the whole middleware in process (Django's test client), with every
cache on against the same with one kind of kept value computed each time. A kind that saves
under a millisecond on every page does not pay for its key (docs/performance.md, "Caches").

Needs a store filled by `manage.py load_scale_data` (its large sandbox character), named by
DATABASE_URL; signing in adds a user "bench" and a session to it, as peer_datasette.py does:

    DATABASE_URL=sqlite:////tmp/copy.sqlite3 .venv/bin/python bench/cache_savings.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from _setup import median_ms
from peer_datasette import project_paths, read_store


class Bypassed:
    """The cache, but for keys of one kind, whose values are computed each time."""

    def __init__(self, cache: Any, kind: str):
        self.cache, self.prefix = cache, f"{kind}:"

    def get_or_set(self, key: str, default: Callable[[], Any], timeout: int) -> Any:
        if key.startswith(self.prefix):
            return default()
        return self.cache.get_or_set(key, default, timeout)


class Recording:
    """The cache, noting the kind of every key asked for."""

    def __init__(self, cache: Any):
        self.cache, self.kinds = cache, set[str]()

    def get_or_set(self, key: str, default: Callable[[], Any], timeout: int) -> Any:
        self.kinds.add(key.partition(":")[0])
        return self.cache.get_or_set(key, default, timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_HTTPS", "0")
    store = read_store(os.environ["DATABASE_URL"], collect_static=True)

    from django.test import Client

    from convai_dashboard import cached

    client = Client()
    client.cookies[store.cookie[0]] = store.cookie[1]
    paths = [*project_paths(store), f"/characters/{store.character_id}/overview/"]
    real = cached.cache

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    print(f"{'page':<58} {'kind':<18} {'cached':>8} {'computed':>9} {'saves':>7}")
    for path in paths:
        recording = Recording(real)
        cached.cache = recording  # type: ignore[assignment]
        get(path)
        cached.cache = real
        with_all = median_ms(lambda: get(path), options.runs)  # noqa: B023
        for kind in sorted(recording.kinds):
            cached.cache = Bypassed(real, kind)  # type: ignore[assignment]
            without = median_ms(lambda: get(path), options.runs)  # noqa: B023
            cached.cache = real
            print(
                f"{path[:58]:<58} {kind:<18} {with_all:>6.2f}ms {without:>7.2f}ms"
                f" {without - with_all:>5.2f}ms"
            )


if __name__ == "__main__":
    main()
