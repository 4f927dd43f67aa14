"""Errors of the exports, with their messages in the ``export`` section of the catalogues."""

from __future__ import annotations

from ..errors import BordermapError


class ExportError(BordermapError):
    """An export that cannot be written or a file that cannot be reproduced."""

    section = "export"
