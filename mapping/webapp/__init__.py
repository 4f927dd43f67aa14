"""The Streamlit app's building blocks: cached data, the shared sidebar, and panels."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import BordermapError
from ..i18n import format_day

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def md_text(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown: no formatting, link, HTML, LaTeX
    or emoji shortcode can come from a file's name."""
    return _MARKDOWN.sub(r"\\\1", "" if value is None else str(value))


def error_text(error: BordermapError, lang: str) -> str:
    """An error's message for ``st.error``: its parameters may come from a file (column or
    layer names), so the whole message is shown as literal text."""
    return md_text(error.message(lang))


def format_time(iso: str, lang: str) -> str:
    """A stored UTC time (ISO 8601) as the locale's date and the time of day: ``24/11/2026 00:58``."""
    moment = dt.datetime.fromisoformat(iso)
    return f"{format_day(moment.date(), lang)} {moment:%H:%M}"
