"""The report as one self-contained HTML page: maps inlined as base64 PNG, no outside
resource, print CSS with one page per post. Every text is escaped with ``inert``; the
export record sits in a ``<script type="application/json" id="bordermap-record">``."""

from __future__ import annotations

import base64

from ..escape import inert, script_json
from .record import HTML_RECORD_ID
from .report_content import Block, Heading, Image, Pair, ReportContent, Section, Table

CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 10.5pt; color: #222;
       max-width: 48rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 18pt; margin-bottom: .3rem; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; margin-top: 1.6rem; }
h3 { font-size: 11.5pt; margin: 1rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
table.facts td:first-child { font-weight: bold; width: 40%; }
figure { margin: .6rem 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #555; }
.pair { display: flex; gap: 1rem; align-items: flex-start; }
.pair > * { flex: 1 1 50%; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; }
  section.page { break-before: page; page-break-before: always; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _table(table: Table) -> str:
    def cells(row: list[str], tag: str) -> str:
        right = ' class="num"'
        return "".join(f"<{tag}{right if i in table.numeric and tag == 'td' else ''}>{inert(cell)}</{tag}>"
                       for i, cell in enumerate(row))

    head = f"<thead><tr>{cells(table.headers, 'th')}</tr></thead>" if table.headers else ""
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in table.rows)
    css = "" if table.headers else ' class="facts"'
    return f"<table{css}>{head}<tbody>{body}</tbody></table>"


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Heading):
        return f"<h3>{inert(block.text)}</h3>"
    if isinstance(block, Pair):
        return f'<div class="pair">{_block(block.left)}{_block(block.right)}</div>'
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        caption = inert(block.caption)
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{caption}" '
                f'style="width:{block.width_cm}cm; max-width:100%">'
                f"<figcaption>{caption}</figcaption></figure>")
    return f"<p>{inert(block)}</p>"


def _section(section: Section) -> str:
    css = ' class="page"' if section.new_page else ""
    return (f"<section{css}><h2>{inert(section.title)}</h2>"
            + "\n".join(_block(b) for b in section.blocks) + "</section>")


def render_html(content: ReportContent) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    intro = "".join(f"<p>{inert(line)}</p>" for line in content.intro)
    sections = "\n".join(_section(s) for s in content.sections)
    return f"""<!DOCTYPE html>
<html lang="{inert(content.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="author" content="{inert(content.author)}">
<meta name="description" content="{inert(content.subject)}">
<title>{inert(content.title)}</title>
<style>{CSS}</style>
<script type="application/json" id="{HTML_RECORD_ID}">{script_json(content.record_json)}</script>
</head>
<body>
<h1>{inert(content.title)}</h1>
{intro}
{sections}
</body>
</html>
"""
