"""Scheduled jobs: admins create a job of a job type addons contribute (``procura_job_types``), with
its own cron schedule and time zone; beat runs it; every run is kept with its duration, result and
error.

- Type ``scheduled_job`` (admin section): title, job type, 5-field cron schedule (parsed by
  ``celery.schedules.crontab``; when both day of month and day of week are restricted either one
  matching is enough, as in crontab(5)), time zone, enabled, parameters (JSON checked by the job
  type's Colander schema), an optional list filter as input, and the computed ``next_run``,
  ``last_run`` and ``last_status``. Operations: run now, enable, disable.
- Type ``scheduled_job_run`` (``system_only``): one record per run, linked to its job (shown on the
  job's page; ``GET /api/v1/scheduled_job_run?job=<id>`` in the API).
- Beat sends ``procura.scheduled.tick`` every 30 s. The tick asks the catalog for enabled jobs whose
  ``next_run`` has passed and, in one transaction, advances each one's ``next_run`` and queues
  ``procura.scheduled.run`` after the commit. Two ticks at once touch the same job objects, so one of
  them gets a ZODB ConflictError, is retried and finds nothing due: each slot runs once.
- A run claims its run id on the job (a redelivered message runs nothing twice), runs the job type
  with a system request in a transaction of its own (a failure rolls back the job's writes only),
  then records the run in another transaction, so a failing job keeps its error and never stops the
  other jobs.

``next_run``, ``last_run`` and ``last_status`` are bookkeeping the system keeps: they are set on
the record and reindexed without a new version or an audit entry (a job running every minute would
otherwise bury its history and make every admin edit stale).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import colander
import deform

from procura.i18n import _
from procura.jobs import enqueue, job
from procura.types import Operation, TypeInfo
from procura.types import fields as f

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
MAX_INPUT_IDS = 10000
RECENT_RUN_IDS = 50
STATUSES = [("ok", _("Succeeded")), ("failed", _("Failed")), ("running", _("Running"))]
COMPUTED_FIELDS = ("next_run", "last_run", "last_status")


@dataclass
class JobType:
    """A kind of job admins schedule (``procura_job_types``).

    - ``run(request, job, params)``: does the work with a system request (``request.types`` writes
      through the service path), in a transaction of its own; returns a dict or a text shown as the
      run's result. An exception fails the run: its writes roll back and the error is recorded.
    - ``params``: a Colander mapping of the job's parameters, or ``params(request)`` returning one
      (None: the job takes none). ``run`` receives the deserialised values.
    - ``takes_saved_filter``: the job needs a list filter as input; ``params`` then also carry
      ``input_type`` (the type name) and ``input_ids`` (the ids of the records matching it now).
    """

    name: str
    title: Any
    run: Callable[[Any, Any, dict], dict | str | None]
    description: Any = ""
    params: Any = None
    takes_saved_filter: bool = False

    def schema(self, request):
        if self.params is None:
            return None
        if isinstance(self.params, colander.SchemaNode):
            return self.params.clone()
        return self.params(request)


def job_types(registry) -> dict[str, JobType]:
    """The job types of the installation by name (collected once per registry)."""
    cached = getattr(registry, "_procura_job_types", None)
    if cached is not None:
        return cached
    out: dict[str, JobType] = {}
    pm = registry.procura_pm
    for impl in pm.hook.procura_job_types.get_hookimpls():
        for jt in impl.function() or []:
            if jt.name in out:
                raise RuntimeError(f"The job type '{jt.name}' is declared twice (again by {impl.plugin_name})")
            out[jt.name] = jt
    registry._procura_job_types = out
    return out


# ---------------------------------------------------------------- cron
def parse_cron(text: str):
    """A 5-field cron expression (minute hour day-of-month month day-of-week) as a celery crontab;
    raises ValueError with the reason."""
    from celery.schedules import crontab

    parts = (text or "").split()
    if len(parts) != 5:
        raise ValueError("five fields are needed: minute hour day-of-month month day-of-week")
    minute, hour, dom, month, dow = parts
    try:
        return crontab(minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow)
    except Exception as exc:  # noqa: BLE001 - celery's parser raises ValueError and others
        raise ValueError(str(exc)) from None


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_runs(cron: str, zone: ZoneInfo, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The next ``count`` moments (UTC) after ``after`` that the schedule names, in ``zone``."""
    schedule = parse_cron(cron)
    parts = cron.split()
    minutes, hours = sorted(schedule.minute), sorted(schedule.hour)
    months, doms, dows = schedule.month_of_year, schedule.day_of_month, schedule.day_of_week
    dom_any, dow_any = parts[2] == "*", parts[4] == "*"
    out: list[dt.datetime] = []
    start = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    for offset in range(366 * 5):
        day = start.date() + dt.timedelta(days=offset)
        if day.month not in months:
            continue
        dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
        if not ((dom_ok or dow_ok) if not (dom_any or dow_any) else (dom_ok and dow_ok)):
            continue
        for hour in hours:
            for minute in minutes:
                moment = dt.datetime(day.year, day.month, day.day, hour, minute).replace(tzinfo=zone)
                moment = moment.astimezone(dt.UTC)
                if moment > after and (not out or moment > out[-1]):
                    out.append(moment)
                    if len(out) >= count:
                        return out
    return out


def job_zone(request_or_registry, obj) -> ZoneInfo:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return _zone(getattr(obj, "timezone", None), registry.settings.get("procura.default_timezone", "UTC"))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- fields
class JobTypeField(f.String):
    """One of the installation's job types (a select in forms; checked against the registry)."""

    kind = "job_type"

    def request_validators(self, request):
        def check(node, value):
            if request is not None and value not in job_types(request.registry):
                raise colander.Invalid(node, _("Unknown job type '${name}'", mapping={"name": value}))

        return [check]

    def widget(self, request=None):
        if request is None:
            return None
        t = request.localizer.translate
        values = [(name, t(jt.title)) for name, jt in job_types(request.registry).items()]
        return deform.widget.SelectWidget(values=[("", "—"), *sorted(values, key=lambda v: v[1].casefold())])

    def openapi(self):
        return {"type": "string", "maxLength": 200, "description": "name of a job type (GET /api/v1/types)"}

    def display(self, value, request):
        jt = job_types(request.registry).get(value) if value and request is not None else None
        return request.localizer.translate(jt.title) if jt is not None else (value or "")


def normalise_filter(value: str | None) -> str | None:
    """``<type>?<query>`` from what an admin pasted (a list's address or the part after ``/t/``)."""
    value = (value or "").strip()
    if not value:
        return None
    if "/t/" in value:
        value = value.split("/t/", 1)[1]
    return value


def parse_filter(request, value: str):
    """(TypeInfo, ListQuery) of a stored filter; raises ValueError with a translatable reason."""
    from webob.multidict import MultiDict

    from procura.types.query import parse_list_params
    from procura.types.service import ValidationFailed

    type_name, _sep, query = value.partition("?")
    info = request.registry.procura_types.get(type_name.strip("/"))
    if info is None:
        raise ValueError(_("Unknown type '${name}'", mapping={"name": type_name}))
    params = MultiDict(parse_qsl(query, keep_blank_values=False))
    try:
        parsed = parse_list_params(info, params)
    except ValidationFailed as exc:
        raise ValueError(_("This filter does not work: ${fields}", mapping={"fields": ", ".join(exc.errors)})) \
            from None
    if parsed.q:
        raise ValueError(_("Free-text search (q) cannot be a job's input; use the list's filters"))
    return info, parsed


def matching_ids(request, value: str) -> tuple[str, list[str]]:
    """The type and ids of the live records a filter matches now (catalog query, up to MAX_INPUT_IDS)."""
    from procura.types.content import container_for
    from procura.types.query import matching_docids

    info, query = parse_filter(request, value)
    container = container_for(request.app_root, info.name)
    ids = []
    for docid in matching_docids(request, info, query, container):
        ids.append(container.docids[docid])
        if len(ids) >= MAX_INPUT_IDS:
            break
    return info.name, sorted(ids)


class SavedFilterField(f.String):
    """A list filter as a job's input: ``<type>?<query>``, e.g. ``login_event?event=failure``."""

    kind = "saved_filter"

    def setup(self, max_length: int = 2000, **options):
        super().setup(max_length=max_length, **options)

    def to_storage(self, appstruct):
        value = super().to_storage(appstruct)
        return normalise_filter(value) if isinstance(value, str) else value

    def schema_node(self, request=None, *, for_api=False):
        node = super().schema_node(request, for_api=for_api)
        views = saved_views(request) if request is not None and not for_api else []
        if views:
            t = request.localizer.translate
            listed = "; ".join(f"{title}: {value}" for title, value in views[:20])
            node.description = f"{t(self.description)} {t(_('Your saved views: ${views}', mapping={'views': listed}))}"
        return node


def saved_views(request) -> list[tuple[str, str]]:
    """The current user's saved list views as ``(title, "<type>?<query>")``, ready to paste as an input."""
    from urllib.parse import urlencode

    user = getattr(request, "identity", None)
    prefs = getattr(user, "ui_prefs", None) or {}
    t = request.localizer.translate
    out = []
    for type_name, entry in prefs.items():
        info = request.registry.procura_types.get(type_name)
        if info is None or not request.types.can("read", info):
            continue
        for view in (entry or {}).get("views") or ():
            out.append((f"{t(info.plural)} / {view['name']}", f"{type_name}?{urlencode(list(view['query']))}"))
    return out


# ---------------------------------------------------------------- the types
def _tz_choices():
    from procura.security.principals import _tz_choices as choices

    return [("UTC", "UTC"), *choices()]


def guard_job_fields(request, obj, field):
    return "read" if field.name in COMPUTED_FIELDS else None


def validate_job(request, obj, values) -> dict:
    errors: dict = {}
    cron = values.get("schedule")
    if cron:
        try:
            parse_cron(cron)
        except ValueError as exc:
            errors["schedule"] = _("Not a valid schedule: ${reason}", mapping={"reason": str(exc)})
    jt = job_types(request.registry).get(values.get("job_type") or "")
    if jt is None:
        return errors  # the field itself says the job type is unknown
    schema = jt.schema(request)
    params = values.get("params")
    if schema is None:
        if params not in (None, {}, []):
            errors["params"] = _("This job type takes no parameters")
    else:
        try:
            schema.bind(request=request).deserialize(params if params is not None else {})
        except colander.Invalid as exc:
            t = request.localizer.translate
            detail = "; ".join(f"{k}: {v}" if k else v for k, v in exc.asdict(translate=t).items())
            errors["params"] = _("Parameters not valid: ${detail}", mapping={"detail": detail})
    source = values.get("saved_filter")
    if jt.takes_saved_filter and not source:
        errors["saved_filter"] = _("This job type needs a list filter as its input")
    elif source and not jt.takes_saved_filter:
        errors["saved_filter"] = _("This job type takes no input")
    elif source:
        try:
            matching_ids(request, source)
        except ValueError as exc:
            errors["saved_filter"] = exc.args[0]
        except Exception as exc:  # noqa: BLE001 - a bad filter value is the writer's error
            errors["saved_filter"] = getattr(exc, "errors", None) and "; ".join(exc.errors.values()) or str(exc)
    return errors


def derive_job(request, obj):
    """A changed schedule, time zone or switch moves ``next_run`` (a due run is kept otherwise)."""
    key = (obj.schedule, obj.timezone, bool(obj.enabled))
    if getattr(obj, "_schedule_key", None) == key and (obj.next_run is not None or not obj.enabled):
        return
    obj._schedule_key = key
    obj.next_run = None
    if obj.enabled and obj.schedule:
        try:
            found = next_runs(obj.schedule, job_zone(request, obj), now_utc())
        except ValueError:
            found = []
        obj.next_run = found[0] if found else None


def run_now(request, obj, data):
    run_id = uuid.uuid4().hex
    enqueue(request, "procura.scheduled.run", obj.id, run_id, "manual")
    return {"run_id": run_id}


def _switch(value):
    def run(request, obj, data):
        request.types.update(obj, {"enabled": value})
        return {}

    return run


JOB_OPERATIONS = [
    Operation("run_now", _("Run now"), run_now, icon="bi-play-fill", style="outline-primary",
              description=_("Queues a run of this job now; its schedule stays as it is.")),
    Operation("enable", _("Enable"), _switch(True), icon="bi-toggle-on",
              available=lambda request, obj: not obj.enabled),
    Operation("disable", _("Disable"), _switch(False), icon="bi-toggle-off", style="outline-warning",
              available=lambda request, obj: bool(obj.enabled)),
]

SCHEDULED_JOB = TypeInfo(
    name="scheduled_job", title=_("Scheduled job"), plural=_("Scheduled jobs"), icon="bi-clock-history",
    admin=True, menu_order=30, searchable=False, validate=validate_job, derive=derive_job,
    field_guard=guard_job_fields, operations=JOB_OPERATIONS, title_field="label",
    description=_("Jobs the background worker runs on their own schedule."),
    fields=[
        f.String("label", _("Title"), required=True, indexed=True, max_length=200),
        JobTypeField("job_type", _("Job type"), required=True, indexed=True, max_length=200),
        f.String("schedule", _("Schedule (cron)"), required=True, max_length=200,
                 description=_("Five fields: minute hour day-of-month month day-of-week, e.g. "
                               "“0 6 * * 1-5” is 06:00 on weekdays, “*/15 * * * *” every 15 minutes.")),
        f.Enum("timezone", _("Time zone"), choices=_tz_choices(), invalid_message=_("Unknown time zone"),
               description=_("The schedule's time zone; empty: the installation's default.")),
        f.Boolean("enabled", _("Enabled"), default=True, indexed=True),
        f.JSONField("params", _("Parameters"), max_bytes=16384,
                    description=_("A JSON object with the job type's parameters, e.g. {\"days\": 30}.")),
        SavedFilterField("saved_filter", _("Input: list filter"),
                         description=_("For job types that work on records: the list's address from /t/ on, "
                                       "e.g. “purchase_request?status=approved” (open the list, filter it or "
                                       "choose a saved view, and copy the address).")),
        f.DateTime("next_run", _("Next run"), indexed=True),
        f.DateTime("last_run", _("Last run")),
        f.Enum("last_status", _("Last result"), choices=STATUSES, indexed=True),
    ],
    list_columns=["label", "job_type", "schedule", "enabled", "next_run", "last_status"],
    default_roles={"create": ["admin"], "read": ["admin"], "edit": ["admin"], "delete": ["admin"]},
)

SCHEDULED_JOB_RUN = TypeInfo(
    name="scheduled_job_run", title=_("Job run"), plural=_("Job runs"), icon="bi-list-check",
    admin=True, menu=False, system_only=True, searchable=False, title_field="job",
    fields=[
        f.Link("job", _("Job"), target="scheduled_job", indexed=True),
        f.String("job_type", _("Job type"), indexed=True, max_length=200),
        f.Enum("trigger", _("Started by"), choices=[("schedule", _("Schedule")), ("manual", _("Run now"))],
               indexed=True),
        f.DateTime("started", _("Started"), indexed=True),
        f.DateTime("finished", _("Finished")),
        f.DecimalField("duration", _("Duration, s"), places=3),
        f.Enum("outcome", _("Result"), choices=STATUSES[:2], indexed=True),
        f.Text("result", _("Output"), max_length=4000),
        f.Text("error", _("Error"), max_length=4000),
    ],
    list_columns=["started", "job", "outcome", "duration"],
    default_roles={"read": ["admin"]},
)

SCHEDULED_TYPES = [SCHEDULED_JOB, SCHEDULED_JOB_RUN]


# ---------------------------------------------------------------- tick and run
def _bookkeep(request, obj, **values):
    """Set computed fields and reindex (no version, no audit entry: see the module docstring)."""
    from procura.types.content import container_for

    for name, value in values.items():
        setattr(obj, name, value)
    container_for(request.app_root, SCHEDULED_JOB.name).index(obj, request.registry.procura_types[SCHEDULED_JOB.name])


def due_jobs(request, now: dt.datetime) -> list:
    """Enabled live jobs whose next run has come: a catalog query, never a container scan."""
    from procura.types.content import container_for

    container = container_for(request.app_root, SCHEDULED_JOB.name)
    catalog = container.catalog
    query = catalog["enabled"].eq(True) & catalog["deleted"].eq(False) & catalog["next_run"].le(now)
    return [container[container.docids[d]] for d in sorted(query.execute().ids)]


@job("procura.scheduled.tick")
def tick(request) -> list[str]:
    """Advance every due job's ``next_run`` and queue its run after this transaction commits."""
    now = now_utc()
    started = []
    for obj in due_jobs(request, now):
        try:
            found = next_runs(obj.schedule, job_zone(request, obj), now)
        except ValueError:
            found = []
        _bookkeep(request, obj, next_run=found[0] if found else None)
        enqueue(request, "procura.scheduled.run", obj.id, uuid.uuid4().hex, "schedule")
        started.append(obj.id)
    return started


_SECRET_RE = [
    (re.compile(r"(\w+://)[^\s/@:]+:[^\s/@]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)\S+"), r"\1\2***"),
]


def error_summary(exc: BaseException) -> str:
    """The exception and where it happened (file:line function, last frames), without locals or secrets."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = "\n".join(f"  {fr.filename.rsplit('/', 2)[-1] if fr.filename else '?'}:{fr.lineno} in {fr.name}"
                      for fr in frames)
    text = f"{exc.__class__.__name__}: {exc}\n{where}".strip()
    for pattern, repl in _SECRET_RE:
        text = pattern.sub(repl, text)
    return text[:4000]


def _result_text(result) -> str:
    if result is None:
        return ""
    if isinstance(result, str):
        return result[:4000]
    return json.dumps(result, ensure_ascii=False, default=str, sort_keys=True)[:4000]


def execute_run(registry, job_id: str, run_id: str, trigger: str = "schedule") -> str | None:
    """Claim, run and record one run of a job; returns "ok"/"failed" (None: nothing to run)."""
    from procura.types.content import container_for
    from procura.types.system import in_own_transaction

    def load(system):
        obj = container_for(system.app_root, SCHEDULED_JOB.name).get(job_id)
        return None if obj is None or obj.deleted else obj

    def claim(system):
        obj = load(system)
        recent = tuple(getattr(obj, "_run_ids", ()) or ()) if obj is not None else ()
        if obj is None or run_id in recent:
            return False
        obj._run_ids = (*recent, run_id)[-RECENT_RUN_IDS:]
        _bookkeep(system, obj, last_status="running")
        return True

    if not in_own_transaction(registry, claim, note=f"scheduled job {job_id}: claim run"):
        return None
    started, clock = now_utc(), time.monotonic()
    outcome, result, error, job_type = "ok", None, "", ""

    def work(system):
        nonlocal job_type
        obj = load(system)
        if obj is None:
            raise LookupError(f"the job {job_id} is gone")
        job_type = obj.job_type or ""
        jt = job_types(registry).get(job_type)
        if jt is None:
            raise LookupError(f"unknown job type '{job_type}' (is its addon installed?)")
        schema = jt.schema(system)
        params = dict(schema.bind(request=system).deserialize(obj.params or {})) if schema is not None else {}
        if jt.takes_saved_filter:
            if not obj.saved_filter:
                raise ValueError("this job type needs a list filter as its input")
            params["input_type"], params["input_ids"] = matching_ids(system, obj.saved_filter)
        return jt.run(system, obj, params)

    try:
        result = in_own_transaction(registry, work, note=f"scheduled job {job_id}: run")
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded, never propagated
        outcome, error = "failed", error_summary(exc)
        log.warning("scheduled job %s failed: %s", job_id, error.splitlines()[0])
    finished = now_utc()
    duration = round(time.monotonic() - clock, 3)

    def record(system):
        import decimal

        obj = load(system)
        values = {"job": job_id if obj is not None else None, "job_type": job_type[:200], "trigger": trigger,
                  "started": started, "finished": finished, "duration": decimal.Decimal(str(duration)),
                  "outcome": outcome, "result": _result_text(result), "error": error}
        system.types.create(system.types.info(SCHEDULED_JOB_RUN.name), values)
        if obj is not None:
            _bookkeep(system, obj, last_status=outcome, last_run=started)

    try:
        in_own_transaction(registry, record, note=f"scheduled job {job_id}: record run")
    except Exception:  # noqa: BLE001 - the log keeps what the database could not
        log.exception("could not record the run of scheduled job %s", job_id)
    return outcome


@job("procura.scheduled.run")
def run_task(request, job_id: str, run_id: str, trigger: str = "schedule"):
    """Celery task (and inline job in tests): the run uses transactions of its own (see execute_run)."""
    return execute_run(request.registry, job_id, run_id, trigger)


# ---------------------------------------------------------------- the job's page
def runs_of(request, job_id: str, limit: int = 20) -> tuple[list, int]:
    from procura.types.query import ListQuery, run_query

    info = request.types.info(SCHEDULED_JOB_RUN.name)
    result = run_query(request, info, ListQuery(filters={"job": [job_id]}, sort="-started", limit=limit))
    return result.items, result.total


def runs_panel(request, info, obj):
    """The job's next run times (in the reader's time zone) and its run history."""
    from pyramid.renderers import render

    from procura.types.formatting import format_datetime
    from procura.ui import RecordPanel

    if info.name != SCHEDULED_JOB.name or not request.types.can("read", request.types.info(SCHEDULED_JOB_RUN.name)):
        return []
    t = request.localizer.translate
    upcoming = []
    if obj.enabled and obj.schedule:
        try:
            upcoming = [format_datetime(m, request) for m in next_runs(obj.schedule, job_zone(request, obj),
                                                                       now_utc(), 5)]
        except ValueError:
            upcoming = []
    items, total = runs_of(request, obj.id)
    run_info = request.types.info(SCHEDULED_JOB_RUN.name)
    outcome = run_info.field("outcome")
    rows = [{"id": run.id, "started": format_datetime(run.started, request) if run.started else "",
             "duration": run_info.field("duration").display(run.duration, request),
             "outcome": run.outcome, "outcome_title": outcome.display(run.outcome, request),
             "trigger": run_info.field("trigger").display(run.trigger, request),
             "result": run.result or "", "error": run.error or "",
             "url": request.route_url("type_detail", type=run_info.name, id=run.id)} for run in items]
    labels = {key: t(label) for key, label in {
        "upcoming": _("Next runs"), "none_upcoming": _("Not scheduled (disabled or no matching time)."),
        "history": _("Run history"), "empty": _("No runs yet."), "started": _("Started"),
        "duration": _("Duration, s"), "outcome": _("Result"), "trigger": _("Started by"),
        "output": _("Output / error"), "all": _("All runs")}.items()}
    html = render("procura:templates/jobs/runs.pt", {
        "upcoming": upcoming, "rows": rows, "total": total, "labels": labels,
        "all_url": request.route_url("type_list", type=run_info.name, _query={"job": obj.id})}, request=request)
    return [RecordPanel(name="scheduled-job-runs", title=_("Runs"), html=html, order=20)]


# ---------------------------------------------------------------- the core's job types
def _purge_params(request):
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(colander.SchemaNode(colander.Integer(), name="days", title=_("Older than (days)"), missing=30,
                                   validator=colander.Range(min=1, max=3650)))
    schema.add(colander.SchemaNode(colander.String(), name="type", title=_("Only this type"), missing="",
                                   validator=colander.Function(
                                       lambda v: not v or v in request.registry.procura_types,
                                       msg=_("Unknown type"))))
    schema.add(colander.SchemaNode(colander.Integer(), name="limit", title=_("At most this many records"),
                                   missing=2000, validator=colander.Range(min=1, max=100000)))
    return schema


def purge_trash(request, job_obj, params) -> dict:
    """Delete for good the records in the trash longer than ``days`` (catalog: the trash only)."""
    from procura.types.content import container_for

    cutoff = now_utc() - dt.timedelta(days=params["days"])
    svc = request.types
    purged: dict[str, int] = {}
    left = params["limit"]
    for info in request.registry.procura_types:
        if (params["type"] and info.name != params["type"]) or not svc.can("delete", info):
            continue
        container = container_for(request.app_root, info.name)
        for docid in list(container.catalog["deleted"].eq(True).execute().ids):
            obj = container.get(container.docids.get(docid))
            if obj is None or obj.deleted_at is None or obj.deleted_at > cutoff:
                continue
            if left <= 0:
                break
            svc.purge(obj)
            purged[info.name] = purged.get(info.name, 0) + 1
            left -= 1
    return {"purged": sum(purged.values()), "by_type": purged}


CORE_JOB_TYPES = [
    JobType("procura.purge_trash", _("Empty the trash"), purge_trash, params=_purge_params,
            description=_("Deletes for good the records that have been in the trash for more than the given "
                          "number of days (parameters: days, type, limit).")),
]
