"""The Streamlit app's building blocks: cached data, the shared sidebar, and panels."""

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_text(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown: no formatting, link, HTML, LaTeX
    or emoji shortcode can come from a file's name."""
    return _MARKDOWN.sub(r"\\\1", "" if value is None else str(value))
