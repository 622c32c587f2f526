"""Core views: sign-in, home, language switch, profile, system status, errors."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("language", "/language/{code}")
    config.add_route("profile", "/profile")
    config.add_route("admin_status", "/admin/status")
    config.add_route("healthz", "/healthz")
    config.scan("procura.views")
