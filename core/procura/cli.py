"""The ``procura`` command.

Every command loads settings (``--config FILE`` or ``procura.ini`` in the working directory, then
``PROCURA_*`` environment variables; see the README), and fails with one clear line and exit code 1
when the addons, the database or the broker cannot be used.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import click

from procura.addons import AddonError
from procura.db import DatabaseError
from procura.settings import as_bool, as_list, is_embedded_broker, is_embedded_zodb, load_settings, redact_uri


class Context:
    def __init__(self, config_file):
        self.config_file = config_file
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings

    def addons(self):
        from procura.addons import load

        return load(self.settings)

    def open_db(self, uri=None):
        from procura.db import open_db

        uri = uri or cli_db_uri(self.settings)
        try:
            return open_db(uri)
        except DatabaseError as exc:
            if "lock" in str(exc).lower() and is_embedded_zodb(self.settings):
                raise DatabaseError(
                    f"{exc}. Another Procura process holds the embedded database; stop `procura serve` "
                    "or run this command while it is running (it then connects through its ZEO socket)"
                ) from None
            raise


def fail(message: str, code: int = 1):
    click.echo(click.style("Error: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


class ProcuraGroup(click.Group):
    """Turns the known set-up errors into one line and exit code 1; adds addon commands."""

    def invoke(self, ctx):
        from procura.jobs import BrokerError

        try:
            return super().invoke(ctx)
        except (AddonError, DatabaseError, BrokerError, FileNotFoundError) as exc:
            fail(str(exc))

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._addon_commands(ctx)))

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        return self._addon_commands(ctx).get(name)

    def _addon_commands(self, ctx):
        try:
            settings = load_settings((ctx.params or {}).get("config"))
            from procura.addons import load

            _enabled, _available, pm = load(settings)
        except Exception:  # noqa: BLE001 - the core commands must work even when addons are broken
            return {}
        commands = {}
        for result in pm.hook.procura_cli_commands():
            for cmd in result or []:
                if cmd.name in commands or cmd.name in self.commands:
                    fail(f"Two addons (or an addon and the core) define the command 'procura {cmd.name}'")
                commands[cmd.name] = cmd
        return commands


@click.group(cls=ProcuraGroup)
@click.option("--config", "-c", type=click.Path(dir_okay=False), default=None, envvar="PROCURA_CONFIG",
              help="Settings file (ini, section [procura]); default: ./procura.ini if present.")
@click.pass_context
def main(ctx, config):
    """Procura: a CRM for procurement."""
    ctx.obj = Context(config)


def ensure_secret(settings) -> bool:
    path = Path(settings["procura.secret_file"])
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def do_init(ctx: Context, quiet=False):
    from procura.db import bootstrap

    settings = ctx.settings
    enabled, _available, pm = ctx.addons()
    Path(settings["procura.var_dir"]).mkdir(parents=True, exist_ok=True)
    if is_embedded_zodb(settings):
        path, blobs = file_uri_paths(settings["procura.zodb_uri"])
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if blobs:
            Path(blobs).mkdir(parents=True, exist_ok=True)
    db = ctx.open_db()
    try:
        installed = bootstrap(db, enabled, pm)
    finally:
        db.close()
    made = ensure_secret(settings)
    if not quiet:
        click.echo(f"Database: {redact_uri(settings['procura.zodb_uri'])}")
        click.echo("Installed: " + (", ".join(installed) if installed else "nothing new"))
        if made:
            click.echo(f"Secret key written to {settings['procura.secret_file']}")


@main.command()
@click.pass_obj
def init(ctx):
    """Create the var folder, the secret key and the database (idempotent)."""
    do_init(ctx)


@main.command()
@click.pass_obj
def addons(ctx):
    """List installed addons: enabled or disabled, and the load order."""
    from procura.addons import disabled_names, discover, resolve

    settings = ctx.settings
    available = discover(set(as_list(settings.get("procura.addons.disabled", ""))))
    disabled = disabled_names(settings, available)
    order = resolve(available, disabled)
    position = {a.name: i + 1 for i, a in enumerate(order)}
    if not available:
        click.echo("No addons installed (core only).")
        return
    click.echo(f"{'#':>2}  {'addon':<14} {'version':<9} {'state':<9} {'depends on':<20} distribution")
    rows = sorted(available.values(), key=lambda a: (position.get(a.name, 999), a.name))
    for a in rows:
        state = "enabled" if a.name in position else ("broken" if a.broken else "disabled")
        num = str(position[a.name]) if a.name in position else "-"
        click.echo(f"{num:>2}  {a.name:<14} {a.version:<9} {state:<9} {', '.join(a.depends) or '-':<20} "
                   f"{a.distribution or '?'}")


@main.command()
@click.pass_obj
def upgrade(ctx):
    """Run pending schema evolve steps of the core and every enabled addon."""
    from procura.db import upgrade as run_upgrade

    enabled, _available, pm = ctx.addons()
    db = ctx.open_db()
    try:
        count = run_upgrade(db, enabled, pm, echo=click.echo)
    finally:
        db.close()
    click.echo(f"{count} evolve step(s) run; the database is up to date.")


@main.command()
@click.pass_obj
def demo(ctx):
    """Load the demo data of the core and every enabled addon (idempotent).

    Records are created through the write path (validation, catalog, search, audit) by a system
    request of the configured application, one transaction per addon."""
    from procura import make_app
    from procura.demo import load_demo_data

    do_init(ctx, quiet=True)
    _enabled, _available, pm = ctx.addons()
    db = ctx.open_db()
    try:
        app = make_app({**ctx.settings, "procura.search.sync": "true"}, db=db)
        load_demo_data(app.registry, click.echo)
    finally:
        db.close()
    print_logins(pm)


def print_logins(pm):
    from pyramid.i18n import Localizer

    from procura.i18n import _  # noqa: F401 - titles are translation strings

    rows = []
    for result in reversed(pm.hook.procura_demo_logins()):  # the core first: hooks answer last-registered first
        rows.extend(result or [])
    if not rows:
        return
    localizer = Localizer("en", None)
    click.echo("Demo sign-ins (login / password):")
    for login, password, what in rows:
        click.echo(f"  {login:<12} {password:<22} {localizer.translate(what)}")


@main.group()
def apikey():
    """REST API tokens."""


@apikey.command("create")
@click.option("--user", "login", required=True, help="Login of the user the token acts for.")
@click.option("--name", default="cli", help="A label for the token.")
@click.option("--days", default=90, type=int, show_default=True, help="Days until it expires; 0 for never.")
@click.pass_obj
def apikey_create(ctx, login, name, days):
    """Create an API token and print it (it is stored hashed and shown only this once)."""
    import transaction

    from procura.content import APP_KEY
    from procura.security import create_token, get_user

    db = ctx.open_db()
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        root = conn.root()[APP_KEY]
        user = get_user(root, login)
        if user is None:
            fail(f"No user with the login '{login}'")
        if not user.active:
            fail(f"The user '{login}' is deactivated")
        token = create_token(root, user, name=name, days=days or None)
        tm.get().note(f"procura apikey create --user {login}")
        tm.commit()
    finally:
        tm.abort()
        conn.close()
        db.close()
    click.echo(token)


@main.group()
def ldap():
    """LDAP / Active Directory."""


@ldap.command("sync")
@click.pass_obj
def ldap_sync(ctx):
    """Synchronise users and groups from the directory now and print what changed.

    Creates and updates directory users, deactivates those gone from the directory or disabled
    there, and sets their teams and roles from procura.ldap.group_map (idempotent)."""
    import datetime as dt

    from procura import make_app
    from procura.security.directory import configured, record_sync, sync
    from procura.security.ldap import LdapError
    from procura.types.system import in_own_transaction

    if not configured(ctx.settings):
        fail("LDAP is not configured: set procura.ldap.url (and the other procura.ldap.* settings)")

    def run(request):
        started = dt.datetime.now(dt.UTC)
        result = sync(request)
        record_sync(request.app_root, {"ok": True, "error": "", **result.summary()}, started)
        return result

    db = ctx.open_db()
    try:
        app = make_app({**ctx.settings, "procura.search.sync": "true"}, db=db)
        try:
            result = in_own_transaction(app.registry, run, note="procura ldap sync")
        except LdapError as exc:
            fail(str(exc))
    finally:
        db.close()
    for what in ("created", "updated", "deactivated", "reactivated"):
        logins = getattr(result, what)
        if logins:
            click.echo(f"{what}: {', '.join(sorted(logins))}")
    for login, reason in result.skipped:
        click.echo(f"skipped {login}: {reason}")
    summary = result.summary()
    click.echo(", ".join(f"{summary[key]} {key}" for key in
                         ("created", "updated", "deactivated", "reactivated", "unchanged", "skipped")))


@main.command()
@click.pass_obj
def shell(ctx):
    """An interactive Python shell with `root` (the application root), `db` and `transaction`."""
    import code

    import transaction

    from procura.content import APP_KEY

    db = ctx.open_db()
    conn = db.open()
    root = conn.root()[APP_KEY]
    banner = ("Procura shell. `root` is the application root; call transaction.commit() to save, "
              "transaction.abort() to drop changes.")
    code.interact(banner=banner, local={"root": root, "db": db, "conn": conn, "transaction": transaction,
                                        "settings": ctx.settings})
    transaction.abort()
    conn.close()
    db.close()


# ---------------------------------------------------------------- jobs

def configure_jobs(ctx: Context, check=True):
    from procura.jobs import check_broker, configure

    enabled, _available, pm = ctx.addons()
    app = configure(ctx.settings, enabled, pm)
    if check and not is_embedded_broker(ctx.settings):
        check_broker()
    return app


@main.command()
@click.option("--beat/--no-beat", default=False, help="Also run the beat scheduler in this worker.")
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_obj
def worker(ctx, beat, concurrency, loglevel):
    """Run a Celery worker for Procura's jobs."""
    app = configure_jobs(ctx)
    if not is_embedded_zodb(ctx.settings):  # fail now, not in every job (embedded: serve's ZEO, or a lock)
        ctx.open_db(ctx.settings["procura.zodb_uri"]).close()
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--without-gossip",
            "--without-mingle"]
    if beat:
        argv += ["--beat", f"--schedule={Path(ctx.settings['procura.var_dir']) / 'celerybeat-schedule'}"]
    app.worker_main(argv)


@main.command()
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_obj
def beat(ctx, loglevel):
    """Run the Celery beat scheduler alone (multi-node: exactly one per installation)."""
    app = configure_jobs(ctx)
    app.start(["beat", f"--loglevel={loglevel}",
               f"--schedule={Path(ctx.settings['procura.var_dir']) / 'celerybeat-schedule'}"])


# ---------------------------------------------------------------- serve

def file_uri_paths(uri: str) -> tuple[str, str | None]:
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    return parts.path, query.get("blobstorage_dir")


def zeo_uri(settings) -> str:
    _path, blobs = file_uri_paths(settings["procura.zodb_uri"])
    uri = f"zeo://{settings['procura.zeo_socket']}?wait_timeout=30"
    if blobs:
        uri += f"&blob_dir={blobs}&shared_blob_dir=true"
    return uri


def zeo_alive(sock_path: str) -> bool:
    if not os.path.exists(sock_path):
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(sock_path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def cli_db_uri(settings) -> str:
    """The embedded FileStorage directly, or through the ZEO socket of a running `procura serve`."""
    if is_embedded_zodb(settings) and zeo_alive(settings["procura.zeo_socket"]):
        return zeo_uri(settings)
    return settings["procura.zodb_uri"]


def start_zeo(settings) -> subprocess.Popen:
    path, blobs = file_uri_paths(settings["procura.zodb_uri"])
    sock = settings["procura.zeo_socket"]
    if zeo_alive(sock):
        fail(f"A ZEO server already listens on {sock}: is another `procura serve` running?")
    if os.path.exists(sock):
        os.unlink(sock)
    conf = Path(settings["procura.var_dir"]) / "zeo.conf"
    storage = f"  <filestorage>\n    path {path}\n  </filestorage>\n"
    if blobs:
        storage = f"<blobstorage 1>\n  blob-dir {blobs}\n{storage}</blobstorage>\n"
    else:
        storage = storage.replace("  <filestorage>", "<filestorage 1>").replace("  </filestorage>", "</filestorage>")
    conf.write_text(f"<zeo>\n  address {sock}\n</zeo>\n{storage}")
    proc = subprocess.Popen([sys.executable, "-m", "ZEO.runzeo", "-C", str(conf)])
    deadline = time.monotonic() + 30
    while not zeo_alive(sock):
        if proc.poll() is not None:
            fail(f"The embedded ZEO server for {path} exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            proc.terminate()
            fail(f"The embedded ZEO server did not start listening on {sock}")
        time.sleep(0.1)
    return proc


@main.command()
@click.option("--host", default=None, help="Address to listen on (setting procura.host).")
@click.option("--port", default=None, type=int, help="Port (setting procura.port).")
@click.option("--worker/--no-worker", default=None,
              help="Also start a Celery worker with beat (setting procura.embedded_worker).")
@click.pass_obj
def serve(ctx, host, port, worker):
    """Run the web application (and, embedded, the ZEO server and a worker with beat)."""
    from waitress import serve as waitress_serve

    from procura import make_app

    settings = ctx.settings
    host = host or settings["procura.host"]
    port = port or int(settings["procura.port"])
    run_worker = as_bool(settings["procura.embedded_worker"]) if worker is None else worker
    configure_jobs(ctx)  # fails early and clearly on an unreachable broker
    do_init(ctx, quiet=True)
    children: list[subprocess.Popen] = []
    env = dict(os.environ)
    if ctx.config_file:
        env["PROCURA_CONFIG"] = str(Path(ctx.config_file).absolute())
    web_settings = dict(settings)

    def stop(*_args):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        if is_embedded_zodb(settings):
            children.append(start_zeo(settings))
            web_settings["procura.zodb_uri"] = web_settings["zodbconn.uri"] = zeo_uri(settings)
            env["PROCURA_ZODB_URI"] = web_settings["procura.zodb_uri"]
        if run_worker:
            args = [sys.executable, "-m", "procura.cli"]
            if ctx.config_file:
                args += ["--config", ctx.config_file]
            children.append(subprocess.Popen(args + ["worker", "--beat", "--concurrency=1"], env=env))
        app = make_app(web_settings)
        click.echo(f"Procura is running at http://{host}:{port}/ (Ctrl+C stops it)")
        proxy = {}
        if settings.get("procura.trusted_proxy"):
            proxy = {"trusted_proxy": settings["procura.trusted_proxy"], "trusted_proxy_count": 1,
                     "trusted_proxy_headers": "x-forwarded-proto x-forwarded-for x-forwarded-host"}
        waitress_serve(app, host=host, port=port, threads=int(settings["procura.threads"]),
                       ident="procura", clear_untrusted_proxy_headers=True, **proxy)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()



# ---------------------------------------------------------------- reindex

@main.command()
@click.option("--type", "type_names", multiple=True, metavar="TYPE",
              help="Only this type (repeatable); default: every type.")
@click.option("--catalog/--no-catalog", default=True, show_default=True,
              help="Rebuild the catalogs (list filters and sorting).")
@click.option("--search/--no-search", default=True, show_default=True, help="Rebuild the full-text search index.")
@click.option("--procs", default=min(4, os.cpu_count() or 1), show_default=True, type=click.IntRange(1, 16),
              help="Processes analysing search documents.")
@click.pass_obj
def reindex(ctx, type_names, catalog, search, procs):
    """Rebuild the catalogs and the search index from the database.

    Safe while Procura runs: search keeps answering from the old index until the new one is
    committed, and index jobs of the worker wait for the rebuild's lock.
    """
    import transaction

    from procura.content import APP_KEY
    from procura.search.service import SearchService
    from procura.types.content import container_for
    from procura.types.registry import collect_types

    _enabled, _available, pm = ctx.addons()
    types = collect_types(pm)
    unknown = [n for n in type_names if n not in types]
    if unknown:
        fail(f"Unknown type(s): {', '.join(unknown)}; known: {', '.join(types.names()) or 'none'}")
    names = list(dict.fromkeys(type_names)) or types.names()
    db = ctx.open_db()
    try:
        if catalog:
            for name in names:
                _reindex_catalog(db, types[name], types)
        if search:
            service = SearchService(ctx.settings, types)
            tm = transaction.TransactionManager()
            conn = db.open(tm)
            try:
                tm.begin()
                root = conn.root()[APP_KEY]
                todo = [n for n in names if service.is_searchable(n) and n in root.get("types", {})]
                total = sum(len(container_for(root, n)) for n in todo)
                with click.progressbar(length=total, label="Search index", show_pos=True) as bar:
                    count = service.rebuild(root, list(type_names) if type_names else None, progress=bar.update,
                                            procs=procs)
            finally:
                tm.abort()
                conn.close()
            click.echo(f"Search index: {count} document(s) in {service.index.path}")
    finally:
        db.close()


def _reindex_catalog(db, info, types):
    import transaction

    from procura.content import APP_KEY
    from procura.types.content import container_for, ensure_containers

    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        root = conn.root()[APP_KEY]
        ensure_containers(root, types)
        container = container_for(root, info.name)
        for name in container.keys():  # objects written without a docid (imports, repairs) get one
            if name not in container.docid_of:
                container.index(container[name], info)
        with click.progressbar(length=len(container), label=f"Catalog {info.name}", show_pos=True) as bar:
            def progress(count):
                bar.update(1)
                if count % 20000 == 0:  # keep memory flat: park changes in a savepoint, drop loaded objects
                    tm.savepoint(optimistic=True)
                    conn.cacheGC()

            count = container.reindex_all(info, progress)
        tm.get().note(f"procura reindex {info.name}")
        tm.commit()
        click.echo(f"Catalog {info.name}: {count} object(s)")
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()


if __name__ == "__main__":
    main(prog_name="procura")
