"""The app's tables: every text readable in full (long texts wrap, nothing is cut off), missing
values shown as a dash, and file values shown as literal text."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import streamlit as st

from . import md_text

MISSING = "—"
SCROLL_AFTER_ROWS, SCROLL_HEIGHT_PX = 12, 480  # a longer table scrolls in this height, its header kept


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return MISSING
    return md_text(value)


def text_table(frame: pd.DataFrame, hide_index: bool = True) -> None:
    """A read-only table in which long texts wrap: ``st.table``, whose cells are Markdown, so
    every cell (values from files included) is escaped to show as written. A table of more
    than ``SCROLL_AFTER_ROWS`` rows scrolls within ``SCROLL_HEIGHT_PX``."""
    height: int | Literal["content"] = SCROLL_HEIGHT_PX if len(frame) > SCROLL_AFTER_ROWS else "content"
    shown = frame.map(_cell)
    shown.columns = [md_text(c) for c in frame.columns]
    if not hide_index:
        shown.index = [md_text(i) for i in frame.index]
    st.table(shown, hide_index=hide_index, height=height)

