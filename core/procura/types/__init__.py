"""The type registry: declare a business type once, get UI, REST API, catalog, search, audit, feed,
print and export. See ``registry.TypeInfo`` and ``fields``.
"""
from procura.types.registry import Operation, Status, Transition, TypeInfo, Workflow  # noqa: F401


def includeme(config):
    from procura.types.service import TypeService

    config.add_request_method(TypeService, "types", reify=True)
    config.include("procura.types.views")
