"""Fixtures of the multi-node suite: real PostgreSQL (RelStorage) and Redis, real Procura processes.

PostgreSQL and Redis are expected on 127.0.0.1 (override with PROCURA_TEST_POSTGRES, a
``postgres://user@host:port/maintenance_db`` URL, and PROCURA_TEST_REDIS, ``redis://host:port``).
When one is unreachable, the tests that need it fail in CI (env ``CI=true``) and skip elsewhere,
with a message naming what is missing.

Isolation, so that runs can repeat and even overlap: each run creates its own PostgreSQL database
(dropped afterwards) and takes a Redis database (1-15) that is empty, marking it with a lock key
(flushed afterwards).
"""
from __future__ import annotations

import os
import secrets
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "process"))
from proctools import Proc, clean_env, free_port, run_cli  # noqa: E402

PG_URL = os.environ.get("PROCURA_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PROCURA_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
SITE = Path(__file__).resolve().parent / "fixtures" / "site"  # the procura_testcounter distribution
REDIS_LOCK = "procura:multinode-test:lock"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _pg_connect(dbname: str | None = None):
    import psycopg2

    parts = urlsplit(PG_URL)
    return psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                            user=parts.username or "postgres", password=parts.password,
                            dbname=dbname or parts.path.lstrip("/") or "postgres", connect_timeout=3)


def _redis(db: int = 0):
    import redis

    return redis.Redis.from_url(f"{REDIS_URL}/{db}", socket_connect_timeout=3, socket_timeout=10)


def _check_postgres() -> str | None:
    try:
        conn = _pg_connect()
        conn.close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable here"
        return f"PostgreSQL at {PG_URL} ({exc.__class__.__name__}: {' '.join(str(exc).split())})"


def _check_redis() -> str | None:
    try:
        _redis().ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {REDIS_URL} ({exc.__class__.__name__}: {exc})"


@pytest.fixture(scope="session")
def multinode_services():
    """Fail (CI) or skip (elsewhere) unless PostgreSQL and Redis both answer."""
    missing = [m for m in (_check_postgres(), _check_redis()) if m]
    if missing:
        message = ("The multi-node tests need PostgreSQL and Redis; unreachable: " + "; ".join(missing)
                   + ". Start them, or set PROCURA_TEST_POSTGRES / PROCURA_TEST_REDIS.")
        if in_ci():
            pytest.fail(message + " (CI=true: this suite must not be skipped)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def zodb_uri(multinode_services):
    """A RelStorage URI on a PostgreSQL database created for this run (and dropped after it)."""
    name = f"procura_mn_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = _pg_connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    parts = urlsplit(PG_URL)
    yield f"{parts.scheme}://{parts.netloc}/{name}?keep_history=false"
    conn = _pg_connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture(scope="session")
def broker_url(multinode_services):
    """A Redis URL on a database of its own for this run (flushed after it)."""
    for db in range(15, 0, -1):
        client = _redis(db)
        if client.dbsize() == 0 and client.set(REDIS_LOCK, str(os.getpid()), nx=True, ex=1800):
            break
        client.close()
    else:
        pytest.fail(f"No empty Redis database among 1-15 at {REDIS_URL} for the multi-node tests", pytrace=False)
    yield f"{REDIS_URL}/{db}"
    client.flushdb()
    client.close()


@dataclass
class Node:
    name: str
    proc: Proc
    base: str


@dataclass
class Cluster:
    """Two web processes (``procura serve --no-worker``) on one RelStorage database and one Redis broker."""

    dir: Path
    zodb_uri: str
    broker_url: str
    env: dict  # for the CLI and further processes (var_dir of the CLI; add PROCURA_VAR_DIR to change it)
    a: Node
    b: Node
    extra: list[Proc] = field(default_factory=list)

    def node_env(self, var: Path) -> dict:
        return dict(self.env, PROCURA_VAR_DIR=str(var))

    def cli(self, *args: str, timeout: float = 60):
        result = run_cli(list(args), self.env, self.dir, timeout=timeout)
        assert result.returncode == 0, f"procura {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def token(self, login: str) -> str:
        out = self.cli("apikey", "create", "--user", login, "--name", "multinode-test")
        token = out.strip().splitlines()[-1]
        assert token.startswith("prc_"), out
        return token

    def start(self, args: list[str], name: str) -> Proc:
        var = self.dir / name
        var.mkdir(exist_ok=True)
        proc = Proc(args, self.node_env(var), self.dir, self.dir / f"{name}.log", name=name)
        self.extra.append(proc)
        return proc


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, zodb_uri, broker_url):
    base = tmp_path_factory.mktemp("multinode")
    secret = base / "secret.key"
    secret.write_text(secrets.token_hex(32) + "\n")  # one installation secret for every node
    secret.chmod(0o600)
    pythonpath = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH", "")) if p)
    env = clean_env(PROCURA_ZODB_URI=zodb_uri, PROCURA_BROKER_URL=broker_url, PROCURA_SECRET_FILE=secret,
                    PROCURA_VAR_DIR=base / "cli", PYTHONPATH=pythonpath)
    init = run_cli(["init"], env, base)
    assert init.returncode == 0, init.stderr
    assert "testcounter" in init.stdout, f"the test addon was not installed:\n{init.stdout}"
    demo = run_cli(["demo"], env, base)
    assert demo.returncode == 0, demo.stderr

    procs: list[Proc] = []
    try:
        nodes = []
        for name in ("node-a", "node-b"):
            var = base / name
            var.mkdir()
            port = free_port()
            proc = Proc(["serve", "--no-worker", "--port", str(port)], dict(env, PROCURA_VAR_DIR=str(var)), base,
                        base / f"{name}.log", name=name)
            procs.append(proc)
            nodes.append(Node(name, proc, f"http://127.0.0.1:{port}"))
        for node in nodes:
            node.proc.wait_http(f"{node.base}/healthz", timeout=60)
        c = Cluster(base, zodb_uri, broker_url, env, nodes[0], nodes[1])
        yield c
        procs += c.extra
    finally:
        for proc in reversed(procs):
            proc.stop()
