"""Text made safe for where it goes: HTML (also inside JavaScript template literals, as folium
writes tooltips), JSON inside a ``<script>`` element, XML (KML), and a terminal."""

from __future__ import annotations

import html
import re


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


# C0 controls but newline and tab, DEL, C1 controls, and the bidirectional overrides and
# isolates that reorder what a terminal shows
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(value: object) -> str:
    """``value`` as text a terminal shows and never obeys: control characters (ESC, which starts
    the sequences that retitle a window, clear the screen or rewrite lines; carriage return;
    BEL; bidirectional overrides) written as visible escapes such as ``\\u001b``, the form
    JSON reads back as the character itself (``--format json`` stays valid JSON)."""
    text = "" if value is None else str(value)
    return _CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# the characters XML 1.0 cannot hold (C0 controls but tab, line feed and carriage return):
# a KML with one of them is not XML, and Google Earth refuses it
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: the control characters it cannot hold removed."""
    return XML_ILLEGAL.sub("", "" if value is None else str(value))
