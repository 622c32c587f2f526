"""The notification centre: domain events -> in-app and email notifications for an object's followers.

A test type "ticket" (this module is also the hook module, setting procura.extra_hooks) has an
assignment field and a field hidden from everybody but administrators; only the role "staff" may
read tickets. Mail goes to a real SMTP server on loopback.
"""
from __future__ import annotations

import re

import pytest
import transaction
from apihelpers import bearer_client, problem, session_client
from procura import hookimpl
from procura.content import APP_KEY
from procura.i18n import _
from procura.notify import center
from procura.notify.center import NotificationEvent
from procura.testing import set_grants, smtp_settings
from procura.types import TypeInfo, feed
from procura.types import fields as f
from procura.types.system import in_own_transaction
from webtest import TestApp

TICKET = TypeInfo(
    name="ticket", title=_("Ticket"), plural=_("Tickets"), id_pattern="T-{seq:03}", menu=False,
    fields=[f.String("name", _("Name"), required=True), f.String("secret", _("Secret")),
            f.UserField("assignee", _("Assignee"), assignment=True)],
    default_roles={"create": ["staff"], "read": ["staff"], "edit": ["staff"], "delete": ["staff"]},
    default_fields={"staff": {"secret": "hidden"}},
)


@hookimpl
def procura_register_types():
    return [TICKET]


@hookimpl
def procura_notification_events():
    return [NotificationEvent("tests.escalated", _("Escalated"), _("A ticket was escalated"), ("inapp",))]


@pytest.fixture
def procura_overrides(smtp_server):
    return {"procura.extra_hooks": "test_notifications", "procura.addons.disabled": "*",
            **smtp_settings(smtp_server)}


@pytest.fixture
def people(app, make_user):
    make_user("root", roles=["admin"], email="root@example.com")
    make_user("anna", roles=["staff"], email="anna@example.com", fullname="Петрова Анна", locale="en")
    make_user("boris", roles=["staff"], email="boris@example.com", fullname="Орлов Борис", locale="ru")
    make_user("carl", roles=["other"], email="carl@example.com", locale="en")
    set_grants(app.registry, "staff", permissions={"procura.assign-any": True})
    return app.registry


def with_root(procura_db, fn):
    tm = transaction.TransactionManager()
    conn = procura_db.open(tm)
    try:
        with tm:
            return fn(conn.root()[APP_KEY])
    finally:
        conn.close()


def notifications(procura_db, login) -> list[dict]:
    def read(root):
        box = root["types"]["notification"]
        return sorted(({"event": n.event, "subject": n.subject, "text": n.text, "read": n.read,
                        "object_id": n.object_id, "id": n.id, "created": n.created}
                       for n in box.values() if n.recipient == login), key=lambda n: n["created"])
    return with_root(procura_db, read)


def mails_to(smtp_server, address) -> list:
    return [m for m in smtp_server.messages if address in m["To"]]


def new_ticket(client, **values) -> str:
    return client.post("/ticket", {"name": "Насос", **values}).json["id"]


# ---------------------------------------------------------------- email: threading, language, hidden fields
def test_email_is_threaded_per_object_in_the_recipients_language_and_hides_hidden_fields(
        testapp, people, procura_db, smtp_server):
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    # anna (creator) and boris (assignee) follow it now; anna is the actor: only boris hears
    assert [s["login"] for s in anna.get(f"/ticket/{oid}/subscribers", status=200).json["subscribers"]] == [
        "anna", "boris"]
    first = smtp_server.wait_for(1)[0]
    assert first["To"] == "boris@example.com" and first["From"] == "Procura <procura@example.com>"
    assert first["Subject"] == "Вам назначено: Насос"  # Russian: boris's language
    assert first["Content-Language"] == "ru" and first["X-Procura-Event"] == "assigned"
    thread = f"<object-ticket-{oid}@example.com>"
    assert first["In-Reply-To"] == thread and first["References"] == thread
    assert "назначил(а) вам" in smtp_server.text(first) and f"/t/ticket/{oid}" in smtp_server.text(first)

    anna.post(f"/ticket/{oid}/comments", {"text": "Когда будет готово?"})
    second = smtp_server.wait_for(2)[1]
    assert second["Subject"] == "Новый комментарий: Насос" and "Когда будет готово?" in smtp_server.text(second)
    assert second["In-Reply-To"] == thread and second["References"] == thread
    assert second["Message-ID"] != first["Message-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", second["Message-ID"])

    # a change of a hidden and a visible field: in-app only by default, the hidden value never shown
    anna.patch(f"/ticket/{oid}", {"name": "Насос НЦ-2"})
    root_client = bearer_client(testapp, procura_db, "root")
    root_client.patch(f"/ticket/{oid}", {"secret": "EVENMORESECRET", "name": "Насос НЦ-3"})
    changed = [n for n in notifications(procura_db, "boris") if n["event"] == "changed"]
    assert len(changed) == 2 and "Насос НЦ-2" in changed[0]["text"]
    assert all("SECRET" not in n["text"] and "Secret" not in n["text"] for n in changed)
    assert len(smtp_server.messages) == 2  # "changed" is not mailed by default
    # anna hears about root's change, in English
    anna_changed = [n for n in notifications(procura_db, "anna") if n["event"] == "changed"]
    assert len(anna_changed) == 1 and anna_changed[0]["subject"] == "Changed: Насос НЦ-3"
    assert "Name: Насос НЦ-2 → Насос НЦ-3" in anna_changed[0]["text"] and "SECRET" not in anna_changed[0]["text"]


# ---------------------------------------------------------------- in-app: list, bell, mark read, API
def test_in_app_list_bell_mark_read_and_api(testapp, people, procura_db):
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    anna.post(f"/ticket/{oid}/comments", {"text": "first"})
    anna.post(f"/ticket/{oid}/comments", {"text": "second <b>bold</b>"})
    browser = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    boris = session_client(browser, "boris")
    home = browser.get("/")
    bell = home.html.find(id="notify-bell")
    assert bell["hx-get"].endswith("/notify/bell") and bell["hx-trigger"] == "every 30s"
    assert home.html.find(id="notify-count").text == "3"
    fragment = browser.get("/notify/bell")
    assert fragment.html.find(id="notify-count").text == "3" and "<html" not in fragment.text
    assert fragment.headers["Cache-Control"] == "no-store"
    signed_out = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"}).get("/notify/bell", status=286)
    assert signed_out.body == b""  # htmx stops polling; no sign-in page inside the bell
    page = browser.get("/notify")
    items = page.html.select("#notification-list li")
    assert len(items) == 3 and all(i["data-read"] == "false" for i in items)
    assert "second &lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold</b>" not in page.text  # escaped
    assert page.html.select_one("#notification-list a")["href"].endswith(f"/t/ticket/{oid}")

    first = items[-1]["data-notification"]
    browser.post(f"/notify/{first}/read", status=403)  # no CSRF token: refused
    form = page.forms[[k for k, v in page.forms.items() if v.action.endswith(f"/notify/{first}/read")][0]]
    form.submit(status=303)
    assert browser.get("/notify/bell").html.find(id="notify-count").text == "2"
    # someone else's notification cannot be marked
    anna_browser = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    anna_session = session_client(anna_browser, "anna")
    anna_browser.post(f"/notify/{items[0]['data-notification']}/read",
                      headers={"X-CSRF-Token": anna_session.headers["X-CSRF-Token"]}, status=404)

    # API: own notifications only; mark read through the action
    listed = boris.get("/notification", status=200).json
    assert listed["total"] == 3 and {i["recipient"] for i in listed["items"]} == {"boris"}
    assert anna.get("/notification", status=200).json["total"] == 0
    root = bearer_client(testapp, procura_db, "root")  # personal records: administrators see only their own
    assert root.get("/notification", status=200).json["total"] == 0
    root.get(f"/notification/{listed['items'][0]['id']}", status=404)
    unread = [i for i in listed["items"] if not i["read"]]
    anna.post(f"/notification/{unread[0]['id']}/actions/mark_read", {}, status=404)
    marked = boris.post(f"/notification/{unread[0]['id']}/actions/mark_read", {}, status=200).json
    assert marked["read"] is True
    boris.patch(f"/notification/{unread[0]['id']}", {"read": False}, status=403)  # system-only records
    page = browser.get("/notify")
    page.forms["notify-mark-all"].submit(status=303)
    assert browser.get("/notify/bell").html.find(id="notify-count") is None
    assert all(n["read"] for n in notifications(procura_db, "boris"))


# ---------------------------------------------------------------- preferences
def test_preferences_per_channel_role_defaults_and_channel_switch(testapp, people, procura_db, smtp_server):
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    smtp_server.wait_for(1)
    browser = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    session_client(browser, "boris")
    prefs = browser.get("/profile/notify")
    form = prefs.forms["notify-prefs-form"]
    assert form["commented:email"].checked and form["commented:inapp"].checked
    assert not form["changed:email"].checked and form["tests.escalated:inapp"].checked
    form["commented:email"] = False  # comments: in the app only
    form.submit(status=303)
    assert not browser.get("/profile/notify").forms["notify-prefs-form"]["commented:email"].checked
    anna.post(f"/ticket/{oid}/comments", {"text": "in-app only"})
    assert len(smtp_server.messages) == 1
    assert [n["event"] for n in notifications(procura_db, "boris")] == ["assigned", "commented"]

    # the administrator: a role default (staff: no in-app "created") and the email channel off for all
    admin = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    session_client(admin, "root")
    browser.get("/admin/notify", status=403)
    page = admin.get("/admin/notify")
    form = page.forms["notify-admin-form"]
    form["channel:email"] = False
    form["staff|assigned:inapp"] = False
    form.submit(status=303)
    new_ticket(anna, assignee="boris")
    assert len(smtp_server.messages) == 1  # email is off for everybody
    assert [n["event"] for n in notifications(procura_db, "boris")] == ["assigned", "commented"]  # role default
    assert browser.get("/profile/notify").html.find(id="notify-off")  # the user is told


# ---------------------------------------------------------------- who gets nothing
def test_a_follower_without_read_permission_gets_nothing(testapp, people, procura_db, smtp_server):
    anna = bearer_client(testapp, procura_db, "anna")
    carl = bearer_client(testapp, procura_db, "carl")
    oid = new_ticket(anna)
    carl.post(f"/ticket/{oid}/subscribers", status=404)  # cannot follow what one cannot read
    with_root(procura_db, lambda root: center.subscribe(root, "ticket", oid, "carl"))  # e.g. lost access later
    anna.post(f"/ticket/{oid}/comments", {"text": "@carl look"})
    anna.patch(f"/ticket/{oid}", {"assignee": "carl"})  # assigned, but still not allowed to read it
    assert notifications(procura_db, "carl") == []
    assert mails_to(smtp_server, "carl@example.com") == []


def test_portal_users_never_hear_of_internal_notes(testapp, people, procura_db, make_user, app):
    make_user("pavel", roles=["portal"], email="pavel@example.com")
    set_grants(app.registry, "portal", types={"ticket": {"read": "all"}})
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna)
    with_root(procura_db, lambda root: center.subscribe(root, "ticket", oid, "pavel"))
    anna.post(f"/ticket/{oid}/comments", {"text": "internal only", "internal": True})
    assert notifications(procura_db, "pavel") == []
    anna.post(f"/ticket/{oid}/comments", {"text": "for everybody"})
    assert [n["event"] for n in notifications(procura_db, "pavel")] == ["commented"]
    assert "for everybody" in notifications(procura_db, "pavel")[0]["text"]


def test_nothing_is_notified_about_a_rolled_back_change(testapp, people, procura_db, smtp_server, app):
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    smtp_server.wait_for(1)
    before = len(notifications(procura_db, "boris"))

    def change_then_fail(request):
        obj = request.types.get(request.types.info("ticket"), oid)
        request.types.update(obj, {"name": "never saved"})
        feed.add_comment(request, obj, "@boris never said")
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        in_own_transaction(app.registry, change_then_fail, login="anna")
    anna.patch(f"/ticket/{oid}", {"name": "x" * 300, "assignee": "nobody"}, status=422)  # refused: no commit
    assert len(notifications(procura_db, "boris")) == before
    assert len(smtp_server.messages) == 1
    assert with_root(procura_db, lambda root: root["types"]["ticket"][oid].name) == "Насос"

    def change(request):  # the same change committed: notified
        obj = request.types.get(request.types.info("ticket"), oid)
        request.types.update(obj, {"name": "saved"})
        feed.add_comment(request, obj, "@boris said")

    in_own_transaction(app.registry, change, login="anna")
    assert [n["event"] for n in notifications(procura_db, "boris")][before:] == ["changed", "mentioned"]
    assert smtp_server.wait_for(2)[1]["X-Procura-Event"] == "mentioned"


def test_a_retried_dispatch_delivers_nothing_twice(testapp, people, procura_db, smtp_server, app):
    from procura.jobs import JOBS
    from procura.notify import tasks  # noqa: F401 - registers the job (a worker imports it at start)

    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    smtp_server.wait_for(1)
    payload = {"event_id": "retried-1", "type": "ticket", "id": oid, "actor": "anna", "kind": "commented",
               "entry_id": "", "mentions": [], "comment": "retry me"}
    first = in_own_transaction(app.registry, lambda r: JOBS[center.DISPATCH_JOB](r, payload))
    again = in_own_transaction(app.registry, lambda r: JOBS[center.DISPATCH_JOB](r, payload))
    assert first == {"inapp": 1, "email": 1} and again == {}
    assert [n["event"] for n in notifications(procura_db, "boris")] == ["assigned", "commented"]
    assert len(smtp_server.wait_for(2)) == 2


# ---------------------------------------------------------------- templates
def test_templates_preview_and_a_bad_placeholder(testapp, people, procura_db, smtp_server):
    root = bearer_client(testapp, procura_db, "root")
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna, assignee="boris")
    bad = problem(root.post("/notification_template", {
        "event": "commented", "language": "ru", "subject": "${object.nope}", "body": "x"}, status=422), 422)
    assert "${object.nope}" in bad["errors"]["subject"] and "${object.title}" in bad["errors"]["subject"]
    assert "unknown placeholder" in bad["errors"]["subject"]
    problem(root.post("/notification_template", {
        "event": "nope", "language": "ru", "subject": "s", "body": "b"}, status=422), 422)
    tpl = root.post("/notification_template", {
        "event": "commented", "language": "ru", "channel": "email",
        "subject": "[${object.id}] ${object.title}: $$ ${actor}", "body": "Текст: ${comment}\n${url}"}).json["id"]
    preview = root.post(f"/notification_template/{tpl}/actions/preview",
                        {"object_type": "ticket", "object_id": oid}, status=200).json["result"]
    assert preview["subject"] == f"[{oid}] Насос: $ root"  # the previewing administrator is the actor
    assert preview["body"].startswith("Текст: \n") and f"/t/ticket/{oid}" in preview["body"]
    anna.post(f"/ticket/{oid}/comments", {"text": "по шаблону"})
    mail = smtp_server.wait_for(2)[1]
    assert mail["Subject"].startswith(f"[{oid}] Насос: $ ")
    assert smtp_server.text(mail).startswith("Текст: по шаблону")
    in_app = notifications(procura_db, "boris")[-1]
    assert in_app["subject"] == "Новый комментарий: Насос"  # the template is for email only
    # the preview form in the web UI, the record's title escaped
    anna.patch(f"/ticket/{oid}", {"name": "<b>Насос</b>"})
    admin = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    session_client(admin, "root")
    form = admin.get(f"/t/notification_template/{tpl}/op/preview").forms["operation-preview"]
    form["object_type"], form["object_id"] = "ticket", oid
    result = form.submit("run")
    result = result.follow() if result.status_int in (302, 303) else result
    assert f"[{oid}] &lt;b&gt;Насос&lt;/b&gt;" in result.text and "<b>Насос</b>" not in result.text
    # substitution only: nothing is evaluated, an attribute path is just an unknown name
    from procura.notify.templates import TemplateError, substitute

    with pytest.raises(TemplateError, match="unknown placeholder"):
        substitute("${object.__class__}", {})
    with pytest.raises(TemplateError, match="starts no placeholder"):
        substitute("cost: $5", {})


# ---------------------------------------------------------------- subscriptions and addon events
def test_follow_and_unfollow_from_the_page_and_the_api_and_addon_events(testapp, people, procura_db, app):
    anna = bearer_client(testapp, procura_db, "anna")
    oid = new_ticket(anna)
    browser = TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    boris = session_client(browser, "boris")
    page = browser.get(f"/t/ticket/{oid}")
    assert page.html.find(attrs={"data-record-action": "notify-subscribe"})
    assert [li["data-login"] for li in page.html.select("#subscribers li")] == ["anna"]
    form = [v for v in page.forms.values() if "/notify/subscribe/" in (v.action or "")][0]
    form.submit(status=303)
    page = browser.get(f"/t/ticket/{oid}")
    assert [li["data-login"] for li in page.html.select("#subscribers li")] == ["anna", "boris"]
    assert boris.get(f"/ticket/{oid}/subscribers").json["subscribed"] is True
    assert boris.delete(f"/ticket/{oid}/subscribers", status=200).json["subscribed"] is False
    assert boris.post(f"/ticket/{oid}/subscribers", status=200).json["subscribed"] is True

    def escalate(request):
        obj = request.types.get(request.types.info("ticket"), oid)
        center.notify_event(request, "tests.escalated", obj, text="SLA breached")

    in_own_transaction(app.registry, escalate, login="anna")
    escalated = [n for n in notifications(procura_db, "boris") if n["event"] == "tests.escalated"]
    assert len(escalated) == 1 and "SLA breached" in escalated[0]["text"]
    assert escalated[0]["subject"] == "Escalated: Насос" or escalated[0]["subject"].endswith(": Насос")
