"""Operations of a type (``TypeInfo.operations``) in the web UI: a form for their input, a POST for
those without, and a result page for what they return (a generated password, shown once)."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from procura.i18n import _
from procura.types.service import StaleVersion, TransitionRefused, ValidationFailed
from procura.types.views.common import flash, load, redirect, t, title_of, type_info
from procura.types.views.record import failure_from_errors
from procura.ui import RecordAction
from procura.views.forms import deferred_csrf_default, make_form

TEMPLATE = "procura:templates/types/operation.pt"


def operation_actions(request, info, obj) -> list[RecordAction]:
    """The record's operations as detail-page buttons (a form page when they take input)."""
    out = []
    for op in request.types.operations(obj):
        url = request.route_url("type_operation", type=info.name, id=obj.id, name=op.name)
        out.append(RecordAction(name=f"op-{op.name}", title=op.title, url=url, icon=op.icon,
                                method="get" if op.schema is not None else "post", style=op.style,
                                confirm=op.confirm, menu=op.menu, order=50))
    return out


def _form(request, info, obj, op):
    schema = op.schema(request)
    schema.add(colander.SchemaNode(colander.String(), name="csrf_token", widget=deform.widget.HiddenWidget(),
                                   default=deferred_csrf_default, missing=colander.drop))
    schema.add(colander.SchemaNode(colander.Integer(), name="version", widget=deform.widget.HiddenWidget(),
                                   missing=colander.drop))
    return make_form(request, schema, formid=f"operation-{op.name}",
                     action=request.route_url("type_operation", type=info.name, id=obj.id, name=op.name),
                     buttons=(deform.Button("run", t(request, op.title), css_class="btn-primary"),))


def _page(request, info, obj, op, *, form_html=None, result=None):
    return {"info": info, "obj": obj, "op": op, "form": form_html, "result": result,
            "title": title_of(request, info, obj), "heading": t(request, op.title),
            "description": t(request, op.description) if op.description else "",
            "detail_url": request.route_url("type_detail", type=info.name, id=obj.id)}


@view_config(route_name="type_operation", request_method=("GET", "POST"), renderer=TEMPLATE,
             permission="procura.view")
def operation_view(request):
    info = type_info(request)
    obj = load(request, info)
    op = info.operation(request.matchdict["name"])
    svc = request.types
    if op is None or op not in svc.operations(obj):
        raise HTTPNotFound()
    detail = request.route_url("type_detail", type=info.name, id=obj.id)
    form = _form(request, info, obj, op) if op.schema is not None else None
    if request.method == "GET":
        if form is None:
            return redirect(detail)
        return _page(request, info, obj, op, form_html=form.render({"version": obj.version}))
    data = {}
    version = request.POST.get("version")
    if form is not None:
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            return _page(request, info, obj, op, form_html=failure.render())
        data.pop("csrf_token", None)
        version = data.pop("version", version)
    try:
        result = svc.run_operation(obj, op.name, data, expected_version=int(version) if version else None,
                                   from_form=True)
    except ValidationFailed as exc:
        if form is None:
            flash(request, "; ".join(str(v) for v in exc.errors.values()), "danger")
            return redirect(detail)
        return _page(request, info, obj, op, form_html=failure_from_errors(request, form, exc.errors).render())
    except StaleVersion as exc:
        flash(request, exc.message(request), "danger")
        return redirect(detail)
    except TransitionRefused as exc:
        flash(request, t(request, exc.reason), "danger")
        return redirect(detail)
    shown = [(t(request, title), result[key]) for key, title in op.result_titles.items() if key in result]
    if shown:
        return _page(request, info, obj, op, result=shown)
    flash(request, _("“${action}” done.", mapping={"action": t(request, op.title)}))
    return redirect(detail)
