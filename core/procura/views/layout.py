"""What every page's layout needs: navigation from the addons' hooks, user, languages, assets."""
from __future__ import annotations

from pyramid.decorator import reify

from procura.i18n import LANGUAGES
from procura.ui import MenuItem


class LayoutHelper:
    def __init__(self, request):
        self.request = request

    @reify
    def user(self):
        return self.request.identity

    @reify
    def locale(self):
        return self.request.localizer.locale_name

    @reify
    def languages(self):
        return [
            {"code": code, "title": title, "active": code == self.locale,
             "url": self.request.route_url("language", code=code, _query={"came_from": self.request.path_qs})}
            for code, title in LANGUAGES.items()
        ]

    @reify
    def csrf_token(self):
        return self.request.session.get_csrf_token()

    @reify
    def menu(self) -> list[dict]:
        request = self.request
        items: list[MenuItem] = []
        for result in request.pm.hook.procura_menu_items(request=request):
            items.extend(result or [])
        seen, out = set(), []
        context = request.root
        for item in sorted(items, key=lambda i: (i.order, i.name)):
            if item.name in seen:
                raise RuntimeError(f"Two addons contribute the menu item '{item.name}'")
            seen.add(item.name)
            if item.permission and not request.has_permission(item.permission, context):
                continue
            url = item.url or request.route_url(item.route)
            out.append({
                "name": item.name, "title": item.title, "url": url, "icon": item.icon,
                "section": item.section,
                "active": request.path == url.replace(request.application_url, "", 1)
                or (url != request.route_url("home") and request.url.startswith(url)),
            })
        return out

    def static(self, path: str) -> str:
        return self.request.static_url(path)

    def vendor(self, path: str) -> str:
        return self.request.application_url + "/static/vendor/" + path

    def theme_static(self, path: str) -> str:
        from procura.themes import theme_name

        return self.request.application_url + f"/static/themes/{theme_name(self.request)}/" + path
