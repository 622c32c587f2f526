"""Deform helpers: CSRF-carrying schemas, forms translated into the request's language."""
from __future__ import annotations

import colander
import deform
from pyramid.csrf import get_csrf_token


@colander.deferred
def deferred_csrf_default(node, kw):
    return get_csrf_token(kw["request"])


class CSRFSchema(colander.Schema):
    """Base schema for every form: carries the session's CSRF token (Pyramid checks it on POST)."""

    csrf_token = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(), default=deferred_csrf_default,
        missing=colander.drop,
    )


def search_path() -> tuple[str, ...]:
    """Deform template folders: Procura's own widgets first, then Deform's (Bootstrap 5) templates."""
    from importlib.resources import files

    own = str(files("procura") / "templates" / "deform")
    return (own, *deform.Form.default_renderer.loader.search_path)


def make_form(request, schema, **kw) -> deform.Form:
    """A Deform form bound to the request, rendering its labels and errors in the request's language."""
    localizer = request.localizer
    renderer = deform.ZPTRendererFactory(search_path(), translator=localizer.translate)
    return deform.Form(schema.bind(request=request), renderer=renderer, **kw)


def render_form(form_or_failure, appstruct=colander.null) -> str:
    if isinstance(form_or_failure, deform.ValidationFailure):
        return form_or_failure.render()
    return form_or_failure.render(appstruct)
