"""A second test-only type for core/tests/test_search.py: "memo", declared ``searchable=False``, so
that the search types setting has something to include or leave out. Registered through the
setting procura.extra_hooks = sampletype,search_hooks."""
from procura import hookimpl
from procura.i18n import _
from procura.types import TypeInfo
from procura.types import fields as f

MEMO = TypeInfo(name="memo", title=_("Memo"), plural=_("Memos"), searchable=False,
                fields=[f.String("subject", _("Subject"), required=True, searchable=True)],
                default_roles={"create": ["user"], "read": ["user"], "edit": ["user"], "delete": ["user"]})


@hookimpl
def procura_register_types():
    return [MEMO]
