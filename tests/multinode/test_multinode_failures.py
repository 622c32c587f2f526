"""Multi-node set-up errors: an unreachable broker or an unusable database stops ``procura serve`` and
``procura worker`` at once, with one clear line and exit code 1 (no traceback, no half-started process).

These need no running PostgreSQL or Redis: they point at closed ports.
"""
from __future__ import annotations

import time

import pytest
from proctools import clean_env, free_port, run_cli

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(120)]

COMMANDS = {
    "serve": ["serve", "--no-worker", "--port", "0"],
    "worker": ["worker", "--concurrency=1"],
}


def closed_port() -> int:
    return free_port()  # nothing listens on a port the OS just handed out and took back


def run_failing(tmp_path, args, **env):
    started = time.monotonic()
    result = run_cli(args, clean_env(PROCURA_VAR_DIR=tmp_path / "var", **env), tmp_path, timeout=30)
    elapsed = time.monotonic() - started
    output = (result.stdout + result.stderr).strip()
    lines = [line for line in output.splitlines() if line.strip()]
    assert result.returncode == 1, f"exit code {result.returncode}, output:\n{output}"
    assert "Traceback" not in output, output
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{output}"
    assert lines[0].startswith("Error: "), output
    return lines[0], elapsed


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreachable_broker(tmp_path, command):
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    line, elapsed = run_failing(tmp_path, COMMANDS[command], PROCURA_BROKER_URL=broker,
                                PROCURA_ZODB_URI=f"file://{tmp_path}/Data.fs")
    assert "Cannot reach the job broker" in line
    assert broker in line
    assert elapsed < 15, f"took {elapsed:.1f} s to give up"
    assert not (tmp_path / "Data.fs").exists(), "the database was touched before the broker was checked"


def test_broker_password_is_not_printed(tmp_path):
    broker = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/0"
    line, _elapsed = run_failing(tmp_path, COMMANDS["worker"], PROCURA_BROKER_URL=broker)
    assert "Cannot reach the job broker" in line
    assert "s3cret-pass" not in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unknown_database_scheme(tmp_path, command):
    line, elapsed = run_failing(tmp_path, COMMANDS[command], PROCURA_ZODB_URI="nosuchdb://somewhere/procura")
    assert "Unknown database URI scheme 'nosuchdb'" in line
    assert elapsed < 15


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_postgres_on_a_closed_port(tmp_path, command):
    uri = f"postgres://procura:db-pass@127.0.0.1:{closed_port()}/procura?keep_history=false"
    line, elapsed = run_failing(tmp_path, COMMANDS[command], PROCURA_ZODB_URI=uri)
    assert "Cannot open the database postgres://procura:***@127.0.0.1" in line
    assert "db-pass" not in line
    assert elapsed < 15
