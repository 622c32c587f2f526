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
