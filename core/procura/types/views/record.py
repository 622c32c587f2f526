"""One record: detail page, add/edit/copy forms, trash, restore, purge and workflow transitions."""
from __future__ import annotations

import logging

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render
from pyramid.view import view_config

from procura.i18n import _
from procura.types import access
from procura.types.query import ListQuery, run_query
from procura.types.service import (
    NotFound,
    ServiceError,
    StaleVersion,
    TransitionRefused,
    ValidationFailed,
)
from procura.types.views.common import (
    field_value,
    flash,
    load,
    redirect,
    remember_viewed,
    show_number,
    status_info,
    t,
    title_of,
    type_info,
    user_names,
    when,
)
from procura.types.views.feed import feed_entries
from procura.views.forms import deferred_csrf_default, make_form

log = logging.getLogger(__name__)
FORM_TEMPLATE = "procura:templates/types/deform/form.pt"
WIDE_KINDS = {"text", "multi_enum", "markdown", "richtext", "address", "files", "file", "image"}
RELATED_LIMIT = 10


# ---------------------------------------------------------------- forms
def _panels(request, fields):
    """Form/detail panels: ``[(title, [field, ...])]`` in declaration order of the groups."""
    order, groups = [], {}
    for f in fields:
        key = f.group or None
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    return [(t(request, key) if key else t(request, _("Details")), groups[key]) for key in order]


def build_form(request, info, obj=None, *, action, submit_title):
    svc = request.types
    schema = svc.schema(info, obj)
    schema.widget = deform.widget.FormWidget(template=FORM_TEMPLATE)
    schema.add(colander.SchemaNode(colander.String(), name="csrf_token", widget=deform.widget.HiddenWidget(),
                                   default=deferred_csrf_default, missing=colander.drop))
    if obj is not None:
        schema.add(colander.SchemaNode(colander.Integer(), name="version", widget=deform.widget.HiddenWidget(),
                                       missing=colander.drop))
    form = make_form(request, schema, formid=f"type-form-{info.name}", action=action,
                     buttons=(deform.Button("save", submit_title, css_class="btn-primary"),))
    editable = svc.editable_fields(info, obj)
    form.panels = [(title, [(f.name, "col-12" if getattr(f, "kind", "") in WIDE_KINDS else "col-12 col-md-6")
                            for f in fields]) for title, fields in _panels(request, editable)]
    return form


def render_type_form(form, *, appstruct=None, cstruct=None, failure=None, notice=None, cancel_url=None):
    kw = {"panels": form.panels, "notice": notice, "cancel_url": cancel_url}
    if failure is not None:
        failure.field.widget.handle_error(failure.field, failure.error)
        return failure.field.serialize(failure.cstruct, **kw)
    if cstruct is not None:
        return form.serialize(cstruct, **kw)
    return form.render(appstruct if appstruct is not None else colander.null, **kw)


def failure_from_errors(request, form, errors: dict) -> deform.ValidationFailure:
    """Service-level field errors (``ValidationFailed.errors``) shown inline on the form's fields."""
    schema = form.schema
    exc = colander.Invalid(schema, "")
    general = []
    names = [c.name for c in schema.children]
    for name, message in errors.items():
        top = name.split(".", 1)[0]
        if top in names:
            exc.add(colander.Invalid(schema[top], message), names.index(top))
        else:
            general.append(str(message))
    if general:
        exc.msg = "; ".join(general)
    return deform.ValidationFailure(form, form.cstruct, exc)


def widget_resources(request, form) -> dict:
    """URLs of the JS/CSS that the form's widgets declare (Deform requirements), served from deform:static.

    The form's own requirement ("deform": its ajax helper) is left out: these forms post normally.
    """
    empty = {"js": [], "css": [], "deform_js": None}
    try:
        wanted = [r for r in form.get_widget_requirements() if r[0] != "deform"]
        resources = form.get_widget_resources(wanted) if wanted else None
    except Exception:  # noqa: BLE001 - a widget without registered resources needs none
        return empty
    if not resources:
        return empty

    def url(path):
        return request.static_url(path if ":" in path else "deform:static/" + path)

    js = [url(p) for p in resources.get("js", ())]
    return {"js": js, "css": [url(p) for p in resources.get("css", ())],
            "deform_js": request.static_url("deform:static/scripts/deform.js") if js else None}


def _form_page(request, info, form_html, *, heading, obj=None, subtitle=None, form=None):
    return {
        "resources": widget_resources(request, form) if form is not None else {"js": [], "css": [], "deform_js": None},
        "info": info, "type_title": t(request, info.title), "plural": t(request, info.plural),
        "heading": heading, "subtitle": subtitle, "form": form_html, "obj": obj,
        "list_url": request.route_url("type_list", type=info.name),
        "detail_url": request.route_url("type_detail", type=info.name, id=obj.id) if obj is not None else None,
    }


@view_config(route_name="type_new", request_method=("GET", "POST"), renderer="procura:templates/types/form.pt",
             permission="procura.view")
def add_view(request):
    info = type_info(request, "create")
    svc = request.types
    form = build_form(request, info, action=request.route_url("type_new", type=info.name),
                      submit_title=t(request, _("Create")))
    cancel = request.route_url("type_list", type=info.name)
    heading = t(request, _("New ${type}", mapping={"type": t(request, info.title).lower()}))
    if request.method == "POST":
        try:
            appstruct = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            return _form_page(request, info, render_type_form(form, failure=failure, cancel_url=cancel),
                              heading=heading, form=form)
        try:
            obj = svc.create(info, svc.validate_form(info, appstruct))
        except ValidationFailed as exc:
            failure = failure_from_errors(request, form, exc.errors)
            return _form_page(request, info, render_type_form(form, failure=failure, cancel_url=cancel),
                              heading=heading, form=form)
        flash(request, _("${type} “${title}” created.",
                         mapping={"type": t(request, info.title), "title": title_of(request, info, obj)}))
        return redirect(request.route_url("type_detail", type=info.name, id=obj.id))
    return _form_page(request, info, render_type_form(form, cancel_url=cancel), heading=heading, form=form)


@view_config(route_name="type_copy", request_method="GET", renderer="procura:templates/types/form.pt",
             permission="procura.view")
def copy_view(request):
    """The add form prefilled with a copy of this record's values (the copy is saved by /new)."""
    info = type_info(request, "create")
    svc = request.types
    source = load(request, info)
    values = svc.copy_values(source)
    form = build_form(request, info, action=request.route_url("type_new", type=info.name),
                      submit_title=t(request, _("Create")))
    editable = svc.editable_fields(info)
    appstruct = {f.name: f.to_appstruct(values.get(f.name)) for f in editable if f.name in values}
    cancel = request.route_url("type_detail", type=info.name, id=source.id)
    heading = t(request, _("Copy of “${title}”", mapping={"title": title_of(request, info, source)}))
    notice = {"level": "info", "text": t(request, _("A new record prefilled from ${number}. Nothing is saved until "
                                                    "you press Create.", mapping={"number": source.id}))}
    return _form_page(request, info, render_type_form(form, appstruct=appstruct, notice=notice, cancel_url=cancel),
                      heading=heading, form=form)


@view_config(route_name="type_edit", request_method=("GET", "POST"), renderer="procura:templates/types/form.pt",
             permission="procura.view")
def edit_view(request):
    info = type_info(request)
    svc = request.types
    obj = load(request, info, action="edit")
    form = build_form(request, info, obj, action=request.route_url("type_edit", type=info.name, id=obj.id),
                      submit_title=t(request, _("Save")))
    detail = request.route_url("type_detail", type=info.name, id=obj.id)
    heading = t(request, _("Edit “${title}”", mapping={"title": title_of(request, info, obj)}))
    subtitle = obj.id if show_number(info) else None

    def page(html):
        return _form_page(request, info, html, heading=heading, obj=obj, subtitle=subtitle, form=form)

    if request.method == "POST":
        try:
            appstruct = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            return page(render_type_form(form, failure=failure, cancel_url=detail))
        version = appstruct.pop("version", None)
        try:
            values = svc.validate_form(info, appstruct, obj)
            _obj, changes = svc.update(obj, values, expected_version=version if version is not None else obj.version)
        except ValidationFailed as exc:
            return page(render_type_form(form, failure=failure_from_errors(request, form, exc.errors),
                                         cancel_url=detail))
        except StaleVersion as exc:
            request.response.status = 409
            notice = {"level": "danger", "text": exc.message(request), "reload_url": request.path}
            return page(render_type_form(form, cstruct=form.cstruct, notice=notice, cancel_url=detail))
        if changes:
            flash(request, _("Changes saved."))
        else:
            flash(request, _("Nothing was changed."), "info")
        return redirect(detail)
    appstruct = {f.name: f.to_appstruct(getattr(obj, f.name, None)) for f in svc.editable_fields(info, obj)}
    appstruct["version"] = obj.version
    return page(render_type_form(form, appstruct=appstruct, cancel_url=detail))


# ---------------------------------------------------------------- detail
def _reference_target(field):
    """The type a reference field points to (fields expose it as ``references``/``target_type``)."""
    for attr in ("references", "target_type", "ref_type", "target"):
        value = getattr(field, attr, None)
        if isinstance(value, str):
            return value
    return None


def related_lists(request, info, obj) -> list[dict]:
    """Records of other types whose indexed reference fields point at ``obj``."""
    out = []
    svc = request.types
    for other in request.registry.procura_types:
        if not svc.can("read", other):
            continue
        for field in other.fields:
            if not field.indexed or _reference_target(field) != info.name:
                continue
            if access.field_access(request, other, field) == access.HIDDEN:
                continue  # which records point here is the hidden field's value
            try:
                result = run_query(request, other, ListQuery(filters={field.name: [obj.id]}, limit=RELATED_LIMIT))
            except Exception:  # noqa: BLE001 - a related list must not break the record's page
                log.exception("related list %s.%s of %s failed", other.name, field.name, obj.id)
                continue
            items = [{"title": title_of(request, other, o), "number": o.id if show_number(other) else "",
                      "url": request.route_url("type_detail", type=other.name, id=o.id),
                      "status": status_info(request, other, o.status), "modified": when(request, o.modified)}
                     for o in result.items]
            out.append({
                "title": t(request, other.plural), "field": t(request, field.title), "icon": other.icon,
                "items": items, "total": result.total, "name": f"{other.name}-{field.name}",
                "all_url": request.route_url("type_list", type=other.name, _query={field.name: obj.id}),
                "new_url": request.route_url("type_new", type=other.name) if svc.can("create", other) else None,
            })
    return out


def _render_entry(request, info, obj, entry):
    if entry.get("template"):
        return render(entry["template"], {"entry": entry, "info": info, "obj": obj}, request=request)
    return None


@view_config(route_name="type_detail", request_method="GET", renderer="procura:templates/types/detail.pt",
             permission="procura.view")
def detail_view(request):
    info = type_info(request)
    svc = request.types
    obj = load(request, info, deleted=None)
    if obj.deleted and not svc.can("delete", info, obj):
        raise HTTPNotFound()
    names = user_names(request)
    panels = []
    for title, fields in _panels(request, svc.visible_fields(info, obj)):
        rows = []
        for f in fields:
            value = field_value(request, f, obj)
            rows.append({"name": f.name, "title": t(request, f.title), **value,
                         "wide": getattr(f, "kind", "") in WIDE_KINDS})
        panels.append({"title": title, "rows": rows})
    can_edit = not obj.deleted and svc.can("edit", info, obj)
    can_delete = svc.can("delete", info, obj)
    actions = []
    for a in svc.actions(obj):
        actions.append({**a, "title": t(request, a["title"]),
                        "target_title": (status_info(request, info, a["target"]) or {}).get("title", ""),
                        "url": request.route_url("type_transition", type=info.name, id=obj.id, name=a["name"])})
    entries = feed_entries(request, info, obj)
    for entry in entries:
        entry["html"] = _render_entry(request, info, obj, entry)
    if not obj.deleted:
        remember_viewed(request.identity, info.name, obj.id)
    composers = [render(tpl, {"info": info, "obj": obj}, request=request)
                 for tpl in getattr(request.registry, "procura_feed_composers", ())]
    extra_actions, extra_panels = record_extras(request, info, obj)
    return {
        "extra_actions": extra_actions,
        "main_panels": [p for p in extra_panels if not p.side],
        "side_panels": [p for p in extra_panels if p.side],
        "info": info, "obj": obj, "type_title": t(request, info.title), "plural": t(request, info.plural),
        "title": title_of(request, info, obj), "number": obj.id if show_number(info) else "",
        "status": status_info(request, info, obj.status),
        "created": when(request, obj.created), "created_by": names(obj.created_by),
        "modified": when(request, obj.modified), "modified_by": names(obj.modified_by),
        "owner": names(obj.owner),
        "deleted_at": when(request, obj.deleted_at), "deleted_by": names(obj.deleted_by),
        "panels": panels, "actions": actions, "can_edit": can_edit, "can_delete": can_delete,
        "can_copy": not obj.deleted and svc.can("create", info),
        "related": related_lists(request, info, obj) if not obj.deleted else [],
        "feed": entries, "composers": composers,
        "list_url": request.route_url("type_list", type=info.name),
        "kanban_url": request.route_url("type_kanban", type=info.name) if info.workflow else None,
        "edit_url": request.route_url("type_edit", type=info.name, id=obj.id),
        "copy_url": request.route_url("type_copy", type=info.name, id=obj.id),
        "delete_url": request.route_url("type_delete", type=info.name, id=obj.id),
        "restore_url": request.route_url("type_restore", type=info.name, id=obj.id),
        "purge_url": request.route_url("type_purge", type=info.name, id=obj.id),
        "trash_url": request.route_url("type_trash", type=info.name),
    }


def record_extras(request, info, obj):
    """Buttons and panels addons add to a record's page (``procura_record_actions``/``_panels``)."""
    actions, panels = [], []
    if obj.deleted:
        return actions, panels
    from procura.types.views.operations import operation_actions

    actions.extend(operation_actions(request, info, obj))
    for result in request.pm.hook.procura_record_actions(request=request, info=info, obj=obj):
        actions.extend(result or [])
    for result in request.pm.hook.procura_record_panels(request=request, info=info, obj=obj):
        panels.extend(result or [])
    actions.sort(key=lambda a: (a.order, a.name))
    panels.sort(key=lambda p: (p.order, p.name))
    return actions, panels


# ---------------------------------------------------------------- trash
@view_config(route_name="type_delete", request_method="POST", permission="procura.view")
def delete_view(request):
    info = type_info(request)
    obj = load(request, info, action="delete")
    try:
        request.types.delete(obj, expected_version=_int(request.POST.get("version")))
    except StaleVersion as exc:
        request.session.flash(exc.message(request), "danger")
        return redirect(request.route_url("type_detail", type=info.name, id=obj.id))
    flash(request, _("“${title}” moved to the trash. You can restore it from there.",
                     mapping={"title": title_of(request, info, obj)}))
    return redirect(request.route_url("type_list", type=info.name))


@view_config(route_name="type_restore", request_method="POST", permission="procura.view")
def restore_view(request):
    info = type_info(request)
    obj = load(request, info, action="delete", deleted=True)
    request.types.restore(obj)
    flash(request, _("“${title}” restored.", mapping={"title": title_of(request, info, obj)}))
    return redirect(request.route_url("type_detail", type=info.name, id=obj.id))


@view_config(route_name="type_purge", request_method="POST", permission="procura.view")
def purge_view(request):
    info = type_info(request)
    obj = load(request, info, action="delete", deleted=True)
    title = title_of(request, info, obj)
    request.types.purge(obj)
    flash(request, _("“${title}” deleted for good.", mapping={"title": title}))
    return redirect(request.route_url("type_trash", type=info.name))


# ---------------------------------------------------------------- workflow
@view_config(route_name="type_transition", request_method=("GET", "POST"),
             renderer="procura:templates/types/transition.pt", permission="procura.view")
def transition_view(request):
    info = type_info(request)
    svc = request.types
    obj = load(request, info)
    transition = info.workflow.transition(request.matchdict["name"]) if info.workflow else None
    if transition is None:
        raise HTTPNotFound()
    detail = request.route_url("type_detail", type=info.name, id=obj.id)
    error = None
    comment = ""
    if request.method == "POST":
        comment = (request.POST.get("comment") or "").strip()
        try:
            svc.transition(obj, transition.name, comment=comment or None,
                           expected_version=_int(request.POST.get("version")))
        except StaleVersion as exc:
            error = exc.message(request)
        except TransitionRefused as exc:
            error = t(request, exc.reason)
            if not (transition.comment_required and not comment):
                request.session.flash(error, "danger")
                return redirect(detail)
        except (NotFound, ServiceError):
            raise HTTPNotFound() from None
        else:
            status = status_info(request, info, obj.status)
            flash(request, _("${action}: the status is now “${status}”.",
                             mapping={"action": t(request, transition.title), "status": status["title"]}))
            return redirect(detail)
        request.response.status = 409
    elif transition.name not in {a["name"] for a in svc.actions(obj)}:
        error = _unavailable_reason(request, info, obj, transition)
    return {
        "info": info, "obj": obj, "type_title": t(request, info.title), "title": title_of(request, info, obj),
        "transition": transition, "transition_title": t(request, transition.title),
        "status": status_info(request, info, obj.status),
        "target": status_info(request, info, transition.target),
        "error": error, "comment": comment, "detail_url": detail,
        "action_url": request.route_url("type_transition", type=info.name, id=obj.id, name=transition.name),
    }


def _unavailable_reason(request, info, obj, transition):
    """Why ``transition`` cannot be taken now (the same words the service uses when it refuses)."""
    title = t(request, transition.title)
    if obj.status not in transition.sources:
        return t(request, _("'${action}' is not possible from the status '${status}'",
                            mapping={"action": title, "status": status_info(request, info, obj.status)["title"]}))
    if not request.types.can(info.transition_permission(transition), info, obj):
        return t(request, _("You are not allowed to '${action}' this record", mapping={"action": title}))
    reason = transition.guard(obj, request) if transition.guard is not None else None
    return t(request, reason) if reason else None


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
