"""Three installations of the same code, chosen by settings: the core alone, the core with one
addon (kb), and everything. Each must work on its own: sign-in, home, menu, addon pages, API.
"""
from __future__ import annotations

import pytest
from webtest import TestApp

ADDONS = {  # addon: its page
    "suppliers": "/suppliers",
    "contracts": "/contracts",
    "helpdesk": "/helpdesk",
    "courier": "/courier",
    "kb": "/kb",
    "portal": "/portal",
}
CORE_MENU = {"home"}  # core items everyone sees (the core may add more, e.g. for its own types)
ADMIN_MENU = {"admin_status"}


def menu_names(page) -> set[str]:
    return {a["data-menu"] for a in page.html.find_all(attrs={"data-menu": True})}


@pytest.fixture
def user_app(testapp, make_user, login):
    make_user("anna", roles=["buyer"])
    return login(testapp, "anna")


@pytest.fixture
def admin_app(app, make_user, login):
    """A second browser, signed in as an administrator."""
    make_user("root", roles=["admin"])
    return login(TestApp(app, extra_environ={"HTTP_HOST": "localhost"}), "root")


class TestCoreAlone:
    @pytest.fixture
    def procura_overrides(self):
        return {"procura.addons.disabled": "*"}

    def test_no_addon_is_loaded(self, app):
        assert app.registry.procura_addons == []
        assert set(app.registry.procura_available) >= set(ADDONS)  # installed, but disabled

    def test_home_shows_the_empty_state(self, user_app):
        home = user_app.get("/")
        assert home.status_int == 200
        empty = home.html.find(id="empty-home")
        assert empty is not None
        assert "No modules are enabled" in empty.get_text(" ", strip=True)

    def test_menu_has_no_addon_items(self, user_app, admin_app):
        user_menu = menu_names(user_app.get("/"))
        admin_menu = menu_names(admin_app.get("/"))
        assert user_menu >= CORE_MENU
        assert admin_menu >= CORE_MENU | ADMIN_MENU
        assert not (user_menu | admin_menu) & set(ADDONS)
        assert not user_menu & ADMIN_MENU  # admin entries are for admins only

    def test_addon_pages_do_not_exist(self, user_app):
        for path in ADDONS.values():
            user_app.get(path, status=404)

    def test_core_pages_work(self, admin_app):
        admin_app.get("/profile", status=200)
        status = admin_app.get("/admin/status", status=200)
        table = status.html.find(id="addons-table").get_text(" ")
        assert "enabled" not in table.split()  # every installed addon shows as disabled
        assert "disabled" in table
        assert admin_app.get("/api/v1/addons").json == {"items": []}


class TestCoreWithKb:
    @pytest.fixture
    def procura_overrides(self):
        return {"procura.addons.disabled": ",".join(sorted(set(ADDONS) - {"kb"}))}

    def test_only_kb_is_loaded(self, app):
        assert [a.name for a in app.registry.procura_addons] == ["kb"]

    def test_menu_has_kb_only(self, user_app):
        menu = menu_names(user_app.get("/"))
        assert menu >= CORE_MENU
        assert menu & set(ADDONS) == {"kb"}

    def test_kb_page_works_and_others_are_404(self, user_app):
        page = user_app.get("/kb")
        assert page.status_int == 200
        assert page.html.find(attrs={"data-addon": "kb"}) is not None
        assert "Knowledge base" in page.text
        for name, path in ADDONS.items():
            if name != "kb":
                user_app.get(path, status=404)

    def test_home_and_api(self, user_app):
        home = user_app.get("/")
        if home.html.find(id="empty-home") is not None:  # kb has no dashboard panels (yet)
            assert "No modules are enabled" not in home.text
        assert [item["name"] for item in user_app.get("/api/v1/addons").json["items"]] == ["kb"]


class TestEverything:
    def test_all_addons_load_in_dependency_order(self, app):
        order = [a.name for a in app.registry.procura_addons]
        assert sorted(order) == sorted(ADDONS)
        assert order.index("suppliers") < order.index("contracts")
        assert order.index("suppliers") < order.index("portal")

    def test_menu_has_every_addon(self, user_app):
        assert menu_names(user_app.get("/")) >= CORE_MENU | set(ADDONS)

    def test_every_addon_page_works(self, user_app):
        for name, path in ADDONS.items():
            page = user_app.get(path)
            assert page.status_int == 200, path
            assert page.html.find(attrs={"data-addon": name}) is not None, path
            assert f'data-menu="{name}"' in page.text

    def test_api_lists_every_addon(self, user_app):
        names = [item["name"] for item in user_app.get("/api/v1/addons").json["items"]]
        assert sorted(names) == sorted(ADDONS)

    def test_admin_status_shows_every_addon_enabled(self, admin_app):
        table = admin_app.get("/admin/status").html.find(id="addons-table")
        rows = table.find("tbody").find_all("tr")
        assert len(rows) == len(ADDONS)
        assert all("enabled" in row.get_text(" ") for row in rows)
