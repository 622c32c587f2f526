"""The core's own hook implementations (registered first, under the name ``procura``)."""
from __future__ import annotations

from procura import hookimpl
from procura.i18n import _
from procura.ui import MenuItem

CORE = "procura"

# Demo sign-ins of the core: (login, password, full name, roles, what the user does).
DEMO_USERS = [
    ("admin", "admin-demo-2026", "Соколова Марина Викторовна", ["admin"], _("Administrator: every module and setting")),
    ("requester", "requester-demo-2026", "Петров Илья Андреевич", ["requester"],
     _("Requester: creates purchase requests")),
    ("buyer", "buyer-demo-2026", "Кузнецова Ольга Игоревна", ["buyer"], _("Buyer: RFQs, quotations, orders")),
    ("approver", "approver-demo-2026", "Смирнов Алексей Павлович", ["approver"],
     _("Approver: department head who approves requests and contracts")),
    ("lawyer", "lawyer-demo-2026", "Волкова Екатерина Дмитриевна", ["lawyer"],
     _("Lawyer: reviews contracts")),
]


@hookimpl
def procura_menu_items(request):
    return [
        MenuItem("home", _("Home"), route="home", icon="bi-house", order=0),
        MenuItem("admin_status", _("System status"), route="admin_status", icon="bi-activity",
                 order=900, permission="procura.admin", section="admin"),
    ]


@hookimpl
def procura_install(root, addon):
    if addon != CORE:
        return
    from procura.security import Users

    if "users" not in root:
        root.add("users", Users())


@hookimpl
def procura_demo_data(root, addon, echo):
    if addon != CORE:
        return
    from procura.security import User

    users = root["users"]
    for login, password, fullname, roles, _what in DEMO_USERS:
        if login in users:
            continue
        user = User(login, fullname=fullname, email=f"{login}@procura.example", roles=roles)
        user.set_password(password)
        users.add(login, user)
        echo(f"user {login}")


@hookimpl
def procura_demo_logins():
    return [(login, password, what) for login, password, _f, _r, what in DEMO_USERS]


@hookimpl
def procura_periodic_tasks():
    return {"procura.heartbeat": {"task": "procura.heartbeat", "schedule": 30.0}}
