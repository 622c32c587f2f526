"""Helpers for tests that run Procura as real processes (``procura serve``, ``procura worker``, the CLI).

Shared by tests/process and tests/multinode (which puts this folder on ``sys.path``). Every process
is started in its own session (process group) so that teardown can always stop it and whatever it
started, by its own id, even when a test fails half-way.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parents[2]


def procura_argv() -> list[str]:
    """The ``procura`` console script of this environment (as ``make run`` calls it)."""
    script = Path(sys.executable).parent / "procura"
    return [str(script)] if script.exists() else [sys.executable, "-m", "procura.cli"]


def clean_env(**extra) -> dict:
    """The environment without any PROCURA_* setting of the caller, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURA_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args: list[str], env: dict, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run one ``procura`` command to its end; on a timeout, kill it (and what it started) and fail."""
    argv = procura_argv() + args
    proc = subprocess.Popen(argv, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        message = f"procura {' '.join(args)} did not finish within {timeout}s:\n{stdout}\n{stderr}"
        raise AssertionError(message) from None
    finally:
        signal_group(proc.pid, signal.SIGKILL)  # nothing it started may outlive it
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


class Proc:
    """A long-running ``procura`` process writing its output to a log file."""

    def __init__(self, args: list[str], env: dict, cwd, log_path: Path, name: str = ""):
        self.name = name or " ".join(args[:2])
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.popen = subprocess.Popen(procura_argv() + args, env=env, cwd=str(cwd), stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_http(self, url: str, timeout: float = 60) -> None:
        """Wait until ``url`` answers (any status below 500); fails with the process log otherwise."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited with code {self.popen.returncode}:\n{self.tail()}")
            try:
                if requests.get(url, timeout=5, allow_redirects=False).status_code < 500:
                    return
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer {url} within {timeout}s ({last}):\n{self.tail()}")

    def wait_log(self, pattern: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log()):
                return
            if not self.alive():
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: no {pattern!r} in its output within {timeout}s:\n{self.tail()}")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left of it."""
        try:
            if self.alive():
                signal_group(self.pid, signal.SIGTERM)
                try:
                    self.popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    pass
            signal_group(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        finally:
            self._log.close()


def signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it no longer exists."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                children.setdefault(stat[1], []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (an orphan may wait to be reaped by init)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def wait_until(predicate, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


# ---------------------------------------------------------------- HTML


class _FormParser(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.found = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = self.found = True
        elif self.inside and tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The named inputs (hidden ones included, e.g. csrf_token) of the form with this id."""
    parser = _FormParser(form_id)
    parser.feed(html)
    assert parser.found, f"No form with id {form_id!r} in the page"
    return parser.fields


def html_lang(html: str) -> str | None:
    m = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    return m.group(1) if m else None


def element_text(html: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped, whitespace collapsed)."""
    m = re.search(rf"<(\w+)[^>]*\bid=\"{re.escape(element_id)}\"[^>]*>(.*?)</\1>", html, re.S)
    assert m, f"No element with id {element_id!r} in the page"
    return " ".join(re.sub(r"<[^>]+>", " ", m.group(2)).split())


def sign_in(session: requests.Session, base: str, login: str, password: str) -> requests.Response:
    """Sign in through the real form (its CSRF token included); returns the page after the redirect."""
    page = session.get(f"{base}/login", timeout=30)
    assert page.status_code == 200, page.text[:500]
    fields = form_fields(page.text, "login-form")
    assert fields.get("csrf_token"), "the sign-in form carries no CSRF token"
    fields.update({"login": login, "password": password, "submit": "submit"})
    response = session.post(f"{base}/login", data=fields, timeout=30)
    assert response.status_code == 200, f"{response.status_code} {response.text[:500]}"
    assert response.url.rstrip("/") == base, f"sign-in did not reach the home page: {response.url}"
    return response
