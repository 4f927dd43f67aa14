"""The printable workshop report, PDF or HTML, in the bundle's language.

Overview pages (study-area map, shortlist or top posts with costs against the budget,
method, weight sensitivity, data sources and layer versions), then one page per
shortlisted post (inset map, indicators with units, why it ranks there). Both formats
embed the export record that ``bordermap export --reproduce`` reads back: in the PDF's
document information under ``/BordermapRecord``, in the HTML as a JSON script element.
"""

from __future__ import annotations

from pathlib import Path

from .bundle import ExportBundle
from .report_content import report_content
from .report_html import render_html
from .report_pdf import render_pdf
from .write import REPORT_FORMATS


def write_report(bundle: ExportBundle, path: Path, fmt: str) -> Path:
    """Write the report of ``bundle`` to ``path`` as ``fmt`` ("pdf" or "html"); return ``path``.

    ``write_export`` writes it beside the target and moves it into place.
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"report format must be one of {', '.join(REPORT_FORMATS)}, not {fmt!r}")
    path = Path(path)
    content = report_content(bundle)
    data = render_pdf(content) if fmt == "pdf" else render_html(content).encode("utf-8")
    path.write_bytes(data)
    return path
