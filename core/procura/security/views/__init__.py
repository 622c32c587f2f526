"""Web pages and API endpoints of identity and access (sign-in steps, profile security,
security settings); principals' own pages come from the type registry (``/t/user`` ...)."""
from __future__ import annotations


def includeme(config):
    add = config.add_route
    add("login_second_factor", "/login/second-factor")
    add("login_second_factor_setup", "/login/second-factor/setup")
    add("password_forgot", "/password/forgot")
    add("password_reset", "/password/reset/{token}")
    add("profile_security", "/profile/security")
    add("profile_security_action", "/profile/security/{action}")
    add("admin_security", "/admin/security")
    add("api_me_tokens", "/api/v1/me/tokens")
    add("api_me_token", "/api/v1/me/tokens/{id}")
    add("api_security_settings", "/api/v1/settings/security")
    add("admin_security_ldap_sync", "/admin/security/ldap-sync")
    config.include("procura.security.views.oidc")  # its routes; the scan below finds its views
    config.scan("procura.security.views")
    config.add_subscriber("procura.security.views.position_rules_changed", "procura.types.events.ObjectEvent")
    import procura.security.tasks  # noqa: F401 - registers the jobs


def position_rules_changed(event):
    """After a position rule changed, every user's rule-given teams and roles are recomputed (a job)."""
    if event.type_name != "position_rule":
        return
    from procura.security.tasks import reapply_position_rules

    reapply_position_rules.task.apply_async() if not _inline(event.registry) else _run_inline(event.registry)


def _inline(registry) -> bool:
    from procura.settings import as_bool

    return as_bool(registry.settings.get("procura.jobs.inline")) or as_bool(registry.settings.get("procura.testing"))


def _run_inline(registry):
    from procura.security.tasks import reapply_position_rules
    from procura.types.system import in_own_transaction

    in_own_transaction(registry, reapply_position_rules, note="position rules")
