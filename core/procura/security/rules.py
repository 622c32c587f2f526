"""Position rules: users are put into teams and given roles by their position.

A rule names a position (matched exactly, as a prefix or as a part, ignoring case and extra
spaces) and the teams and roles it gives. The user's ``auto_teams``/``auto_roles`` hold what the
matching rules give; they are recomputed whenever a user is written (their position may have
changed) and, for every user, after a rule is created, changed or deleted. Teams and roles an
administrator set by hand are never touched.
"""
from __future__ import annotations

import logging

from procura.types.content import container_for

log = logging.getLogger(__name__)


def _norm(text) -> str:
    return " ".join(str(text or "").split()).casefold()


def matches(rule, position: str) -> bool:
    if not getattr(rule, "active", True) or rule.deleted:
        return False
    wanted, have = _norm(rule.position), _norm(position)
    if not wanted or not have:
        return False
    kind = getattr(rule, "match", "exact")
    if kind == "contains":
        return wanted in have
    if kind == "starts":
        return have.startswith(wanted)
    return have == wanted


def rules_in(app_root) -> list:
    try:
        container = container_for(app_root, "position_rule")
    except KeyError:
        return []
    return [r for r in container.values() if not r.deleted]


def given_by_rules(rules, position) -> tuple[tuple, tuple]:
    teams, roles = set(), set()
    for rule in rules:
        if matches(rule, position):
            teams.update(getattr(rule, "teams", ()) or ())
            roles.update(getattr(rule, "roles", ()) or ())
    return tuple(sorted(teams)), tuple(sorted(roles))


def apply_position_rules(request, user, rules=None) -> bool:
    """Recompute ``user``'s teams and roles from the rules; True when they changed."""
    rules = rules_in(request.app_root) if rules is None else rules
    teams, roles = given_by_rules(rules, getattr(user, "position", None))
    changed = (tuple(getattr(user, "auto_teams", ()) or ()), tuple(getattr(user, "auto_roles", ()) or ())) != (
        teams, roles)
    if changed:
        user.auto_teams, user.auto_roles = teams, roles
    return changed


def reapply_all(request) -> int:
    """Apply the rules to every user (after a rule changed); returns how many users changed.

    Runs as a job (``procura.security.reapply_position_rules``): a rule change touches every
    user, which is no work for a web request.
    """
    rules = rules_in(request.app_root)
    users = container_for(request.app_root, "user")
    info = request.registry.procura_types["user"]
    changed = 0
    for user in users.values():
        if apply_position_rules(request, user, rules):
            users.index(user, info)
            changed += 1
    return changed
