"""The embedded run exactly as ``make run`` does it: ``procura init``, ``procura demo``, ``procura serve``.

One ``procura serve`` (ZEO on a Unix socket, a Celery worker with beat on kombu's filesystem
transport, waitress) serves the whole module; the last test stops it with SIGTERM.
"""
from __future__ import annotations

import signal
import subprocess
import time

import pytest
import requests
from proctools import (
    cmdline,
    descendants,
    element_text,
    form_fields,
    html_lang,
    run_cli,
    running,
    sign_in,
    wait_until,
)
from procura.corehooks import DEMO_USERS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ADMIN_PASSWORD = next(p for login, p, *_rest in DEMO_USERS if login == "admin")


def test_init_and_demo_print_what_they_did(embedded):
    assert "Installed: procura" in embedded.init_output
    assert (embedded.var / "Data.fs").exists()
    assert (embedded.var / "secret.key").exists()
    assert "Demo sign-ins" in embedded.demo_output
    assert "admin" in embedded.demo_output and ADMIN_PASSWORD in embedded.demo_output


def test_login_page_in_russian_and_english(embedded):
    ru = requests.get(f"{embedded.base}/login", params={"_LOCALE_": "ru"}, timeout=30)
    assert ru.status_code == 200
    assert html_lang(ru.text) == "ru"
    assert "Войти" in ru.text and "Пароль" in ru.text

    en = requests.get(f"{embedded.base}/login", params={"_LOCALE_": "en"}, timeout=30)
    assert en.status_code == 200
    assert html_lang(en.text) == "en"
    assert "Sign in" in en.text and "Password" in en.text and "Пароль" not in en.text


def test_demo_admin_signs_in_through_the_form(embedded):
    with requests.Session() as s:
        home = sign_in(s, embedded.base, "admin", ADMIN_PASSWORD)
        assert 'id="welcome"' in home.text
        name = next(n for login, _p, n, *_rest in DEMO_USERS if login == "admin")
        assert " ".join(name) in home.text  # shown last first middle
        # a wrong password is refused by the same form
    with requests.Session() as s:
        with pytest.raises(AssertionError):
            sign_in(s, embedded.base, "admin", "wrong-password")


def test_worker_with_beat_records_the_heartbeat(embedded):
    from celery import Celery

    embedded.serve.wait_log(r"beat: Starting", timeout=30)
    embedded.serve.wait_log(r"celery@\S+ ready", timeout=30)
    # Beat sends procura.heartbeat every 30 s; to keep the test short, enqueue one more ourselves on
    # the same filesystem queue the worker reads, and wait for its result in the file result backend.
    base = embedded.var / "celery"
    client = Celery("procura-test-client", set_as_current=False)
    client.conf.update(
        broker_url="filesystem://",
        broker_transport_options={"data_folder_in": str(base / "queue"), "data_folder_out": str(base / "queue"),
                                  "processed_folder": str(base / "processed"), "store_processed": False,
                                  "control_folder": str(base / "control")},
        result_backend=f"file://{base / 'results'}",
        task_serializer="json", accept_content=["json"], result_serializer="json",
    )
    try:
        result = client.send_task("procura.heartbeat", kwargs={"origin": "test-embedded"})
        value = result.get(timeout=45)
    finally:
        client.close()
    assert value["origin"] == "test-embedded"
    assert value["count"] >= 1
    assert value["pid"] in descendants(embedded.serve.pid), "the task did not run in serve's worker"

    with requests.Session() as s:
        sign_in(s, embedded.base, "admin", ADMIN_PASSWORD)
        page = s.get(f"{embedded.base}/admin/status", params={"_LOCALE_": "en"}, timeout=30)
        assert page.status_code == 200
        status = element_text(page.text, "worker-status")
        assert "last seen" in status, status
        assert "never seen" not in status


def test_a_scheduled_job_created_in_the_ui_runs_on_its_schedule(embedded):
    """An admin creates two jobs on the form; the beat's tick (every 30 s) finds them due and the
    worker runs them; the jobs' pages show the runs. One of them fails (its parameters no longer fit
    its job type): its error is recorded and the other job runs all the same. To keep the test
    short, the jobs' next run is moved to now through the database (what the clock does at the next
    minute) instead of waiting for it."""
    embedded.serve.wait_log(r"beat: Starting", timeout=30)
    with requests.Session() as s:
        sign_in(s, embedded.base, "admin", ADMIN_PASSWORD)
        urls = []
        for label in ("Empty the trash", "Broken job"):
            page = s.get(f"{embedded.base}/t/scheduled_job/new", params={"_LOCALE_": "en"}, timeout=30)
            assert page.status_code == 200, page.text[:500]
            fields = form_fields(page.text, "type-form-scheduled_job")
            fields.update({"label": label, "job_type": "procura.purge_trash", "schedule": "0 4 * * *",
                           "timezone": "", "enabled": "true", "params": '{"days": 30}', "saved_filter": "",
                           "save": "save"})
            created = s.post(f"{embedded.base}/t/scheduled_job/new", data=fields, timeout=30,
                             allow_redirects=False)
            assert created.status_code == 303, created.text[:2000]
            urls.append(created.headers["Location"])
        good, broken = urls
        _make_due(embedded.var, good.rsplit("/", 1)[1], broken.rsplit("/", 1)[1])

        def ran(url, outcome):
            def check():
                text = s.get(url, params={"_LOCALE_": "en"}, timeout=30).text
                return text if f'data-outcome="{outcome}"' in text else None

            return check

        text = wait_until(ran(good, "ok"), 75, interval=1.0, message="the scheduled job's run in its history")
        assert "purged&#34;: 0" in text or "purged&quot;: 0" in text or '"purged": 0' in text
        text = wait_until(ran(broken, "failed"), 30, interval=1.0, message="the failed run in its history")
        assert "Invalid" in text and "days" in text


def _make_due(var, good_id, broken_id):
    """Through the ZEO server of the running serve: both jobs are due now, and the broken one's
    parameters no longer fit its job type (as after an addon changed its schema)."""
    import datetime as dt

    from procura.cli import zeo_uri
    from procura.content import APP_KEY
    from procura.db import open_db
    from procura.jobs.scheduled import SCHEDULED_JOB
    from procura.settings import resolve

    db = open_db(zeo_uri(resolve({"procura.var_dir": str(var)})))
    try:
        with db.transaction(note="test: the jobs are due") as conn:
            box = conn.root()[APP_KEY]["types"]["scheduled_job"]
            box[broken_id].params = {"days": "many"}
            for job_id in (broken_id, good_id):
                job = box[job_id]
                job.next_run = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                box.index(job, SCHEDULED_JOB)
    finally:
        db.close()


def test_apikey_cli_works_while_serve_runs(embedded):
    created = run_cli(["apikey", "create", "--user", "admin", "--name", "process-test"], embedded.env,
                      embedded.cwd)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("prc_")

    me = requests.get(f"{embedded.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 200, me.text
    assert me.json()["login"] == "admin"
    assert "admin" in me.json()["roles"]

    bad = requests.get(f"{embedded.base}/api/v1/me", headers={"Authorization": "Bearer prc_not-a-token"},
                       timeout=30)
    assert bad.status_code == 401


def test_sigterm_stops_serve_and_its_children(embedded):
    """Keep last: it stops the module's serve process."""
    serve = embedded.serve
    tree = wait_until(lambda: descendants(serve.pid) if len(descendants(serve.pid)) >= 2 else None, 30,
                      message="the ZEO server and the worker to run")
    names = {pid: cmdline(pid) for pid in tree}
    assert any("ZEO.runzeo" in c for c in names.values()), names
    assert any(" worker" in c for c in names.values()), names

    started = time.monotonic()
    serve.popen.send_signal(signal.SIGTERM)
    try:
        code = serve.popen.wait(timeout=45)
    except subprocess.TimeoutExpired:
        pytest.fail(f"procura serve did not stop within 45 s of SIGTERM:\n{serve.tail()}")
    elapsed = time.monotonic() - started
    assert code == 0, serve.tail()
    deadline = time.monotonic() + 15
    while (left := [p for p in tree if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"still running after serve exited: { {p: names[p] for p in left} }"
    assert not (embedded.var / "zeo.sock").exists() or not _connectable(embedded.var / "zeo.sock")
    print(f"serve stopped {len(tree)} child processes in {elapsed:.1f} s")


def _connectable(path) -> bool:
    import socket

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()
