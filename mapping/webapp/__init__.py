"""The Streamlit app's building blocks: cached data, the shared sidebar, and panels."""

from __future__ import annotations

import re

from ..errors import BordermapError
from ..i18n import format_time

__all__ = ["error_text", "format_time", "md_text"]  # format_time: the pages' one way to show a stored time

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def md_text(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown: no formatting, link, HTML, LaTeX
    or emoji shortcode can come from a file's name."""
    return _MARKDOWN.sub(r"\\\1", "" if value is None else str(value))


def error_text(error: BordermapError, lang: str) -> str:
    """An error's message for ``st.error``: its parameters may come from a file (column or
    layer names), so the whole message is shown as literal text."""
    return md_text(error.message(lang))

