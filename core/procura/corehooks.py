"""The core's own hook implementations (registered first, under the name ``procura``)."""
from __future__ import annotations

from procura import hookimpl
from procura.i18n import _
from procura.ui import MenuItem

CORE = "procura"

# Demo sign-ins (README): (login, password, (last, first, middle), position, team, roles, what they are).
DEMO_USERS = [
    ("admin", "admin-demo-2026", ("Соколова", "Марина", "Викторовна"), "Системный администратор", "it",
     ["admin"], _("Administrator: every module and setting")),
    ("requester", "requester-demo-2026", ("Петров", "Илья", "Андреевич"), "Инженер-механик", "operations",
     ["requester"], _("Requester: creates purchase requests")),
    ("buyer", "buyer-demo-2026", ("Кузнецова", "Ольга", "Игоревна"), "Специалист по закупкам", "procurement",
     ["buyer"], _("Buyer: RFQs, quotations, orders")),
    ("approver", "approver-demo-2026", ("Смирнов", "Алексей", "Павлович"), "Начальник производства",
     "operations", ["approver"], _("Approver: department head who approves requests and contracts")),
    ("lawyer", "lawyer-demo-2026", ("Волкова", "Екатерина", "Дмитриевна"), "Юрисконсульт", "legal",
     ["lawyer"], _("Lawyer: reviews contracts")),
]
ADMIN_LOGIN, ADMIN_PASSWORD = DEMO_USERS[0][0], DEMO_USERS[0][1]
# Roles of the demo users that the core does not declare itself (addons declare them with their
# permissions; without those addons they are plain employee roles): name -> (title ru, title en).
DEMO_ROLES = {
    "requester": "Инициатор закупки", "buyer": "Закупщик", "approver": "Согласующий", "lawyer": "Юрист",
}

# Demo departments: (name, title, parent, head)
DEMO_TEAMS = [
    ("management", "Дирекция", None, "admin"),
    ("procurement", "Отдел закупок", "management", None),
    ("finance", "Финансовый отдел", "management", None),
    ("legal", "Юридический отдел", "management", None),
    ("it", "ИТ-отдел", "management", None),
    ("operations", "Производственный отдел", "management", None),
]


@hookimpl
def procura_register_types():
    from procura.calendars import BUSINESS_CALENDAR
    from procura.notify.types import NOTIFY_TYPES
    from procura.security.principals import PRINCIPAL_TYPES

    return [*PRINCIPAL_TYPES, BUSINESS_CALENDAR, *NOTIFY_TYPES]


@hookimpl
def procura_register_permissions():
    from procura.security.permissions import CORE_PERMISSIONS

    return list(CORE_PERMISSIONS)


@hookimpl
def procura_register_roles():
    from procura.security.roles import CORE_ROLES

    return list(CORE_ROLES)


@hookimpl
def procura_menu_items(request):
    return [
        MenuItem("home", _("Home"), route="home", icon="bi-house", order=0),
        MenuItem("admin_security", _("Security settings"), route="admin_security", icon="bi-shield-check",
                 order=890, permission="procura.admin", section="admin"),
        MenuItem("admin_notify", _("Notifications"), route="notify_admin", icon="bi-bell",
                 order=895, permission="procura.admin", section="admin"),
        MenuItem("admin_status", _("System status"), route="admin_status", icon="bi-activity",
                 order=900, permission="procura.admin", section="admin"),
    ]


@hookimpl
def procura_record_actions(request, info, obj):
    from procura.notify.views import record_actions

    return record_actions(request, info, obj)  # follow / unfollow the record (notifications)


@hookimpl
def procura_record_panels(request, info, obj):
    from procura.notify.views import record_panels

    return record_panels(request, info, obj)  # who follows the record


@hookimpl
def procura_auth_methods(request):
    from procura.security.oidc import auth_methods

    return auth_methods(request)  # a button per OpenID Connect provider (procura.oidc.providers)


@hookimpl
def procura_install(root, addon):
    if addon != CORE:
        return
    from procura.security.store import ensure_auth_store

    ensure_auth_store(root)


@hookimpl
def procura_demo_data(root, addon, echo, request):
    if addon != CORE:
        return
    from procura.security import get_user
    from procura.types.content import container_for
    from procura.types.names import PersonName

    svc = request.types
    teams = container_for(root, "team")
    info = svc.info("team")
    for name, title, parent, head in DEMO_TEAMS:
        if name not in teams:
            svc.create(info, {"name": name, "label": title, "parent": parent, "manager": head,
                              "kind": "department"})
            echo(f"team {name}")
    roles = container_for(root, "role")
    for name, title in DEMO_ROLES.items():
        if name not in roles:
            svc.create(svc.info("role"), {"name": name, "label": title, "kind": "staff", "login_hours": "any"})
            echo(f"role {name}")
    for login, password, name, position, team, user_roles, _what in DEMO_USERS:
        if get_user(root, login) is not None:
            continue
        user = svc.create(svc.info("user"), {
            "login": login, "name": PersonName(*name), "email": f"{login}@procura.example", "kind": "staff",
            "active": True, "position": position, "roles": tuple(user_roles), "teams": (team,)})
        user.set_password(password)
        echo(f"user {login}")


@hookimpl
def procura_demo_logins():
    return [(login, password, what) for login, password, *_rest, what in DEMO_USERS]


@hookimpl
def procura_periodic_tasks():
    return {"procura.heartbeat": {"task": "procura.heartbeat", "schedule": 30.0},
            # does something only with procura.ldap.sync_interval set, every that many minutes
            "procura.security.ldap_sync": {"task": "procura.security.ldap_sync", "schedule": 60.0}}


# ---------------------------------------------------------------- scheduled jobs (procura.jobs.scheduled)
# Separate implementations (``specname``) so that they sit beside the core's other ones of the same hooks.
@hookimpl(specname="procura_register_types")
def scheduled_job_types():
    from procura.jobs.scheduled import SCHEDULED_TYPES

    return list(SCHEDULED_TYPES)


@hookimpl(specname="procura_job_types")
def core_job_types():
    from procura.jobs.scheduled import CORE_JOB_TYPES

    return list(CORE_JOB_TYPES)


@hookimpl(specname="procura_record_panels")
def scheduled_job_panels(request, info, obj):
    from procura.jobs.scheduled import runs_panel

    return runs_panel(request, info, obj)


@hookimpl(specname="procura_periodic_tasks")
def scheduled_job_tick():
    from procura.jobs.scheduled import TICK_SECONDS

    return {"procura.scheduled.tick": {"task": "procura.scheduled.tick", "schedule": TICK_SECONDS}}
