"""RFC 9457 problem details (``application/problem+json``), translated into the caller's language."""
from __future__ import annotations

import json

from pyramid.response import Response


def problem_response(request, status: int, title, detail=None, errors: dict | None = None, **extra) -> Response:
    t = request.localizer.translate
    body = {"type": "about:blank", "title": t(title), "status": status}
    if detail is not None:
        body["detail"] = t(detail)
    if errors:
        body["errors"] = {k: t(v) for k, v in errors.items()}
    body.update(extra)
    return Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/problem+json",
        charset="utf-8",
    )
