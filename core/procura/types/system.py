"""System work through the same write path as users: demo data, directory synchronisation,
the sign-in audit, jobs.

``system_request(registry, app_root, tm)`` is a Pyramid request bound to the application's
registry (so ``request.types``, translations and after-commit events work as in a web request)
that may do everything except what a type's own rules forbid (``procura.types.access``). Its
writes are recorded as made by ``login`` (default: nobody, shown as "system").

``in_own_transaction(registry, fn)`` runs ``fn(request)`` with a system request in a transaction
of its own on a fresh connection, retrying write conflicts: for records that must be kept even
when the request that caused them fails (a refused sign-in is audited although nothing else is
saved).
"""
from __future__ import annotations

import logging

import transaction
from pyramid.interfaces import IRequestExtensions
from pyramid.request import Request, apply_request_extensions

log = logging.getLogger(__name__)


def system_request(registry, app_root, tm=None, *, login: str | None = None, locale: str | None = None,
                   base: Request | None = None) -> Request:
    request = Request.blank("/", base_url=(base.application_url if base is not None else "http://localhost"))
    request.registry = registry
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is not None:
        apply_request_extensions(request, extensions=extensions)
    request.__dict__["app_root"] = app_root
    request.__dict__["tm"] = tm or transaction.manager
    user = None
    if login:
        from procura.security import get_user

        user = get_user(app_root, login)
    request.__dict__["_procura_identity"] = user
    request.procura_system = True
    request._LOCALE_ = locale or registry.settings.get("procura.default_locale", "en")
    if base is not None:
        request.environ["REMOTE_ADDR"] = base.client_addr or ""
    return request


def in_own_transaction(registry, fn, *, attempts: int = 5, note: str = "", login: str | None = None,
                       base: Request | None = None):
    """Run ``fn(system_request)`` and commit, in a transaction of its own; returns fn's result."""
    from procura.content import APP_KEY
    from procura.db import run_in_transaction

    def run(conn, tm):
        return fn(system_request(registry, conn.root()[APP_KEY], tm, login=login, base=base))

    return run_in_transaction(registry._zodb_databases[""], run, attempts=attempts, note=note)
