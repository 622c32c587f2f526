"""The hooks addons implement. Every spec here is documented in docs/hooks.md (a test checks it).

Naming: ``procura_<verb>_<noun>``. ``register_*``-style hooks return data; the core turns it into
configuration, so two addons claiming the same name conflict loudly at start-up. Implement a hook in
an addon's ``hooks.py`` with ``@procura.hookimpl`` and list that module in the addon's manifest
(``"hooks": "procura_x.hooks"``) or let the loader find ``<package>.hooks``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from pyramid.request import Request

    from procura.addons import EvolveStep
    from procura.jobs.scheduled import JobType
    from procura.notify.center import NotificationEvent
    from procura.security.auth import AuthMethod
    from procura.security.permissions import Permission
    from procura.security.roles import RoleDecl
    from procura.types import TypeInfo
    from procura.ui import DashboardWidget, MenuItem, RecordAction, RecordPanel

hookspec = pluggy.HookspecMarker("procura")


@hookspec
def procura_register_types() -> "list[TypeInfo]":
    """Business types of the addon: a list of :class:`procura.types.TypeInfo`.

    The core derives from each declaration the list/detail/form/kanban views, the REST endpoints
    and their OpenAPI description, catalog indexes, search documents, the audit trail, the activity
    feed, print and export, and the permissions ``<addon>.<action>-<type>`` (create, read, edit,
    delete). A type name declared twice, or a reserved one, stops start-up naming both addons.
    """


@hookspec
def procura_extend_types() -> "dict[str, list]":
    """Fields an addon adds to types declared by the core or by other addons.

    Return ``{type_name: [Field, ...]}``; types that are not installed are skipped, so an addon can
    extend another one's type without depending on it (the suppliers addon adds a counterparty
    link to the core's ``user`` type for portal users). A field name the type already has stops
    start-up naming both addons. The added fields behave like declared ones in every channel.
    """


@hookspec
def procura_register_permissions() -> "list[Permission]":
    """Named permissions of the addon beyond its types' create/read/edit/delete/actions.

    Return a list of :class:`procura.security.permissions.Permission` ``(name, title, description,
    default_roles, group)``; names are ``<addon>.<verb>-<noun>``. The core lists them on the role
    editor (admins grant them per role) and in ``docs/permissions.md``; ``default_roles`` is the
    addon's reviewable role -> permission table. A name declared twice stops start-up.
    """


@hookspec
def procura_register_roles() -> "list[RoleDecl]":
    """Roles the addon's defaults refer to: :class:`procura.security.roles.RoleDecl`
    ``(name, title, description, kind)``.

    At start-up every declared role that the database lacks is created (titled in the
    installation's default language); administrators then edit it like any role. Roles named in
    ``default_roles`` but not declared still work by name; declaring them gives them a title.
    """


@hookspec
def procura_auth_methods(request: "Request") -> "list[AuthMethod]":
    """Sign-in methods besides login and password (OIDC providers, LDAP is a password method).

    Return :class:`procura.security.auth.AuthMethod` ``(name, title, url, icon, order)`` items: the
    sign-in page shows one button per method leading to ``url``, where the addon's own views run
    the method and finish with ``procura.security.auth.complete_sign_in(request, user, method)``
    (which applies lockout, working hours, the second factor and the login audit).
    """


@hookspec
def procura_record_actions(request: "Request", info: "TypeInfo", obj: Any) -> "list[RecordAction]":
    """Extra buttons on a record's detail page (beside Edit and the workflow actions).

    Return :class:`procura.ui.RecordAction` items ``(name, title, url, icon, method, style,
    confirm, order)``; check the user's permissions before offering one. Called for every type:
    return nothing for types that are not yours.
    """


@hookspec
def procura_record_panels(request: "Request", info: "TypeInfo", obj: Any) -> "list[RecordPanel]":
    """Extra panels on a record's detail page (approval sheet, comparison, history with a supplier).

    Return :class:`procura.ui.RecordPanel` items ``(name, title, html, order, side)``: ``html`` is
    markup the addon rendered itself (escape user data; render with Chameleon); ``side=True`` puts
    the panel in the right column above the activity feed.
    """


@hookspec
def procura_menu_items(request: "Request") -> "list[MenuItem]":
    """Entries for the left navigation.

    Called once per page render. Return a list of :class:`procura.ui.MenuItem`; items whose
    ``permission`` the current user lacks are dropped by the core. Order by ``MenuItem.order``.
    """


@hookspec
def procura_dashboard_widgets(request: "Request") -> "list[DashboardWidget]":
    """Panels on the home page.

    Return a list of :class:`procura.ui.DashboardWidget` (title, template or HTML-free text,
    permission, order). Called once per home page render.
    """


@hookspec
def procura_evolve_steps() -> "list[EvolveStep]":
    """Schema evolution steps of an addon's persistent data.

    Return a list of :class:`procura.addons.EvolveStep` ``(addon, version, title, run)``, where
    ``run(root)`` upgrades the data from ``version - 1`` to ``version``. ``procura upgrade`` runs the
    pending ones in version order, one transaction each. The highest version is the addon's current
    schema version; start-up refuses a database whose stored version is lower (run the upgrade) or
    higher (newer code wrote it).
    """


@hookspec
def procura_install(root: Any, addon: str) -> None:
    """Create an addon's initial persistent structure (containers, default settings).

    Called for each addon, in dependency order, when an addon is first seen in a database (and so
    also at ``procura init``). ``addon`` names the addon being installed; implementations must
    act only when it is their own and must be idempotent.
    """


@hookspec
def procura_demo_data(root: Any, addon: str, echo: Callable[[str], None], request: "Request") -> None:
    """Load the addon's demo data into ``root`` (``procura demo``), in addon dependency order.

    ``addon`` names the addon whose turn it is; act only on your own. ``echo`` prints a progress
    line. ``request`` is a system request: create records through ``request.types`` (the service
    path: validation, catalog, search, audit). Must be idempotent: running ``procura demo`` twice
    creates nothing twice.
    """


@hookspec
def procura_demo_logins() -> "list[tuple[str, str, str]]":
    """Demo sign-ins the addon's demo data creates: ``(login, password, what the user does)``.

    ``make run`` prints them and the README lists them.
    """


@hookspec
def procura_cli_commands() -> "list[Any]":
    """Extra ``procura`` subcommands: a list of ``click.Command`` objects.

    A command name already taken by the core or another addon stops start-up with a clear message.
    """


@hookspec
def procura_periodic_tasks() -> "dict[str, dict]":
    """Fixed Celery beat entries of an addon: ``{name: {"task": ..., "schedule": seconds|crontab}}``.

    Names must be unique across addons. Schedules that admins edit at run time live in ZODB instead.
    """


@hookspec
def procura_job_types() -> "list[JobType]":
    """Kinds of scheduled job admins can create (the ``scheduled_job`` type's "Job type" choice).

    Return :class:`procura.jobs.scheduled.JobType` items ``(name, title, run, description, params,
    takes_saved_filter)``. ``run(request, job, params)`` does the work with a system request in a
    transaction of its own and returns a dict or a text kept as the run's result; an exception fails
    the run (its writes roll back, the error is recorded, other jobs go on). ``params`` is a Colander
    mapping (or a callable ``params(request)`` returning one) that checks the job's JSON parameters
    when an admin saves the job; ``run`` gets the deserialised values. With ``takes_saved_filter``
    the job names a list filter (``<type>?<query>``) and ``params`` also carry ``input_type`` and
    ``input_ids``: the ids of the records matching it when the run starts. Names are unique across
    addons (prefix them with the addon's name); a name declared twice stops the scheduler.
    """


@hookspec
def procura_notification_events() -> "list[NotificationEvent]":
    """Events of the addon users can be notified of, besides the core's (created, changed,
    status_changed, assigned, commented, mentioned).

    Return :class:`procura.notify.center.NotificationEvent` items ``(name, title, description,
    default_channels)``; name them ``<addon>.<what>`` (``contracts.expiring``). Each appears as a row
    of the users' preferences matrix and of the administrator's role defaults, and may have
    templates (``notification_template``). Raise one after a change with
    ``procura.notify.center.notify_event(request, name, obj, text=..., recipients=...)``: it reaches
    the record's followers plus ``recipients`` who may read it, after commit, through every channel
    they keep on. A name declared twice stops start-up with a clear message.
    """


@hookspec
def procura_status_checks(request: "Request") -> "list[tuple[str, bool, str]]":
    """Rows for the administrator's system status page: ``(title, ok, detail)``."""
