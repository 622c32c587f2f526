"""Print one object to PDF through a print template (reportlab, fonts with Cyrillic).

A ``PrintTemplate`` says which fields to print, the document title and the header and footer
lines, whose ``${placeholders}`` are filled from the object: ``${id}``, ``${title}``,
``${type}``, ``${status}``, ``${created}``, ``${modified}``, ``${date}`` (today), ``${user}``
(who prints), ``${page}`` (page number) and ``${<field name>}`` for any field's shown value.
Admins keep templates at ``root["print_templates"][<type>][<name>]`` (page
/admin/print-templates); a type without a stored ``default`` template prints with ``DEFAULT``.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from xml.sax.saxutils import escape

from persistent import Persistent
from persistent.list import PersistentList

from procura.content import Folder
from procura.i18n import _
from procura.types import access
from procura.types.fields import user_tz

TEMPLATES_KEY = "print_templates"
DEFAULT_NAME = "default"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PLACEHOLDER_RE = re.compile(r"\$\{(\w+)\}")
HISTORY_ROWS = 200  # at most, newest last


class PrintTemplate(Persistent):
    __name__ = None
    __parent__ = None

    def __init__(self, type_name: str, name: str = DEFAULT_NAME, title: str = "", fields=(),
                 header: str = "${type} ${id}", footer: str = "${date} · ${user}", show_history: bool = True):
        self.type_name = type_name
        self.name = name
        self.title = title
        self.fields = PersistentList(fields)
        self.header = header
        self.footer = footer
        self.show_history = show_history

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "fields": list(self.fields), "header": self.header,
                "footer": self.footer, "show_history": self.show_history}


def default_template(type_name: str) -> PrintTemplate:
    """The built-in template: every visible field, the history, type and id in the header."""
    return PrintTemplate(type_name)


def stored_templates(app_root, type_name: str) -> dict:
    folder = app_root.get(TEMPLATES_KEY) if hasattr(app_root, "get") else None
    by_type = folder.get(type_name) if folder is not None else None
    return dict(by_type.items()) if by_type is not None else {}


def template_for(app_root, type_name: str, name: str | None = None) -> PrintTemplate | None:
    """The named template of a type (None if no such template); the default when ``name`` is empty."""
    name = name or DEFAULT_NAME
    found = stored_templates(app_root, type_name).get(name)
    if found is not None:
        return found
    return default_template(type_name) if name == DEFAULT_NAME else None


def save_template(app_root, template: PrintTemplate) -> PrintTemplate:
    if TEMPLATES_KEY not in app_root:
        app_root.add(TEMPLATES_KEY, Folder())
    folder = app_root[TEMPLATES_KEY]
    if template.type_name not in folder:
        folder.add(template.type_name, Folder())
    by_type = folder[template.type_name]
    if template.name in by_type:
        by_type.remove(template.name)
    by_type.add(template.name, template)
    return template


def delete_template(app_root, type_name: str, name: str) -> bool:
    folder = app_root.get(TEMPLATES_KEY)
    by_type = folder.get(type_name) if folder is not None else None
    if by_type is None or name not in by_type:
        return False
    by_type.remove(name)
    return True


def fill(text: str, values: dict) -> str:
    """``${name}`` -> ``values[name]``; unknown placeholders stay as they are."""
    return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), text or "")


# ---------------------------------------------------------------- what is printed

def printable_fields(request, info, obj, template: PrintTemplate):
    visible = [f for f in info.fields if access.field_access(request, info, f, obj) != access.HIDDEN]
    if template.fields:
        by_name = {f.name: f for f in visible}
        return [by_name[n] for n in template.fields if n in by_name]
    return visible


def placeholder_values(request, info, obj) -> dict:
    t = request.localizer.translate
    from procura.types.formatting import format_date, format_datetime

    status = info.workflow.status(obj.status) if info.workflow and obj.status else None
    user = request.identity
    values = {
        "id": obj.__name__,
        "type": t(info.title),
        "status": t(status.title) if status else (obj.status or ""),
        "created": format_datetime(obj.created, request) if obj.created else "",
        "modified": format_datetime(obj.modified, request) if obj.modified else "",
        "date": format_date(dt.datetime.now(user_tz(request)).date(), request),
        "user": getattr(user, "display_name", "") if user is not None else "",
    }
    title = getattr(obj, info.title_field, None)
    if access.field_access(request, info, info.field(info.title_field), obj) == access.HIDDEN:
        title = None
    values["title"] = info.field(info.title_field).display(title, request) if title is not None else obj.__name__
    for f in info.fields:
        if access.field_access(request, info, f, obj) == access.HIDDEN:
            values[f.name] = ""
            continue
        try:
            values[f.name] = f.display(getattr(obj, f.name, None), request)
        except Exception:  # noqa: BLE001 - an odd stored value prints as empty, not as an error
            values[f.name] = ""
    return values


ACTION_TITLES = {
    "create": _("Created"),
    "update": _("Changed"),
    "transition": _("Status changed"),
    "delete": _("Moved to the trash"),
    "restore": _("Restored"),
}


def history_rows(request, info, obj) -> list[list[str]]:
    from procura.types.formatting import format_datetime

    t = request.localizer.translate
    rows = []
    entries = list(obj.history or ())[-HISTORY_ROWS:]
    for entry in entries:
        changes = entry.get("changes") or {}
        names = []
        for name in changes:
            f = info.field(name)
            if f is not None and access.field_access(request, info, f, obj) == access.HIDDEN:
                continue
            names.append(t(f.title) if f is not None else t(_("Status")) if name == "status" else name)
        what = t(ACTION_TITLES.get(entry.get("action"), entry.get("action") or ""))
        if entry.get("action") == "transition" and "status" in changes:
            old, new = changes["status"]
            labels = []
            for raw in (old, new):
                st = info.workflow.status(raw) if info.workflow and raw else None
                labels.append(t(st.title) if st else (raw or "—"))
            what += ": " + " » ".join(labels)  # the font has no arrow glyph
            names = [n for n in names if n != t(_("Status"))]
        if entry.get("comment"):
            what += f" ({entry['comment']})"
        rows.append([format_datetime(entry["at"], request) if entry.get("at") else "", entry.get("by") or "",
                     what, ", ".join(names)])
    return rows


# ---------------------------------------------------------------- the PDF

def render_pdf(request, info, obj, template: PrintTemplate | None = None) -> bytes:
    """The PDF of one object through ``template`` (the type's default when None)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from procura.export.fonts import register_fonts

    fonts = register_fonts()
    template = template or template_for(request.app_root, info.name)
    t = request.localizer.translate
    values = placeholder_values(request, info, obj)
    base = ParagraphStyle("base", fontName=fonts["regular"], fontSize=9.5, leading=12.5, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))
    label = ParagraphStyle("label", parent=base, fontName=fonts["bold"], textColor=colors.HexColor("#333333"))
    h1 = ParagraphStyle("h1", parent=base, fontName=fonts["bold"], fontSize=16, leading=20, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName=fonts["bold"], fontSize=12, leading=15, spaceBefore=10,
                        spaceAfter=4)

    def para(text, style=base):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    heading = fill(template.title, values) if template.title else values["type"]
    story = [para(heading, h1)]
    meta = [f"{t(_('ID'))}: {values['id']}"]
    if info.workflow:
        meta.append(f"{t(_('Status'))}: {values['status']}")
    if values["modified"]:
        meta.append(f"{t(_('Modified'))}: {values['modified']}")
    story += [para("   ·   ".join(meta), small), Spacer(1, 3 * mm), para(values["title"], h2)]

    rows = [[para(t(f.title), label), para(values.get(f.name, ""))] for f in printable_fields(request, info, obj,
                                                                                               template)]
    grid = TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])
    if rows:
        story.append(Table(rows, colWidths=[55 * mm, None], style=grid, hAlign="LEFT", repeatRows=0))
    if template.show_history:
        history = history_rows(request, info, obj)
        if history:
            story.append(para(t(_("History")), h2))
            head = [para(t(x), label) for x in (_("When"), _("Who"), _("What"), _("Fields"))]
            body = [[para(c, small) for c in row] for row in history]
            story.append(Table([head] + body, colWidths=[32 * mm, 28 * mm, 60 * mm, None], style=grid,
                               hAlign="LEFT", repeatRows=1))

    header_text, footer_text = template.header or "", template.footer or ""
    page_label = t(_("Page"))

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#555555"))
        width, height = A4
        page_values = dict(values, page=str(doc.page))
        if header_text:
            canvas.setFont(fonts["regular"], 8)
            canvas.drawString(18 * mm, height - 12 * mm, fill(header_text, page_values)[:200])
        canvas.setFont(fonts["regular"], 8)
        if footer_text:
            canvas.drawString(18 * mm, 10 * mm, fill(footer_text, page_values)[:200])
        canvas.drawRightString(width - 18 * mm, 10 * mm, f"{page_label} {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{heading} {values['id']}", author="Procura",
                            subject=values["title"], creator="Procura")
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
