"""Structured list queries through the catalog: filter, status category, sort, paginate.

Never scans a container: the result set comes from hypatia indexes and only the page's objects are
loaded. Free text (``q``) is answered by the search index and intersected with the catalog result.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from procura.i18n import _
from procura.types import access
from procura.types.content import container_for
from procura.types.service import ValidationFailed

SYSTEM_SORTS = {"created", "modified", "status", "title", "id"}
MAX_LIMIT = 500


@dataclass
class ListQuery:
    filters: dict = field(default_factory=dict)  # field name -> raw string value (or list of them)
    category: str | None = None  # "open", "closed" or None (all)
    sort: str = "-modified"
    limit: int = 50
    offset: int = 0
    q: str | None = None
    deleted: bool = False
    ids: set | None = None  # restrict to these object ids (e.g. from search)


@dataclass
class ListResult:
    items: list
    total: int


def parse_list_params(info, params, *, reserved=("q", "sort", "limit", "offset", "category", "view",
                                                   "columns", "page", "format", "_LOCALE_")) -> ListQuery:
    """A query-string -> ListQuery, with clear errors for unknown fields or bad values."""
    errors = {}
    query = ListQuery()
    query.q = (params.get("q") or "").strip() or None
    query.sort = params.get("sort") or "-modified"
    key = query.sort.lstrip("-")
    if key not in SYSTEM_SORTS and not (info.field(key) and info.field(key).indexed):
        errors["sort"] = _("Cannot sort by '${field}'", mapping={"field": key})
    try:
        query.limit = max(1, min(MAX_LIMIT, int(params.get("limit") or 50)))
        query.offset = max(0, int(params.get("offset") or 0))
    except ValueError:
        errors["limit"] = _("limit and offset must be whole numbers")
    category = params.get("category")
    if category in ("open", "closed"):
        query.category = category
    elif category not in (None, "", "all"):
        errors["category"] = _("category must be all, open or closed")
    for name in set(params.keys()):
        if name in reserved:
            continue
        values = [v for v in params.getall(name) if v != ""] if hasattr(params, "getall") else [params[name]]
        if not values:
            continue
        if name == "status":
            query.filters["status"] = values
            continue
        f = info.field(name)
        if f is None or not f.indexed:
            errors[name] = _("Cannot filter by '${field}'", mapping={"field": name})
            continue
        query.filters[name] = values
    if errors:
        raise ValidationFailed(errors)
    return query


def hidden_field_errors(request, info, query: ListQuery) -> dict:
    """Filters and a sort on fields hidden from the user, refused as if the fields did not exist:
    the records a filter keeps, or the order a sort gives, would tell the hidden values."""
    t = request.localizer.translate
    errors = {}

    def hidden(name):
        f = info.field(name)
        return f is not None and access.field_access(request, info, f) == access.HIDDEN

    for name in query.filters:
        if hidden(name):
            errors[name] = t(_("Cannot filter by '${field}'", mapping={"field": name}))
    key = query.sort.lstrip("-")
    if hidden(info.title_field if key == "title" else key):
        errors["sort"] = t(_("Cannot sort by '${field}'", mapping={"field": key}))
    return errors


def matching_docids(request, info, query: ListQuery, container=None):
    """The docids matching the query's filters, category, access restriction and ``ids``, unsorted
    (a BTree set or a list of ints; objects are not loaded). ``run_query`` pages them; exports walk
    them all (``procura.export.rows``)."""
    container = container if container is not None else container_for(request.app_root, info.name)
    catalog = container.catalog
    t = request.localizer.translate
    q = catalog["deleted"].eq(bool(query.deleted))
    errors = hidden_field_errors(request, info, query)
    for name, values in query.filters.items():
        if name in errors:
            continue
        index = catalog[name]
        if name == "status":
            q = q & index.any(list(values))
            continue
        f = info.field(name)
        parsed = []
        for raw in values:
            try:
                parsed.append(f.filter_value(raw))
            except Exception:  # noqa: BLE001 - any parse failure is the caller's bad value
                errors[name] = t(_("Not a valid value for '${field}'", mapping={"field": t(f.title)}))
        parsed = [p for p in parsed if p is not None]
        if parsed:
            q = q & index.any(parsed)
    if errors:
        raise ValidationFailed(errors)
    if query.category and info.workflow:
        q = q & catalog["status"].any(info.workflow.statuses_in(query.category))
    extra = access.list_query_filter(request, info)
    if extra is not None:
        q = q & extra
    result = q.execute()
    if query.ids is not None:
        wanted = {container.docid_of.get(i) for i in query.ids} - {None}
        return [d for d in result.ids if d in wanted]
    return result.ids  # a BTree set: sorted with a limit without loading every object


def run_query(request, info, query: ListQuery) -> ListResult:
    container = container_for(request.app_root, info.name)
    catalog = container.catalog
    docids = matching_docids(request, info, query, container)
    total = len(docids)
    key = query.sort.lstrip("-")
    reverse = query.sort.startswith("-")
    need = query.offset + query.limit
    index = catalog[key]
    ordered = list(index.sort(docids, reverse=reverse, limit=need, raise_unsortable=False)) if docids else []
    if len(ordered) < need and len(ordered) < total:
        # objects without a value for the sort key come last, in a stable order
        have = set(ordered)
        for d in docids:
            if d not in have:
                ordered.append(d)
                if len(ordered) >= need:
                    break
    page = ordered[query.offset:need]
    items = [container[container.docids[d]] for d in page]
    return ListResult(items=items, total=total)
