"""Multi-node: two web processes on one RelStorage/PostgreSQL database, a Celery worker on Redis.

Real processes only: ``procura init``/``demo``/``apikey`` through the CLI, two ``procura serve
--no-worker`` nodes, a ``procura worker``. The test-only addon ``procura_testcounter``
(tests/multinode/fixtures/site) gives the web nodes an endpoint that writes one persistent object.
"""
from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from proctools import descendants, element_text, html_lang, sign_in
from procura.corehooks import DEMO_USERS

pytestmark = [pytest.mark.multinode, pytest.mark.slow, pytest.mark.timeout(180)]

PASSWORDS = {login: password for login, password, *_rest in DEMO_USERS}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def admin_token(cluster):
    return cluster.token("admin")


def test_both_nodes_serve_the_same_database(cluster, admin_token):
    for node in (cluster.a, cluster.b):
        me = requests.get(f"{node.base}/api/v1/me", headers=bearer(admin_token), timeout=30)
        assert me.status_code == 200, (node.name, me.text)
        assert me.json()["login"] == "admin"
        addons = requests.get(f"{node.base}/api/v1/addons", headers=bearer(admin_token), timeout=30).json()
        assert "testcounter" in [a["name"] for a in addons["items"]]


def test_a_commit_through_one_node_is_read_through_the_other(cluster, admin_token):
    for writer, reader, locale in ((cluster.a, cluster.b, "en"), (cluster.b, cluster.a, "ru")):
        marker = "".join("абвгдежзиклмнопрстуфхцчшэюя"[b % 27] for b in uuid.uuid4().bytes[:8])
        change = {"name": {"last": f"Мультиузел-{marker}", "first": "Марина", "middle": ""},
                  "locale": locale}
        patched = requests.patch(f"{writer.base}/api/v1/me", json=change, headers=bearer(admin_token), timeout=30)
        assert patched.status_code == 200, patched.text
        assert {k: patched.json()[k] for k in change} == change
        seen = requests.get(f"{reader.base}/api/v1/me", headers=bearer(admin_token), timeout=30)
        assert seen.status_code == 200
        assert {k: seen.json()[k] for k in change} == change, (
            f"{reader.name} does not see the commit made through {writer.name}")


def test_language_switch_on_one_node_applies_on_the_other(cluster):
    password = PASSWORDS["buyer"]
    with requests.Session() as on_a:
        home = sign_in(on_a, cluster.a.base, "buyer", password)
        assert html_lang(home.text) == "ru"  # the default language; the demo user has chosen none
        switched = on_a.get(f"{cluster.a.base}/language/en", params={"came_from": "/"}, timeout=30)
        assert switched.status_code == 200 and html_lang(switched.text) == "en"
    with requests.Session() as on_b:  # a new browser: no language cookie, only the stored preference
        home = sign_in(on_b, cluster.b.base, "buyer", password)
        assert html_lang(home.text) == "en", "node B does not apply the language chosen through node A"
        switched = on_b.get(f"{cluster.b.base}/language/ru", params={"came_from": "/"}, timeout=30)
        assert html_lang(switched.text) == "ru"
    with requests.Session() as on_a:
        home = sign_in(on_a, cluster.a.base, "buyer", password)
        assert html_lang(home.text) == "ru", "node A does not apply the language chosen through node B"


def test_concurrent_conflicting_writes_are_retried_or_reported_never_lost(cluster, admin_token):
    url = "/api/v1/_test/counter"
    before = requests.get(f"{cluster.a.base}{url}", headers=bearer(admin_token), timeout=30).json()["counter"]
    total = 60
    bases = [cluster.a.base if i % 2 == 0 else cluster.b.base for i in range(total)]

    def increment(base):
        try:
            r = requests.post(f"{base}{url}", headers=bearer(admin_token), timeout=60)
        except requests.RequestException as exc:  # a dropped connection would be a failure to report
            return ("error", repr(exc), None)
        body = r.json() if "json" in r.headers.get("Content-Type", "") else None
        return (r.status_code, r.text[:200], body)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(increment, bases))
    elapsed = time.monotonic() - started

    statuses = Counter(status for status, _text, _body in results)
    ok = [body for status, _text, body in results if status == 200]
    retried = sum(1 for body in ok if body["attempt"] > 0)
    print(f"{total} increments in {elapsed:.1f} s: statuses {dict(statuses)}, {retried} succeeded after a retry")
    # Anything but 200 must be the clear conflict answer (retries exhausted), never a dropped request
    # or a server error.
    unexpected = [(s, t) for s, t, _b in results if s not in (200, 409)]
    assert not unexpected, unexpected
    conflicts = [body for status, _text, body in results if status == 409]
    assert all(body and body["status"] == 409 and body["title"] for body in conflicts), conflicts[:2]
    assert ok, f"no increment succeeded: {dict(statuses)}"
    assert retried or len(ok) == total, "requests failed although none was ever retried: is pyramid_retry active?"
    assert all(body["attempt"] <= 4 for body in ok)  # procura.retry_attempts = 5
    # Each successful request committed its own increment: the values they saw are all different.
    values = [body["counter"] for body in ok]
    assert len(set(values)) == len(values), "two requests committed the same counter value: a lost update"
    after = requests.get(f"{cluster.b.base}{url}", headers=bearer(admin_token), timeout=30).json()["counter"]
    assert after == before + len(ok), f"counter moved by {after - before}, but {len(ok)} increments succeeded"


@pytest.fixture(scope="module")
def worker(cluster):
    proc = cluster.start(["worker", "--concurrency=1", "--loglevel=INFO"], "worker")
    try:
        proc.wait_log(r"celery@\S+ ready", timeout=60)
        yield proc
    finally:
        proc.stop()


def test_a_job_enqueued_by_a_web_node_runs_on_a_redis_worker(cluster, admin_token, worker):
    from celery import Celery

    origin = f"node-a-{uuid.uuid4().hex[:6]}"
    sent = requests.post(f"{cluster.a.base}/api/v1/_test/heartbeat", params={"origin": origin},
                         headers=bearer(admin_token), timeout=30)
    assert sent.status_code == 200, sent.text
    assert sent.json()["broker"] == "redis"
    assert sent.json()["pid"] == cluster.a.proc.pid

    client = Celery("procura-test-client", set_as_current=False)
    client.conf.update(broker_url=cluster.broker_url, result_backend=cluster.broker_url,
                       accept_content=["json"], result_serializer="json")
    try:
        value = client.AsyncResult(sent.json()["id"]).get(timeout=45)
    finally:
        client.close()
    assert value["origin"] == origin
    assert value["count"] >= 1
    assert value["pid"] in descendants(worker.pid) | {worker.pid}, "the job did not run in the worker we started"

    with requests.Session() as s:  # the worker's write is visible through the other web node
        sign_in(s, cluster.b.base, "admin", PASSWORDS["admin"])
        page = s.get(f"{cluster.b.base}/admin/status", params={"_LOCALE_": "en"}, timeout=30)
        assert page.status_code == 200
        status = element_text(page.text, "worker-status")
        assert "last seen" in status and "never seen" not in status, status
        assert "redis://" in page.text and "postgres://" in page.text
