"""CSV and XLSX from export rows, without holding the rows in memory.

- CSV: a generator of encoded chunks (UTF-8 with a BOM so that Excel reads Cyrillic), for a
  streamed response's ``app_iter``.
- XLSX: openpyxl's write-only workbook, which streams rows to a temporary file as they come; the
  finished file is then served from disk.

Cells are made safe for spreadsheets: text that starts like a formula (``= + - @``, tab, CR) is
prefixed with ``'`` so that opening an export never runs what a user typed (CSV/formula injection);
characters XML forbids are dropped from XLSX cells.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
import tempfile
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"^[+-]?\d+([.,]\d+)?$")
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CSV_FLUSH_ROWS = 200


def safe_text(value: str) -> str:
    if value and value.startswith(FORMULA_START) and not NUMBER_RE.match(value):
        return "'" + value
    return value


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(str(value))


def csv_chunks(rows: Iterable[list], delimiter: str = ";", flush_rows: int = CSV_FLUSH_ROWS,
               encoding: str = "utf-8") -> Iterator[bytes]:
    """Encoded CSV in chunks of ``flush_rows`` rows; the first chunk carries the BOM and the header."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        pending += 1
        if pending >= flush_rows:
            yield buf.getvalue().encode(encoding)
            buf.seek(0)
            buf.truncate()
            pending = 0
    if buf.tell():
        yield buf.getvalue().encode(encoding)


def xlsx_cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return ILLEGAL_XML.sub("", safe_text(str(value)))


def write_xlsx(rows: Iterable[list], sheet_title: str = "Export", fileobj=None):
    """Write ``rows`` (the first is the header) to an .xlsx in a temporary file; returns the file,
    positioned at its start. Memory stays flat: openpyxl's write-only mode streams rows out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(sheet_title))
    ws.freeze_panes = "A2"  # the header row stays in view (set before the first row is written)
    bold = Font(bold=True)
    date_formats = {dt.datetime: "yyyy-mm-dd hh:mm", dt.date: "yyyy-mm-dd"}
    first = True
    for row in rows:
        if first:
            cells = []
            for value in row:
                cell = WriteOnlyCell(ws, value=xlsx_cell(value))
                cell.font = bold
                cells.append(cell)
            ws.append(cells)
            first = False
            continue
        out = []
        for value in row:
            value = xlsx_cell(value)
            fmt = date_formats.get(type(value))
            if fmt:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    target = fileobj if fileobj is not None else tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(target)
    target.seek(0)
    return target


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]\*\?/\\:]", " ", str(title)).strip() or "Export"
    return cleaned[:31]
