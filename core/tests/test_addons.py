"""The addon loader: dependency order, refusals with clear messages, disabling, discovery.

``resolve()`` is tested with ``Addon`` objects directly; discovery is tested on fake addon
distributions (tests/fixtures/fake_addons.py) in this process and through ``procura addons`` in a
subprocess, the way an administrator meets them.
"""
from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from procura.addons import Addon, AddonError, disabled_names, discover, resolve

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
PROCURA = Path(sys.executable).with_name("procura")


def _load_fake_addons():
    spec = importlib.util.spec_from_file_location("procura_fake_addons", FIXTURES / "fake_addons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake = _load_fake_addons()


def addon(name, *depends):
    return Addon(name=name, title=name.title(), version="1.0", depends=list(depends), package=f"pkg_{name}")


def addons(*items):
    return {a.name: a for a in items}


def names(order):
    return [a.name for a in order]


# ---------------------------------------------------------------- resolve(): ordering


def test_dependencies_come_first_and_ties_are_broken_by_name():
    items = [addon("contracts", "suppliers"), addon("portal", "suppliers"), addon("kb"),
             addon("suppliers"), addon("courier"), addon("tenders", "contracts", "kb")]
    expected = ["courier", "kb", "suppliers", "contracts", "portal", "tenders"]
    assert names(resolve(addons(*items))) == expected
    # The same order whatever order the distributions were discovered in.
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(items)
        assert names(resolve(addons(*items))) == expected


def test_independent_addons_load_alphabetically():
    assert names(resolve(addons(addon("zeta"), addon("alpha"), addon("mid")))) == ["alpha", "mid", "zeta"]


def test_a_dependency_loads_before_an_alphabetically_earlier_dependent():
    # "a" sorts first but needs "z": the graph wins over the name.
    assert names(resolve(addons(addon("a", "z"), addon("z"), addon("m")))) == ["m", "z", "a"]


def test_empty_set_resolves_to_nothing():
    assert resolve({}) == []


# ---------------------------------------------------------------- resolve(): refusals


def test_missing_dependency_names_both_addons():
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("contracts", "suppliers"), addon("kb")))
    message = str(err.value)
    assert "'contracts'" in message and "'suppliers'" in message
    assert "not installed" in message
    assert "'kb'" not in message


def test_every_missing_dependency_is_reported_at_once():
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("contracts", "suppliers"), addon("bpm", "workflow")))
    message = str(err.value)
    for name in ("contracts", "suppliers", "bpm", "workflow"):
        assert f"'{name}'" in message


def test_disabled_dependency_names_both_addons():
    available = addons(addon("contracts", "suppliers"), addon("suppliers"))
    with pytest.raises(AddonError) as err:
        resolve(available, {"suppliers"})
    message = str(err.value)
    assert "'contracts'" in message and "'suppliers'" in message
    assert "disabled" in message
    assert "not installed" not in message


def test_disabling_the_dependent_as_well_is_fine():
    available = addons(addon("contracts", "suppliers"), addon("suppliers"), addon("kb"))
    assert names(resolve(available, {"suppliers", "contracts"})) == ["kb"]


def test_two_addon_cycle_shows_the_path():
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("b", "a"), addon("a", "b")))
    assert "cycle" in str(err.value)
    assert "a -> b -> a" in str(err.value)


def test_three_addon_cycle_shows_the_whole_path():
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("a", "b"), addon("b", "c"), addon("c", "a"), addon("free")))
    assert "a -> b -> c -> a" in str(err.value)
    assert "free" not in str(err.value)


def test_cycle_path_leaves_out_addons_that_merely_depend_on_the_cycle():
    # "aa" sorts before the cycle's members and depends on it; it is not part of the path.
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("aa", "b"), addon("b", "c"), addon("c", "b")))
    message = str(err.value)
    assert "b -> c -> b" in message
    assert "aa" not in message


def test_self_dependency_is_a_cycle():
    with pytest.raises(AddonError) as err:
        resolve(addons(addon("loop", "loop")))
    assert "loop -> loop" in str(err.value)


# ---------------------------------------------------------------- the disabling setting


def test_disabled_setting_lists_names():
    available = addons(addon("kb"), addon("helpdesk"), addon("courier"))
    assert disabled_names({"procura.addons.disabled": "kb, helpdesk"}, available) == {"kb", "helpdesk"}
    assert disabled_names({"procura.addons.disabled": ""}, available) == set()
    assert disabled_names({}, available) == set()
    assert names(resolve(available, disabled_names({"procura.addons.disabled": "kb,helpdesk"}, available))) == [
        "courier"
    ]


def test_star_disables_every_addon():
    available = addons(addon("contracts", "suppliers"), addon("suppliers"), addon("kb"))
    disabled = disabled_names({"procura.addons.disabled": "*"}, available)
    assert disabled == {"contracts", "suppliers", "kb"}
    assert resolve(available, disabled) == []


# ---------------------------------------------------------------- discovery (in this process)


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A folder on sys.path for fake addon distributions; their modules are forgotten afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("fk_")]:
        del sys.modules[name]


def test_discover_finds_fake_distributions(fake_site):
    fake.build_set(fake_site, "good")
    found = discover()
    for name, depends in fake.SETS["good"]:
        assert found[name].depends == depends
        assert found[name].package == name
    assert found["fk_mid"].distribution == "procura-fake-fk-mid"
    fake_names = {n: a for n, a in found.items() if n.startswith("fk_")}
    assert names(resolve(fake_names)) == fake.GOOD_ORDER


def test_entry_point_name_must_equal_manifest_name(fake_site):
    fake.write_addon(fake_site, "fk_named", entry_name="fk_other")
    with pytest.raises(AddonError) as err:
        discover()
    message = str(err.value)
    assert "'fk_other'" in message and "'fk_named'" in message
    assert "procura-fake-fk-named" in message
    assert "must be equal" in message


def test_manifest_missing_keys_is_refused(fake_site):
    fake.write_addon(fake_site, "fk_nokeys", manifest="ADDON = {'name': 'fk_nokeys', 'title': 'No keys'}")
    with pytest.raises(AddonError) as err:
        discover()
    message = str(err.value)
    assert "'fk_nokeys'" in message
    assert "no valid ADDON manifest" in message
    assert "version" in message and "depends" in message


def test_package_without_manifest_is_refused(fake_site):
    fake.write_addon(fake_site, "fk_bare", manifest="TITLE = 'no manifest here'")
    with pytest.raises(AddonError, match="'fk_bare'.*no valid ADDON manifest"):
        discover()


def test_addon_that_cannot_be_imported_is_refused_with_its_origin(fake_site):
    fake.write_addon(fake_site, "fk_broken", manifest="import fk_no_such_module  # noqa")
    with pytest.raises(AddonError) as err:
        discover()
    message = str(err.value)
    assert "'fk_broken'" in message and "cannot be imported" in message
    assert "fk_no_such_module" in message


# ---------------------------------------------------------------- `procura addons` (subprocess)


def run_addons(site: Path, cwd: Path, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURA_")}
    env.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", PROCURA_VAR_DIR=str(cwd / "var"),
               NO_COLOR="1", **env_extra)
    return subprocess.run([str(PROCURA), "addons"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def assert_one_error_line(result, *needles):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_cli_missing_dependency_is_one_clear_line(tmp_path):
    site = fake.build_set(tmp_path / "site", "missing")
    result = run_addons(site, tmp_path)
    line = assert_one_error_line(result, "'fk_orphan'", "'fk_nowhere'", "not installed")
    assert "procura.addons.disabled" in line  # says how to get going again


def test_cli_cycle_is_one_clear_line_with_the_path(tmp_path):
    site = fake.build_set(tmp_path / "site", "cycle")
    result = run_addons(site, tmp_path)
    assert_one_error_line(result, "cycle", "fk_cyc_a -> fk_cyc_b -> fk_cyc_a")


def test_cli_disabled_dependency_is_one_clear_line(tmp_path):
    site = fake.build_set(tmp_path / "site", "good")
    result = run_addons(site, tmp_path, PROCURA_ADDONS_DISABLED="fk_base")
    assert_one_error_line(result, "'fk_mid'", "'fk_alpha'", "'fk_base'", "disabled")


def _rows(stdout):
    """{addon name: (position or '-', state)} from the table `procura addons` prints."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        cols = line.split()
        rows[cols[1]] = (cols[0], cols[3])
    return rows


def test_cli_lists_a_good_set_in_load_order(tmp_path):
    site = fake.build_set(tmp_path / "site", "good")
    result = run_addons(site, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, *lines = result.stdout.splitlines()
    assert "addon" in header and "state" in header
    listed = [line.split()[1] for line in lines]
    assert [n for n in listed if n.startswith("fk_")] == fake.GOOD_ORDER
    rows = _rows(result.stdout)
    positions = [int(rows[n][0]) for n in fake.GOOD_ORDER]
    assert positions == sorted(positions)
    assert all(rows[n][1] == "enabled" for n in fake.GOOD_ORDER)
    top = next(line for line in lines if line.split()[1] == "fk_top")
    assert "fk_mid, fk_zeta" in top and "procura-fake-fk-top" in top


def test_cli_shows_disabled_addons(tmp_path):
    site = fake.build_set(tmp_path / "site", "good")
    result = run_addons(site, tmp_path, PROCURA_ADDONS_DISABLED="fk_top, fk_zeta")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows["fk_top"] == ("-", "disabled")
    assert rows["fk_zeta"] == ("-", "disabled")
    assert all(rows[n][1] == "enabled" for n in ("fk_base", "fk_alpha", "fk_mid"))
    # Disabled addons are listed after every enabled one.
    listed = [line.split()[1] for line in result.stdout.splitlines()[1:]]
    assert listed.index("fk_top") > max(listed.index(n) for n, (_p, s) in rows.items() if s == "enabled")


def test_cli_star_disables_everything(tmp_path):
    site = fake.build_set(tmp_path / "site", "good")
    result = run_addons(site, tmp_path, PROCURA_ADDONS_DISABLED="*")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert set(fake.GOOD_ORDER) <= set(rows)
    assert {state for _pos, state in rows.values()} == {"disabled"}


def test_a_broken_addon_stops_start_up_unless_it_is_disabled(tmp_path):
    site = fake.build_set(tmp_path / "site", "good")
    fake.write_addon(site, "fk_broken", manifest="import no_such_module_anywhere  # noqa")
    enabled = run_addons(site, tmp_path)
    assert_one_error_line(enabled, "'fk_broken'", "cannot be imported", "no_such_module_anywhere")
    disabled = run_addons(site, tmp_path, PROCURA_ADDONS_DISABLED="fk_broken")
    assert disabled.returncode == 0, disabled.stderr
    rows = _rows(disabled.stdout)
    assert rows["fk_broken"] == ("-", "broken")
    assert all(rows[n][1] == "enabled" for n in fake.GOOD_ORDER)
