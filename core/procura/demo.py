"""Demo data: what ``procura demo`` loads (the core's, then every enabled addon's)."""
from __future__ import annotations

from collections.abc import Callable


def load_demo_data(registry, echo: Callable[[str], None] = lambda line: None) -> None:
    """Run ``procura_demo_data`` of the core and of every enabled addon, in dependency order, each
    in a transaction of its own with a system request (records go through the write path)."""
    from procura.types.system import in_own_transaction

    for name in ["procura"] + [a.name for a in registry.procura_addons]:
        echo(f"Demo data: {name}")

        def load(request, name=name):
            request.pm.hook.procura_demo_data(root=request.app_root, addon=name, request=request,
                                              echo=lambda line: echo("  " + line))

        in_own_transaction(registry, load, note=f"procura demo {name}", attempts=1)
