"""The global search results page: ``GET /search?q=...[&type=...][&page=N]``."""
from __future__ import annotations

from pyramid.view import view_config

PAGE_SIZE = 20


@view_config(route_name="search", renderer="procura:templates/search.pt", permission="procura.view")
def search_view(request):
    service = request.registry.procura_search
    q = (request.GET.get("q") or "").strip()[:500]
    readable = service.readable_types(request)
    wanted = [t for t in request.GET.getall("type") if t in readable]
    try:
        page = max(1, min(1000, int(request.GET.get("page") or 1)))
    except ValueError:
        page = 1
    result = service.search_page(request, q, types=wanted or None, limit=PAGE_SIZE,
                                 offset=(page - 1) * PAGE_SIZE) if q else None
    t = request.localizer.translate
    type_choices = [{"name": n, "title": t(service.types[n].plural), "active": n in wanted} for n in readable]

    def page_url(number):
        query = [("q", q)] + [("type", n) for n in wanted] + ([("page", str(number))] if number > 1 else [])
        return request.route_url("search", _query=query)

    pages = None
    if result is not None and result.total > PAGE_SIZE:
        last = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
        pages = {
            "current": page,
            "prev": page_url(page - 1) if page > 1 else None,
            "next": page_url(page + 1) if page < last or not result.exact else None,
        }
    return {"q": q, "result": result, "types": type_choices, "pages": pages, "page_size": PAGE_SIZE,
            "first": (page - 1) * PAGE_SIZE + 1}
