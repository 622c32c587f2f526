"""A real `pip install` of an addon folder into an installation that has only the core.

A fresh virtual environment (the same base interpreter as .venv) gets the third-party packages
from .venv through a site directory of symlinks (everything except Procura's own distributions),
so nothing is downloaded: pip runs with --no-index. The core and then kb_addon are installed
non-editable from copies of their source folders (so the build leaves no build/ or *.egg-info in
the checkout); `procura addons`, a WebTest app and the addon's own tests, run inside that
environment, show the result.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

APP_SCRIPT = textwrap.dedent('''\
    import sys

    import transaction
    from webtest import TestApp

    import procura
    from procura import make_app
    from procura.content import APP_KEY
    from procura.testing import create_test_user
    from procura.settings import resolve

    settings = resolve({"procura.var_dir": sys.argv[1], "procura.zodb_uri": "memory://",
                        "procura.testing": "true", "procura.default_locale": "en"})
    app = make_app(settings)
    create_test_user(app.registry, "anna", "pip-test-pass")

    browser = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    form = browser.get("/login").forms["login-form"]
    form["login"], form["password"] = "anna", "pip-test-pass"
    assert form.submit("submit").status_int == 303
    kb = browser.get("/kb")
    print("PROCURA", procura.__file__)
    print("ADDONS", ",".join(a.name for a in app.registry.procura_addons))
    print("KB", kb.status_int, 'data-addon="kb"' in kb.text, 'data-menu="kb"' in kb.text)
    print("SUPPLIERS", browser.get("/suppliers", status="*").status_int)
    ''')


def is_procura_entry(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(("procura", "__editable__")) or lowered == "__pycache__"


def make_deps_dir(target: Path) -> Path:
    """Symlinks to every entry of this environment's site-packages except Procura's own."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    for entry in site_packages.iterdir():
        if not is_procura_entry(entry.name):
            (target / entry.name).symlink_to(entry)
    return target


def copy_source(src: Path, dest: Path, *parts: str) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", "tests")
    dest.mkdir(parents=True)
    for part in parts:
        path = src / part
        if path.is_dir():
            shutil.copytree(path, dest / part, ignore=ignore)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / part)
    return dest


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PROCURA_", "PYTHON", "PIP_", "VIRTUAL_ENV", "CHAMELEON_"))}
    clean.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
                 PIP_CONFIG_FILE=os.devnull, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1",
                 PROCURA_VAR_DIR=str(tmp_path / "var"))
    return clean


def run(args, env, cwd, timeout=120):
    result = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def test_pip_install_of_one_addon_into_a_core_installation(tmp_path, env):
    venv = tmp_path / "venv"
    run([sys._base_executable, "-m", "venv", "--without-pip", venv], env, tmp_path)
    python = venv / "bin" / "python"
    venv_site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         env, tmp_path).stdout.strip())
    deps = make_deps_dir(tmp_path / "deps")
    (venv_site / "procura-test-deps.pth").write_text(f"import site; site.addsitedir({str(deps)!r})\n")
    pip = [python, "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation", "--no-cache-dir",
           "--quiet"]

    # Nothing of Procura yet: the environment really lacks it.
    probe = subprocess.run([python, "-c", "import procura"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'procura'" in probe.stderr

    core_src = copy_source(REPO, tmp_path / "src" / "core", "setup.py", "README.md", "core/procura", "themes")
    run(pip + [core_src], env, tmp_path)
    procura_cmd = venv / "bin" / "procura"
    assert procura_cmd.exists()
    listing = run([procura_cmd, "addons"], env, tmp_path)
    assert listing.stdout.strip() == "No addons installed (core only)."

    kb_src = copy_source(REPO / "kb_addon", tmp_path / "src" / "kb_addon", "setup.py", "procura_kb")
    run(pip + [kb_src], env, tmp_path)
    listing = run([procura_cmd, "addons"], env, tmp_path)
    rows = [line.split() for line in listing.stdout.splitlines()[1:]]
    assert rows == [["1", "kb", "0.1.0", "enabled", "-", "procura-kb"]], listing.stdout

    script = tmp_path / "serve_kb.py"
    script.write_text(APP_SCRIPT)
    out = run([python, script, tmp_path / "var"], env, tmp_path).stdout
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["PROCURA"].startswith(str(venv_site)), "the core must be the installed copy, not the checkout"
    assert lines["ADDONS"] == "kb"
    assert lines["KB"] == "200 True True"
    assert lines["SUPPLIERS"] == "404"
    # The installed addon brought its translations and templates along (package data).
    assert list((venv_site / "procura_kb" / "locale").glob("ru/LC_MESSAGES/procura_kb.mo"))
    assert (venv_site / "procura" / "templates" / "home.pt").exists()

    # The addon's own tests pass against the installed core, with the core's pytest plugin
    # (run from a folder holding only the tests, so procura_kb is the installed copy).
    shutil.copytree(REPO / "kb_addon" / "tests", tmp_path / "kb_tests" / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], env, tmp_path / "kb_tests")
    assert " passed" in result.stdout and "failed" not in result.stdout
