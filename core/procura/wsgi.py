"""WSGI entry point for production servers: ``gunicorn 'procura.wsgi:application'``.

Settings come from ``PROCURA_CONFIG`` / ``procura.ini`` / ``PROCURA_*`` variables as for the CLI.
Run workers apart (``procura worker``, one ``procura beat``) and use a multi-node database URI:
the embedded FileStorage can be opened by one process only.
"""
import os

from procura import make_app
from procura.settings import load_settings

application = make_app(load_settings(os.environ.get("PROCURA_CONFIG")))
