"""The app's tables: every text readable in full (long texts wrap, nothing is cut off), missing
values shown as a dash, and file values shown as literal text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st

from . import md_text

MISSING = "—"
LINE_PX, PADDING_PX, MAX_LINES = 21, 12, 6  # wrapped rows of an interactive table
WRAPPING_ROW_PX = 65  # Streamlit wraps the text of a table's cells only in rows taller than 64 px
CHARACTERS_PER_LINE = 70  # what a wide column holds on one line at 1440 px, roughly


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return MISSING
    return md_text(value)


def text_table(frame: pd.DataFrame, height: int | Literal["content", "stretch"] = "content",
               hide_index: bool = True) -> None:
    """A read-only table in which long texts wrap: ``st.table``, whose cells are Markdown, so
    every cell (values from files included) is escaped to show as written."""
    shown = frame.map(_cell)
    shown.columns = [md_text(c) for c in frame.columns]
    if not hide_index:
        shown.index = [md_text(i) for i in frame.index]
    st.table(shown, hide_index=hide_index, height=height)


def pick_table(frame: pd.DataFrame, key: str, wide: Sequence[str] = (), **kwargs: Any) -> Any:
    """An interactive table (rows can be selected) whose rows are tall enough for the longest
    text of the ``wide`` columns to wrap onto several lines rather than being cut."""
    longest = max((frame[c].astype(str).str.len().max() for c in wide if len(frame)), default=0)
    lines = min(MAX_LINES, max(1, math.ceil(longest / CHARACTERS_PER_LINE)))
    config = {c: st.column_config.TextColumn(c, width="large") for c in wide}
    return st.dataframe(frame, key=key, hide_index=True, width="stretch", placeholder=MISSING,
                        row_height=max(WRAPPING_ROW_PX, LINE_PX * lines + PADDING_PX) if lines > 1 else None,
                        column_config=config,
                        **kwargs)
