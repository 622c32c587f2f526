"""Scheduled jobs: created in the admin UI or the API, run by the beat's tick exactly once per due
slot, run now, failures recorded without stopping other jobs, list filters as input, the history on
the job's page and in the API, and only administrators."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import scheduled_hooks
import transaction
from apihelpers import bearer_client, problem
from procura.content import APP_KEY
from procura.jobs.scheduled import _bookkeep, execute_run, next_runs, tick
from procura.types.content import container_for
from procura.types.system import in_own_transaction, system_request
from ZODB.POSException import ConflictError

HOOKS = {"procura.extra_hooks": "scheduled_hooks", "procura.addons.disabled": "*",
         "procura.default_timezone": "Europe/Moscow"}
UTC = dt.UTC


@pytest.fixture
def procura_overrides():
    return dict(HOOKS)


@pytest.fixture(autouse=True)
def _calls():
    scheduled_hooks.CALLS.clear()
    yield
    scheduled_hooks.CALLS.clear()


@pytest.fixture
def admin(testapp, make_user, procura_db):
    make_user("root", roles=["admin"], timezone="Asia/Vladivostok")
    return bearer_client(testapp, procura_db, "root")


def read(app, fn):
    return in_own_transaction(app.registry, fn)


def job_state(app, job_id) -> dict:
    def get(request):
        obj = container_for(request.app_root, "scheduled_job")[job_id]
        return {"label": obj.label, "next_run": obj.next_run, "last_status": obj.last_status,
                "last_run": obj.last_run, "version": obj.version}

    return read(app, get)


def runs(app, job_id=None) -> list[dict]:
    def get(request):
        box = container_for(request.app_root, "scheduled_job_run")
        return sorted(({"id": r.id, "job": r.job, "outcome": r.outcome, "result": r.result, "error": r.error,
                        "trigger": r.trigger, "duration": r.duration, "started": r.started}
                       for r in box.values() if job_id is None or r.job == job_id), key=lambda r: r["started"])

    return read(app, get)


def make_due(app, *job_ids):
    """Move the jobs' next run into the past, as time passing would."""
    def move(request):
        for job_id in job_ids:
            obj = container_for(request.app_root, "scheduled_job")[job_id]
            _bookkeep(request, obj, next_run=dt.datetime.now(UTC) - dt.timedelta(seconds=5))

    read(app, move)


def run_tick(app):
    return in_own_transaction(app.registry, tick, note="test tick")


def new_job(admin, **values):
    body = {"label": "Echo", "job_type": "test.echo", "schedule": "0 6 * * *", "params": {"message": "hi"}}
    body.update(values)
    return admin.post("/scheduled_job", body).json


# ---------------------------------------------------------------- schedules
def test_next_runs_follow_the_cron_in_the_jobs_time_zone():
    moscow = ZoneInfo("Europe/Moscow")
    friday = dt.datetime(2026, 12, 4, 7, 0, tzinfo=moscow)  # a Friday, after 06:00
    found = next_runs("0 6 * * 1-5", moscow, friday.astimezone(UTC), 2)
    assert [m.astimezone(moscow) for m in found] == [dt.datetime(2026, 12, 7, 6, 0, tzinfo=moscow),
                                                     dt.datetime(2026, 12, 8, 6, 0, tzinfo=moscow)]
    assert found[0].tzinfo == UTC and found[0].hour == 3
    every = next_runs("*/15 * * * *", moscow, dt.datetime(2026, 12, 4, 10, 15, tzinfo=UTC), 3)
    assert [m.minute for m in every] == [30, 45, 0]
    # both day fields restricted: either matches (crontab(5)): the 1st of the month or a Sunday
    days = next_runs("0 0 1 * 0", ZoneInfo("UTC"), dt.datetime(2026, 12, 1, 12, tzinfo=UTC), 3)
    assert [m.day for m in days] == [6, 13, 20]


# ---------------------------------------------------------------- creating
def test_create_through_the_admin_form(testapp, make_user, login, procura_db, app):
    make_user("root", roles=["admin"], timezone="Asia/Vladivostok")
    login(testapp, "root")
    page = testapp.get("/t/scheduled_job/new")
    form = page.forms["type-form-scheduled_job"]
    assert "next_run" not in form.fields and "last_status" not in form.fields  # computed, not typed
    options = [option[0] for option in form["job_type"].options]
    assert {"procura.purge_trash", "test.echo", "test.fail"} <= set(options)
    form["label"] = "Morning echo"
    form["job_type"] = "test.echo"
    form["schedule"] = "0 25 * * *"
    form["params"] = '{"message": "hello"}'
    result = form.submit("save")
    assert result.status_int == 200 and "Nothing was saved" in result.text
    assert "Not a valid schedule" in result.text and "Invalid end range: 25 &gt; 23" in result.text
    assert read(app, lambda r: len(container_for(r.app_root, "scheduled_job"))) == 0

    form = result.forms["type-form-scheduled_job"]
    form["schedule"] = "30 8 * * *"
    form["timezone"] = "Europe/Moscow"
    form["params"] = '{"message": "hello", "times": 9}'
    result = form.submit("save")
    assert result.status_int == 200 and "Parameters not valid" in result.text and "times" in result.text

    form = result.forms["type-form-scheduled_job"]
    form["params"] = '{"message": "hello", "times": 2}'
    result = form.submit("save")
    assert result.status_int == 303, result.text[:3000]
    job_id = result.location.rsplit("/", 1)[1]
    state = job_state(app, job_id)
    moscow = state["next_run"].astimezone(ZoneInfo("Europe/Moscow"))
    assert (moscow.hour, moscow.minute) == (8, 30) and state["next_run"] > dt.datetime.now(UTC)
    detail = result.follow()
    assert 'id="next-runs"' in detail.text and "No runs yet." in detail.text
    # the next runs are shown in the reader's time zone (08:30 Moscow = 15:30 Vladivostok)
    assert "3:30:00\u202fPM" in detail.text or "15:30" in detail.text
    assert "Run now" in detail.text and "Disable" in detail.text


def test_the_form_offers_the_admins_saved_views_as_inputs(testapp, make_user, login):
    make_user("root", roles=["admin"])
    login(testapp, "root")
    page = testapp.get("/t/team", params={"kind": "team"})
    token = page.html.find("meta", attrs={"name": "csrf-token"})["content"]
    testapp.post("/t/team/prefs", {"csrf_token": token, "action": "save_view", "name": "Project teams",
                                   "query": "kind=team"}, status=303)
    form = testapp.get("/t/scheduled_job/new").text
    assert "Your saved views: Teams / Project teams: team?kind=team" in form


def test_create_through_the_api_with_field_errors(admin, app):
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.echo", "schedule": "every day",
                                        "params": {"message": "hi"}}, status=422)
    assert "five fields" in problem(bad, 422)["errors"]["schedule"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "nope", "schedule": "* * * * *"}, status=422)
    assert "Unknown job type" in problem(bad, 422)["errors"]["job_type"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.echo", "schedule": "* * * * *",
                                        "params": {"message": "hi", "extra": 1}}, status=422)
    assert "Parameters not valid" in problem(bad, 422)["errors"]["params"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.fail", "schedule": "* * * * *",
                                        "params": {"a": 1}}, status=422)
    assert "takes no parameters" in problem(bad, 422)["errors"]["params"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.echo", "schedule": "* * * * *",
                                        "params": {"message": "hi"}, "next_run": "2020-01-01T00:00:00Z"},
                     status=422)
    assert "next_run" in problem(bad, 422)["errors"]
    assert read(app, lambda r: len(container_for(r.app_root, "scheduled_job"))) == 0

    data = new_job(admin, schedule="*/5 * * * *", timezone="UTC")
    assert data["enabled"] is True and data["next_run"] and data["last_status"] is None
    assert dt.datetime.fromisoformat(data["next_run"]).minute % 5 == 0
    # a disabled job has no next run; enabling it schedules it again
    off = admin.post(f"/scheduled_job/{data['id']}/actions/disable", status=200).json
    assert off["enabled"] is False and off["next_run"] is None
    on = admin.post(f"/scheduled_job/{data['id']}/actions/enable", status=200).json
    assert on["enabled"] is True and on["next_run"]
    # a new schedule moves the next run; a bad one is refused and changes nothing
    moved = admin.patch(f"/scheduled_job/{data['id']}", {"schedule": "0 12 1 1 *"}).json
    assert moved["next_run"].endswith("-01-01T12:00:00Z")
    bad = admin.patch(f"/scheduled_job/{data['id']}", {"schedule": "0 12 30 2 *"}, status=422)
    assert "never occurs" in problem(bad, 422)["errors"]["schedule"]
    assert admin.get(f"/scheduled_job/{data['id']}").json["schedule"] == "0 12 1 1 *"


# ---------------------------------------------------------------- running
def test_the_tick_runs_a_due_job_once(admin, app):
    job = new_job(admin, schedule="* * * * *")
    from procura.jobs import beat_schedule

    assert beat_schedule(app.registry.procura_pm)["procura.scheduled.tick"]["task"] == "procura.scheduled.tick"
    assert run_tick(app) == []  # not due yet
    make_due(app, job["id"])
    assert run_tick(app) == [job["id"]]
    assert run_tick(app) == []  # next_run moved on: the same slot does not run twice
    history = runs(app, job["id"])
    assert len(history) == 1 and history[0]["outcome"] == "ok" and history[0]["trigger"] == "schedule"
    assert history[0]["result"] == '{"echo": "hi"}'
    state = job_state(app, job["id"])
    assert state["last_status"] == "ok" and state["last_run"] is not None
    assert state["next_run"] > dt.datetime.now(UTC)
    assert state["version"] == job["version"]  # bookkeeping makes no new version
    assert [c[0] for c in scheduled_hooks.CALLS] == ["echo"]


def test_two_concurrent_ticks_run_a_job_once(admin, app, procura_db):
    job = new_job(admin, schedule="* * * * *")
    make_due(app, job["id"])
    tms = [transaction.TransactionManager() for _i in range(2)]
    conns = [procura_db.open(tm) for tm in tms]
    try:
        requests = [system_request(app.registry, c.root()[APP_KEY], tm) for c, tm in zip(conns, tms, strict=True)]
        for tm in tms:
            tm.begin()
        assert tick(requests[0]) == [job["id"]]
        assert tick(requests[1]) == [job["id"]]  # both saw the job due ...
        tms[0].commit()
        with pytest.raises(ConflictError):  # ... only one of them commits
            tms[1].commit()
        tms[1].abort()
    finally:
        for c in conns:
            c.close()
    assert run_tick(app) == []  # the retried tick finds nothing due
    assert len(runs(app, job["id"])) == 1


def test_a_redelivered_run_message_runs_nothing_twice(admin, app):
    job = new_job(admin)
    assert execute_run(app.registry, job["id"], "run-1") == "ok"
    assert execute_run(app.registry, job["id"], "run-1") is None
    assert len(runs(app, job["id"])) == 1


def test_run_now(admin, app, testapp):
    job = new_job(admin)
    data = admin.post(f"/scheduled_job/{job['id']}/actions/run_now", status=200).json
    assert data["result"]["run_id"]
    history = runs(app, job["id"])
    assert len(history) == 1 and history[0]["trigger"] == "manual" and history[0]["outcome"] == "ok"
    assert job_state(app, job["id"])["next_run"] == dt.datetime.fromisoformat(job["next_run"])  # schedule kept


def test_a_failing_job_records_its_error_and_the_others_still_run(admin, app):
    failing = new_job(admin, label="Fails", job_type="test.fail", params=None)
    echo = new_job(admin, label="Echoes")
    make_due(app, failing["id"], echo["id"])
    assert sorted(run_tick(app)) == sorted([failing["id"], echo["id"]])
    [bad] = runs(app, failing["id"])
    assert bad["outcome"] == "failed" and bad["result"] == ""
    assert bad["error"].startswith("RuntimeError: boom") and "scheduled_hooks.py" in bad["error"]
    assert "hunter2" not in bad["error"] and "password=***" in bad["error"]
    assert job_state(app, failing["id"])["label"] == "Fails"  # the failed job's writes rolled back
    assert job_state(app, failing["id"])["last_status"] == "failed"
    [good] = runs(app, echo["id"])
    assert good["outcome"] == "ok"
    assert sorted(c[0] for c in scheduled_hooks.CALLS) == ["echo", "fail"]


def test_a_list_filter_gives_the_job_the_ids_it_matches(admin, app, make_user):
    def teams(request):
        svc = request.types
        for name, kind in (("alpha", "team"), ("beta", "department"), ("gamma", "team")):
            svc.create(svc.info("team"), {"name": name, "label": name.title(), "kind": kind})

    read(app, teams)
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.input", "schedule": "* * * * *"},
                     status=422)
    assert "needs a list filter" in problem(bad, 422)["errors"]["saved_filter"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.input", "schedule": "* * * * *",
                                        "saved_filter": "team?colour=red"}, status=422)
    assert "does not work" in problem(bad, 422)["errors"]["saved_filter"]
    bad = admin.post("/scheduled_job", {"label": "x", "job_type": "test.echo", "schedule": "* * * * *",
                                        "params": {"message": "a"}, "saved_filter": "team?kind=team"}, status=422)
    assert "takes no input" in problem(bad, 422)["errors"]["saved_filter"]
    # a list's address pasted as it is (with a saved view's id) is kept as <type>?<query>
    job = new_job(admin, label="Teams", job_type="test.input", params=None,
                  saved_filter="http://localhost/t/team?kind=team&view=abc123")
    assert job["saved_filter"] == "team?kind=team&view=abc123"
    admin.post(f"/scheduled_job/{job['id']}/actions/run_now", status=200)
    [call] = [c for c in scheduled_hooks.CALLS if c[0] == "input"]
    assert call[2]["input_type"] == "team" and call[2]["input_ids"] == ["alpha", "gamma"]
    assert runs(app, job["id"])[0]["result"] == "2 record(s) of team"


def test_the_history_is_on_the_jobs_page_and_in_the_api(admin, app, testapp, login):
    failing = new_job(admin, label="Fails", job_type="test.fail", params=None)
    admin.post(f"/scheduled_job/{failing['id']}/actions/run_now", status=200)
    admin.post(f"/scheduled_job/{failing['id']}/actions/run_now", status=200)
    listed = admin.get("/scheduled_job_run", params={"job": failing["id"]}).json
    assert listed["total"] == 2
    assert {r["outcome"] for r in listed["items"]} == {"failed"}
    assert all(r["error"].startswith("RuntimeError") and r["duration"] is not None for r in listed["items"])
    job = admin.get(f"/scheduled_job/{failing['id']}").json
    assert job["last_status"] == "failed" and job["last_run"]
    assert {a["name"] for a in job["actions"]} >= {"run_now", "disable"}

    login(testapp, "root")
    page = testapp.get(f"/t/scheduled_job/{failing['id']}")
    assert 'id="run-history"' in page.text and page.text.count('data-outcome="failed"') == 2
    # "Run now" on the page (a POST with the CSRF token) adds a third run
    token = page.html.find("meta", attrs={"name": "csrf-token"})["content"]
    testapp.post(f"/t/scheduled_job/{failing['id']}/op/run_now", {"csrf_token": token}, status=303)
    page = testapp.get(f"/t/scheduled_job/{failing['id']}")
    assert page.text.count('data-outcome="failed"') == 3
    assert "Fails" in testapp.get("/t/scheduled_job").text
    assert testapp.get("/t/scheduled_job_run", params={"job": failing["id"]}).text.count(failing["id"]) >= 3
    assert "RuntimeError: boom" in page.text and "hunter2" not in page.text
    # runs are the system's records: nobody edits or deletes them
    run_id = listed["items"][0]["id"]
    testapp.get(f"/t/scheduled_job_run/{run_id}/edit", status=403)
    admin.patch(f"/scheduled_job_run/{run_id}", {"error": ""}, status=403)
    admin.delete(f"/scheduled_job_run/{run_id}", status=403)


def test_only_administrators(admin, app, testapp, make_user, procura_db, login):
    job = new_job(admin)
    admin.post(f"/scheduled_job/{job['id']}/actions/run_now", status=200)
    make_user("bob")
    bob = bearer_client(testapp, procura_db, "bob")
    bob.get("/scheduled_job", status=403)
    bob.post("/scheduled_job", {"label": "x", "job_type": "test.echo", "schedule": "* * * * *",
                                "params": {"message": "x"}}, status=403)
    bob.get(f"/scheduled_job/{job['id']}", status=404)
    bob.post(f"/scheduled_job/{job['id']}/actions/run_now", status=404)
    bob.get("/scheduled_job_run", status=403)
    assert len(runs(app, job["id"])) == 1
    login(testapp, "bob")
    testapp.get("/t/scheduled_job", status=403)
    assert "/t/scheduled_job" not in testapp.get("/").text


def test_the_core_job_type_empties_the_trash(admin, app):
    def trash(request):
        svc = request.types
        for name in ("old", "recent"):
            team = svc.create(svc.info("team"), {"name": name, "label": name, "kind": "team"})
            svc.delete(team)
        container_for(request.app_root, "team")["old"].deleted_at -= dt.timedelta(days=40)
        svc.create(svc.info("team"), {"name": "live", "label": "live", "kind": "team"})

    read(app, trash)
    job = new_job(admin, label="Trash", job_type="procura.purge_trash", params={"days": 30})
    admin.post(f"/scheduled_job/{job['id']}/actions/run_now", status=200)
    [run] = runs(app, job["id"])
    assert run["outcome"] == "ok", run["error"]
    assert '"purged": 1' in run["result"]
    left = read(app, lambda r: sorted(container_for(r.app_root, "team")))
    assert "old" not in left and {"recent", "live"} <= set(left)
