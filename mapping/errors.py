"""One kind of error for everything a user can get wrong: its message is in the catalogues."""

from __future__ import annotations

from .i18n import t


class BordermapError(Exception):
    """A problem to tell the user: ``code`` and ``params`` name the catalogue message
    ``<section>.<code>``; each subclass sets its catalogue ``section``."""

    section = "errors"

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params  # may be completed before the message is shown (e.g. the file name)

    def message(self, lang: str | None = None) -> str:
        """The explanation in ``lang`` (en or fr)."""
        return t(f"{self.section}.{self.code}", lang, **self.params)

    def __str__(self) -> str:
        return self.message("en")
