"""Text made safe for the markup it goes into: HTML (also inside JavaScript template
literals, as folium writes tooltips) and JSON inside a ``<script>`` element."""

from __future__ import annotations

import html


def inert(value: object) -> str:
    """``value`` as text that HTML and JavaScript template literals show and never run.

    HTML escaping alone is not enough: folium puts tooltips inside JavaScript
    template literals, where a backtick or ``${`` would end or open code.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def script_json(text: str) -> str:
    """JSON that cannot end or confuse its ``<script>`` element (``<``, ``>``, ``&`` as \\u escapes)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
