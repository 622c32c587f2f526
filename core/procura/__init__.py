"""Procura core: the Pyramid application factory.

``make_app(settings)`` loads the enabled addons in dependency order, opens the object database,
checks its schema versions and returns the WSGI application. ``hookimpl`` marks an addon's hook
implementations (see ``procura.hookspecs`` and docs/hooks.md).
"""
from __future__ import annotations

import warnings

import pluggy

# Pyramid 2.1 and Deform 3 still import pkg_resources (setuptools<81 is pinned for them).
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

hookimpl = pluggy.HookimplMarker("procura")

__all__ = ["hookimpl", "main", "make_app"]


def main(global_config=None, **settings):
    """PasteDeploy entry point (``use = egg:procura``)."""
    from procura.settings import resolve

    return make_app(resolve(settings))


def make_app(settings: dict | None = None, *, db=None):
    """The WSGI app. ``settings`` are resolved settings (``procura.settings.load_settings``).

    ``db`` lets a caller that already opened the database (tests, ``procura serve``) pass it in.
    """
    from procura.app import build_config
    from procura.db import bootstrap, open_db
    from procura.settings import load_settings

    settings = settings if settings is not None else load_settings()
    config = build_config(settings)
    registry = config.registry
    owns_db = db is None
    if owns_db:
        db = open_db(settings["procura.zodb_uri"])
    registry._zodb_databases = {"": db}
    try:
        bootstrap(db, registry.procura_addons, registry.procura_pm)
    except Exception:
        if owns_db:  # a database the caller passed in stays the caller's to close
            db.close()
        raise
    app = config.make_wsgi_app()
    from procura.security.roles import ensure_roles

    ensure_roles(registry)
    return app
