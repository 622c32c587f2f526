"""Jobs of identity and access."""
from __future__ import annotations

from procura.jobs import job


@job("procura.security.reapply_position_rules")
def reapply_position_rules(request) -> int:
    """Recompute every user's rule-given teams and roles (after a position rule changed)."""
    from procura.security.rules import reapply_all

    return reapply_all(request)


@job("procura.security.poll_telegram_links")
def poll_telegram_links(request) -> int:
    """Link the Telegram chats of users who sent their /start code (every minute, when a bot is set)."""
    from procura.security.telegram_link import poll_links

    return poll_links(request)


@job("procura.security.ldap_sync")
def ldap_sync(request, force: bool = False):
    """Synchronise users and groups from the directory (LDAP / Active Directory).

    Beat starts it every minute; unless ``force`` it does something only when LDAP is set and
    ``procura.ldap.sync_interval`` minutes have passed since the last run. Returns the summary."""
    from procura.security.directory import run_sync

    return run_sync(request, force=force)
