"""Export a list to CSV/XLSX, print an object to PDF, and the admin pages of print templates."""
from __future__ import annotations

import datetime as dt
import logging

import colander
import deform
import transaction
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from procura.content import APP_KEY
from procura.export import printing
from procura.export.rows import export_columns, export_rows
from procura.export.tabular import csv_chunks, write_xlsx
from procura.i18n import _
from procura.settings import as_list
from procura.types import access
from procura.types.query import matching_docids, parse_list_params
from procura.types.service import NotFound, ValidationFailed
from procura.views.forms import CSRFSchema, make_form, render_form

log = logging.getLogger(__name__)

EXPORT_PERMISSION = "procura.export"
LIST_RESERVED = ("q", "sort", "limit", "offset", "category", "view", "columns", "page", "format", "_LOCALE_",
                 "delimiter")
DELIMITERS = {",": ",", ";": ";", "comma": ",", "semicolon": ";", "tab": "\t"}
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def type_or_404(request):
    info = request.registry.procura_types.get(request.matchdict.get("type"))
    if info is None:
        raise HTTPNotFound()
    return info


def list_query(request, info):
    """The list page's query from the query string (filters, category, sort, ``q``); 400 on bad input."""
    t = request.localizer.translate
    try:
        query = parse_list_params(info, request.GET, reserved=LIST_RESERVED)
        if query.q:
            search = getattr(request.registry, "procura_search", None)
            query.ids = set(search.search_ids(request, info.name, query.q)) if search is not None else set()
        matching_docids(request, info, query)  # validates the filter values now, not mid-stream
    except ValidationFailed as exc:
        detail = "; ".join(f"{k}: {t(v)}" for k, v in sorted(exc.errors.items()))
        raise HTTPBadRequest(detail) from None
    return query


def attachment(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def export_filename(info, fmt):
    return f"{info.name}-{dt.date.today().isoformat()}.{fmt}"


@view_config(route_name="type_export", request_method="GET", permission=EXPORT_PERMISSION)
def export_view(request):
    info = type_or_404(request)
    if not access.can(request, "read", info):
        raise HTTPForbidden()
    query = list_query(request, info)
    # ?columns=a,b or ?columns=a&columns=b, as the list page sends its column choice
    columns = export_columns(request, info, [n for v in request.GET.getall("columns") for n in as_list(v)])
    fmt = request.matchdict["format"]
    if fmt == "csv":
        setting = request.registry.settings.get("procura.export.csv_delimiter", ";") or ";"
        delimiter = DELIMITERS.get(request.GET.get("delimiter") or setting, ";")
        return csv_response(request, info, query, columns, delimiter)
    return xlsx_response(request, info, query, columns)


def csv_response(request, info, query, columns, delimiter):
    """A streamed CSV: rows are read and sent in chunks after the view has returned, through a
    connection of its own (the request's is closed by then)."""
    db = request.registry._zodb_databases[""]
    login = request.identity.login if request.identity is not None else None

    def generate():
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        try:
            tm.begin()
            root = conn.root()[APP_KEY]
            # Every later permission check reads the user and the objects through this connection.
            request.__dict__["app_root"] = root
            from procura.security import get_user

            request.__dict__["_procura_identity"] = get_user(root, login)
            request.__dict__.pop("_procura_grants", None)
            yield from csv_chunks(export_rows(request, info, query, columns=columns, app_root=root), delimiter)
        finally:
            tm.abort()
            conn.close()

    response = Response(content_type=CONTENT_TYPES["csv"], charset="utf-8")
    response.content_disposition = attachment(export_filename(info, "csv"))
    response.app_iter = generate()
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(request, info, query, columns):
    t = request.localizer.translate
    fileobj = write_xlsx(export_rows(request, info, query, columns=columns), sheet_title=t(info.plural))
    response = Response(content_type=CONTENT_TYPES["xlsx"])
    response.content_disposition = attachment(export_filename(info, "xlsx"))
    fileobj.seek(0, 2)
    response.content_length = fileobj.tell()
    fileobj.seek(0)
    response.app_iter = FileIter(fileobj)
    response.headers["Cache-Control"] = "no-store"
    return response


@view_config(route_name="type_print", request_method="GET", permission="procura.view")
def print_view(request):
    info = type_or_404(request)
    try:
        obj = request.types.get(info, request.matchdict["id"], deleted=None)
    except NotFound:
        raise HTTPNotFound() from None
    template = printing.template_for(request.app_root, info.name, request.GET.get("template"))
    if template is None:
        raise HTTPNotFound()
    pdf = printing.render_pdf(request, info, obj, template)
    response = Response(body=pdf, content_type="application/pdf")
    safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in obj.__name__)
    response.content_disposition = f'inline; filename="{safe_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- admin: print templates

@view_config(route_name="admin_print_templates", renderer="procura:templates/print/templates.pt",
             permission="procura.admin")
def templates_list(request):
    t = request.localizer.translate
    rows = []
    for info in request.registry.procura_types:
        stored = printing.stored_templates(request.app_root, info.name)
        names = sorted(set(stored) | {printing.DEFAULT_NAME})
        rows.append({
            "type": info.name, "title": t(info.title),
            "templates": [{"name": n, "title": (stored[n].title if n in stored else "") or "",
                           "stored": n in stored,
                           "edit": request.route_url("admin_print_template", type=info.name, name=n)}
                          for n in names],
            "new": request.route_url("admin_print_template", type=info.name, name="new"),
        })
    return {"types": rows}


def _name_validator(node, value):
    if not printing.NAME_RE.match(value) or value == "new":
        raise colander.Invalid(node, _("Use lower-case letters, digits, '-' and '_' (up to 40)"))


def _placeholder_validator(node, value):
    if value and len(value) > 300:
        raise colander.Invalid(node, _("At most 300 characters"))


def template_schema(request, info, existing_names):
    t = request.localizer.translate
    field_choices = [(f.name, t(f.title)) for f in info.fields]

    def unique(node, value):
        _name_validator(node, value)
        if value in existing_names:
            raise colander.Invalid(node, _("A template with this name exists"))

    schema = CSRFSchema()
    schema.add(colander.SchemaNode(
        colander.String(), name="name", title=_("Name"), validator=unique,
        description=_("Used in links: ?template=<name>. 'default' is used when none is given.")))
    schema.add(colander.SchemaNode(colander.String(), name="title", title=_("Document title"), missing="",
                                   validator=colander.Length(max=200),
                                   description=_("Empty: the type's name. Placeholders such as ${title} work here.")))
    schema.add(colander.SchemaNode(colander.Set(), name="fields", title=_("Fields"), missing=(),
                                   description=_("None ticked: every field."),
                                   widget=deform.widget.CheckboxChoiceWidget(values=field_choices)))
    schema.add(colander.SchemaNode(colander.String(), name="header", title=_("Header line"), missing="",
                                   validator=_placeholder_validator,
                                   description=_("Placeholders: ${id} ${title} ${type} ${status} ${created} "
                                                 "${modified} ${date} ${user} ${page} and ${<field name>}.")))
    schema.add(colander.SchemaNode(colander.String(), name="footer", title=_("Footer line"), missing="",
                                   validator=_placeholder_validator))
    schema.add(colander.SchemaNode(colander.Boolean(), name="show_history", title=_("Print the history"),
                                   missing=False, widget=deform.widget.CheckboxWidget()))
    return schema


@view_config(route_name="admin_print_template", renderer="procura:templates/print/template_edit.pt",
             permission="procura.admin")
def template_edit(request):
    info = type_or_404(request)
    name = request.matchdict["name"]
    root = request.app_root
    stored = printing.stored_templates(root, info.name)
    creating = name == "new"
    if not creating and name not in stored and name != printing.DEFAULT_NAME:
        raise HTTPNotFound()
    current = printing.template_for(root, info.name, None if creating else name)
    others = set(stored) - ({name} if not creating else set())
    buttons = [deform.Button("save", _("Save"), css_class="btn-primary")]
    if not creating and name in stored:
        buttons.append(deform.Button("delete", _("Delete"), css_class="btn-outline-danger"))
    form = make_form(request, template_schema(request, info, others), buttons=buttons, formid="print-template-form")
    back = request.route_url("admin_print_templates")
    t = request.localizer.translate
    if request.method == "POST":
        if "delete" in request.POST and not creating:
            printing.delete_template(root, info.name, name)
            request.session.flash(t(_("Print template deleted.")), "success")
            return HTTPSeeOther(back)
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as exc:
            return {"form": render_form(exc), "info": info, "name": name, "creating": creating, "back": back}
        chosen = [f.name for f in info.fields if f.name in set(data["fields"])]
        template = printing.PrintTemplate(info.name, data["name"], title=data["title"], fields=chosen,
                                          header=data["header"], footer=data["footer"],
                                          show_history=bool(data["show_history"]))
        if not creating and data["name"] != name:
            printing.delete_template(root, info.name, name)
        printing.save_template(root, template)
        request.session.flash(t(_("Print template saved.")), "success")
        return HTTPSeeOther(back)
    appstruct = current.as_dict() if current is not None else {}
    if creating:
        appstruct = {"name": "", "title": "", "fields": set(), "header": printing.PrintTemplate("x").header,
                     "footer": printing.PrintTemplate("x").footer, "show_history": True}
    else:
        appstruct["fields"] = set(appstruct.get("fields") or ())
    return {"form": render_form(form, appstruct), "info": info, "name": name, "creating": creating, "back": back}
