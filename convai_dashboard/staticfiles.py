"""The static files' storage as deployed: WhiteNoise's compressed manifest, with each name's URL
worked out once a process. A page asks for a dozen, each a look-up in the manifest, a join and
a quote (docs/performance.md, "The signed-in floor"); the manifest they read is loaded once a
process and never changes in it, so neither do they."""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        # `force` is collectstatic's, while the manifest is still being written.
        if force or name is None:
            return super().url(name, force)
        if name not in self._urls:
            self._urls[name] = super().url(name)
        return self._urls[name]
