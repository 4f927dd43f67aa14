"""The words Streamlit writes itself, in the chosen language.

Streamlit has no translations: its file uploader says "Upload", "200MB per file" and an
uploaded file's size in English units, its forms "Press Enter to submit". Those texts are
hidden, and the catalogue's shown in place of the first two, with CSS (``content``), which
changes only what is drawn, not how the widgets work.
"""

from __future__ import annotations

import streamlit as st

from ..i18n import t

MAX_UPLOAD_MB = 500  # as .streamlit/config.toml's server.maxUploadSize and readers.MAX_FILE_BYTES


def _css_text(text: str) -> str:
    """``text`` as a CSS string: every character but ASCII letters, digits, spaces and common
    punctuation written as a CSS escape (``\\e9 ``), so that no quote, backslash or ``<`` can end
    it and accents and non-breaking spaces show as they are."""
    kept = " .,:;()'-"
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c in kept) else f"\\{ord(c):x} "
                         for c in text) + '"'



def localise_streamlit(lang: str) -> None:
    """Put the catalogue's words in place of Streamlit's own on this page."""
    button = _css_text(t("app.streamlit.upload_button", lang))
    limits = _css_text(t("app.streamlit.upload_limits", lang, size=MAX_UPLOAD_MB))
    st.html(f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{font-size: 0;}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
    content: {button}; font-size: 0.875rem;}}
[data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0;}}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{content: {limits}; font-size: 0.875rem;}}
[data-testid="stFileChipName"] + div {{display: none;}}
[data-testid="InputInstructions"] {{display: none;}}
</style>""")
