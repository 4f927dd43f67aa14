"""The report as an A4 PDF (reportlab), text in DejaVu Sans so French accents, ``’`` and ``œ``
print; the export record is stored in the document information under ``/BordermapRecord``
(added with pypdf).

reportlab breaks lines at the narrow no-break space (U+202F) that French number grouping
uses, so it is printed as a no-break space (U+00A0): ``3 000 000`` never splits over two lines.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Image as PdfImage
from reportlab.platypus import Table as PdfTable

from ..i18n import t
from .record import PDF_RECORD_KEY
from .report_content import Block, Heading, Image, Pair, ReportContent, Table

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN = 1.6 * cm
TEXT_WIDTH = A4[0] - 2 * MARGIN
MAX_CHARS = 40  # a column's share of the width grows with its longest text up to this
TABLE_SIZE = 8  # points: the size of table text
FONT_STYLE = ("FONTNAME", (0, 0), (-1, -1), FONT)  # tables set their font even for paragraphs
CELL_PADDING = 12  # points: left and right padding of a table cell (reportlab's default 6 + 6)


@cache
def _fonts() -> None:
    """Register matplotlib's DejaVu Sans (regular and bold) with reportlab, once."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=5)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=BOLD, fontSize=17, leading=21, spaceAfter=8),
        "h2": ParagraphStyle("h2", body, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10,
                             spaceAfter=6),
        "h3": ParagraphStyle("h3", body, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=6,
                             spaceAfter=3),
        "cell": ParagraphStyle("cell", body, fontSize=TABLE_SIZE, leading=10, spaceAfter=0),
        "num": ParagraphStyle("num", body, fontSize=TABLE_SIZE, leading=10, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", body, fontName=BOLD, fontSize=TABLE_SIZE, leading=10, spaceAfter=0),
        "caption": ParagraphStyle("caption", body, fontSize=7.5, leading=9, textColor=colors.grey),
    }


def _para(text: str, style: str) -> Paragraph:
    """``text`` as a paragraph, shown literally (markup characters escaped)."""
    return Paragraph(escape(text.replace("\u202f", "\u00a0")), _styles()[style])


def _text_width(text: str, font: str) -> float:
    """Printed width (points) of ``text`` at the table's 8-point size."""
    return pdfmetrics.stringWidth(text.replace("\u202f", "\u00a0"), font, TABLE_SIZE)


def _widths(table: Table, width: float) -> list[float]:
    """Column widths (points) within ``width``: every column at least as wide as its longest
    word or number (never broken inside), the rest shared in proportion to each column's
    longest text, capped at ``MAX_CHARS`` characters."""
    rows = [(BOLD, table.headers)] if table.headers else []
    rows += [(FONT, row) for row in table.rows]
    columns = range(len(rows[0][1]))
    cap = _text_width("n" * MAX_CHARS, FONT)
    words = [max(_text_width(word, font) for font, row in rows for word in row[i].split() or [""])
             + CELL_PADDING for i in columns]
    texts = [max(min(_text_width(row[i], font), cap) for font, row in rows) + CELL_PADDING for i in columns]
    room = width - sum(words)
    if room <= 0:  # even the words do not fit: shrink every column alike (rare: 8 long columns)
        return [width * w / sum(words) for w in words]
    extra = [max(text - word, 0.0) for text, word in zip(texts, words, strict=True)]
    share = sum(extra) or 1.0
    return [word + room * e / share for word, e in zip(words, extra, strict=True)]


def _table(table: Table, width: float = TEXT_WIDTH) -> PdfTable:
    rows = [[_para(cell, "num" if i in table.numeric else "cell") for i, cell in enumerate(row)]
            for row in table.rows]
    style = [FONT_STYLE, ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if table.headers:
        rows.insert(0, [_para(cell, "head") for cell in table.headers])
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    return PdfTable(rows, colWidths=_widths(table, width), repeatRows=1 if table.headers else 0,
                    style=TableStyle(style), hAlign="LEFT")


def _image(image: Image, width: float = TEXT_WIDTH) -> list[Flowable]:
    width_px, height_px = ImageReader(io.BytesIO(image.png)).getSize()
    shown = min(image.width_cm * cm, width)
    picture = PdfImage(io.BytesIO(image.png), width=shown, height=shown * height_px / width_px)
    return [picture, _para(image.caption, "caption")]


def _flowables(block: Block) -> list[Flowable]:
    if isinstance(block, Table):
        return [_table(block), Spacer(1, 4)]
    if isinstance(block, Heading):
        return [_para(block.text, "h3")]
    if isinstance(block, Image):
        return [KeepTogether(_image(block))]
    if isinstance(block, Pair):
        half = TEXT_WIDTH / 2 - 0.2 * cm
        pair = PdfTable([[_table(block.left, half), _image(block.right, half)]],
                        colWidths=[half + 0.4 * cm, half],
                        style=TableStyle([FONT_STYLE, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                          ("LEFTPADDING", (0, 0), (-1, -1), 0)]), hAlign="LEFT")
        return [pair, Spacer(1, 4)]
    return [_para(block, "body")]


def _story(content: ReportContent) -> list[Flowable]:
    story: list[Flowable] = [_para(content.title, "title")]
    story += [_para(line, "body") for line in content.intro]
    for section in content.sections:
        if section.new_page:
            story.append(PageBreak())
        story.append(_para(section.title, "h2"))
        for block in section.blocks:
            story += _flowables(block)
    return story


def render_pdf(content: ReportContent) -> bytes:
    """The report as PDF bytes, with title, author, subject and the record in the document info."""
    _fonts()

    def footer(canvas, doc) -> None:
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN / 2, content.title)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, t("report.page", content.lang, page=doc.page))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=content.title, author=content.author,
                            subject=content.subject, creator=content.author, lang=content.lang,
                            initialFontName=FONT)  # pages start in DejaVu Sans: no non-embedded Helvetica
    doc.build(_story(content), onFirstPage=footer, onLaterPages=footer)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_metadata({PDF_RECORD_KEY: content.record_json})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
