"""Deform helpers: CSRF-carrying schemas, forms translated into the request's language."""
from __future__ import annotations

import colander
import deform
from pyramid.csrf import get_csrf_token
from pyramid.threadlocal import get_current_request


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


def _translate(term):
    """Deform's translator: into the language of the request being served."""
    request = get_current_request()
    if request is None:
        return term.interpolate() if hasattr(term, "interpolate") else term
    return request.localizer.translate(term)


# One renderer per template search path for the whole process: a renderer caches its compiled
# templates, and compiling Deform's templates anew for every form costs about a second.
_renderers: dict[tuple[str, ...], deform.ZPTRendererFactory] = {}


def form_renderer() -> deform.ZPTRendererFactory:
    path = search_path()
    renderer = _renderers.get(path)
    if renderer is None:
        renderer = _renderers[path] = deform.ZPTRendererFactory(path, translator=_translate)
    return renderer


def make_form(request, schema, **kw) -> deform.Form:
    """A Deform form bound to the request, rendering its labels and errors in the request's language."""
    return deform.Form(schema.bind(request=request), renderer=form_renderer(), **kw)


def render_form(form_or_failure, appstruct=colander.null) -> str:
    if isinstance(form_or_failure, deform.ValidationFailure):
        return form_or_failure.render()
    return form_or_failure.render(appstruct)
