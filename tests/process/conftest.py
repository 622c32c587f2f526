"""Fixtures for tests that run the embedded installation as real processes, as ``make run`` does."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from proctools import Proc, clean_env, free_port, run_cli


@dataclass
class Embedded:
    base: str
    var: Path
    cwd: Path
    env: dict
    serve: Proc
    init_output: str
    demo_output: str


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """``procura init``, ``procura demo`` and ``procura serve`` (ZEO + worker with beat + waitress) in a
    fresh var folder; one serve process for the whole module, stopped (with its group) afterwards."""
    cwd = tmp_path_factory.mktemp("embedded")
    var = cwd / "var"
    env = clean_env(PROCURA_VAR_DIR=var)
    init = run_cli(["init"], env, cwd)
    assert init.returncode == 0, init.stderr
    demo = run_cli(["demo"], env, cwd)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    serve = Proc(["serve", "--port", str(port)], env, cwd, cwd / "serve.log", name="procura serve")
    try:
        base = f"http://127.0.0.1:{port}"
        serve.wait_http(f"{base}/login", timeout=60)
        yield Embedded(base, var, cwd, env, serve, init.stdout, demo.stdout)
    finally:
        serve.stop()
