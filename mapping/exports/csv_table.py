"""The full ranking as CSV: UTF-8 with BOM, ``;`` and decimal commas in French, formulas
neutralised, optionally with the HXL hashtag row under the header (ready for HDX).

An HXL file is exchange data: HXL tools read numbers with a decimal point and fields
separated by commas, so an HXL export uses them in every language (its words stay in the
bundle's language).

A CSV file stays a plain table: its record (profile, layer versions, result) is written
beside it as ``<name>.record.json``, which ``bordermap export --reproduce`` reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..tables import csv_options, inert_table
from .bundle import ExportBundle
from .columns import headers, hxl_tags, ranking_table


def record_path(path: Path) -> Path:
    """The sidecar record of a CSV export: ``ranking.csv`` -> ``ranking.record.json``."""
    return path.with_suffix(".record.json")


def write_csv(bundle: ExportBundle, path: Path, hxl: bool = False) -> Path:
    """Write the ranked posts (every indicator, score, rank, explanation) and the record sidecar."""
    table = ranking_table(bundle)
    columns = list(table.columns)
    safe = inert_table(table)
    titles = [str(c) for c in inert_table(pd.DataFrame(columns=headers(columns, bundle))).columns]
    safe.columns = pd.MultiIndex.from_arrays([titles, hxl_tags(table)]) if hxl else titles
    safe.to_csv(path, index=False, **csv_options("en" if hxl else bundle.lang))
    record_path(path).write_text(bundle.record.to_json(), encoding="utf-8")
    return path
