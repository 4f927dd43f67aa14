"""Writing tables for spreadsheets: CSV (UTF-8 with BOM, so Excel shows accents) or XLSX,
with every text cell that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """Text starting like a formula gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def inert_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) cannot run as spreadsheet formulas."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert_cell)
    out.columns = [inert_cell(str(c)) for c in out.columns]
    return out


def write_table(table: pd.DataFrame, path: str | Path, index: bool = True) -> Path:
    """Write ``table`` as .csv or .xlsx (by the file's suffix), formulas neutralised."""
    path = Path(path)
    safe = inert_table(table.reset_index() if index else table)
    if path.suffix.lower() == ".xlsx":
        safe.to_excel(path, index=False)
    else:
        safe.to_csv(path, index=False, encoding="utf-8-sig")
    return path
