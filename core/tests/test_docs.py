"""The docs that must stay true: hooks reference, settings table, demo sign-ins."""
import inspect
import re
import runpy
from pathlib import Path

from procura import hookspecs
from procura.corehooks import DEMO_USERS
from procura.settings import SETTINGS, env_name

ROOT = Path(__file__).resolve().parents[2]


def spec_names():
    return [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("procura_")]


def test_every_hookspec_is_documented_and_the_reference_is_current():
    doc = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    missing = [name for name in spec_names() if f"### `{name}(" not in doc]
    assert not missing, f"hooks missing from docs/hooks.md: {missing}"
    tool = runpy.run_path(str(ROOT / "tools" / "hooks_doc.py"))
    assert tool["render"](doc) == doc, "docs/hooks.md is stale: run .venv/bin/python tools/hooks_doc.py"


def test_the_permissions_reference_is_current():
    doc = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    tool = runpy.run_path(str(ROOT / "tools" / "permissions_doc.py"))
    assert tool["reference"]() == doc, "docs/permissions.md is stale: run .venv/bin/python tools/permissions_doc.py"
    assert "`procura.export`" in doc and "`procura.read-user`" in doc


def test_every_hookspec_has_a_docstring_and_types():
    for name in spec_names():
        fn = getattr(hookspecs, name)
        assert (fn.__doc__ or "").strip(), f"{name} has no docstring"
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name}) has no type"


def test_readme_documents_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{s.key}` |")), None)
        assert row, f"setting {s.key} missing from the README configuration table"
        assert f"`{env_name(s.key)}`" in row
        assert (f"`{s.default}`" in row) if s.default else ("| empty |" in row)


def test_readme_lists_the_demo_sign_ins():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for login, password, *_rest in DEMO_USERS:
        assert re.search(rf"\| `{login}` \| `{re.escape(password)}` \|", readme), login


def test_readme_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run: ", makefile, re.M) and re.search(r"^test: ", makefile, re.M)
