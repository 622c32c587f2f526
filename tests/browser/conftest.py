"""Browser tests: the real application served by waitress on a free port, driven by headless Chromium.

The server runs in a thread of the test process on an embedded FileStorage in a temporary var
folder, with the demo data loaded exactly as ``procura demo`` loads it. One Chromium serves the
whole session; each test starts signed out with an empty cookie jar.

Chromium and chromedriver are looked up at ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``
(override with ``PROCURA_CHROMIUM`` / ``PROCURA_CHROMEDRIVER``). When they (or selenium) are
missing the tests skip with a message saying so, except under ``CI=true``, where they fail.
Screenshots go to ``PROCURA_SCREENSHOT_DIR`` when set, else to a pytest temporary folder.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from browserkit import DESKTOP

CHROMIUM = os.environ.get("PROCURA_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("PROCURA_CHROMEDRIVER") or "/usr/bin/chromedriver"


def _executable(path: str) -> str | None:
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _missing_browser() -> str | None:
    problems = []
    if _executable(CHROMIUM) is None:
        problems.append(f"Chromium ({CHROMIUM})")
    if _executable(CHROMEDRIVER) is None:
        problems.append(f"chromedriver ({CHROMEDRIVER})")
    try:
        import selenium  # noqa: F401
    except ImportError:
        problems.append("the Python package selenium (pip install -e '.[test]')")
    if not problems:
        return None
    return ("browser tests need headless Chromium; not found: " + "; ".join(problems)
            + ". On Debian: apt-get install chromium chromium-driver (or set PROCURA_CHROMIUM / PROCURA_CHROMEDRIVER)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="session")
def browser_available():
    problem = _missing_browser()
    if problem:
        if _in_ci():
            pytest.fail(f"CI=true, so this is a failure, not a skip: {problem}", pytrace=False)
        pytest.skip(problem[0].upper() + problem[1:])
    return True


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the real app (waitress, FileStorage, demo data) on 127.0.0.1 and a free port."""
    from procura import make_app
    from procura.db import open_db
    from procura.demo import load_demo_data
    from procura.testing import make_settings
    from waitress.server import create_server

    tmp = tmp_path_factory.mktemp("procura-browser")
    var = tmp / "var"
    (var / "blobs").mkdir(parents=True)
    settings = make_settings(tmp, **{
        "procura.zodb_uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
        "procura.default_locale": "en",
        "procura.notify.poll_seconds": "1",  # the bell asks every second (test_notifications_bell)
    })
    db = open_db(settings["procura.zodb_uri"])
    app = make_app(settings, db=db)
    registry = app.registry
    load_demo_data(registry)  # what `procura demo` does

    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="procura-test")
    thread = threading.Thread(target=server.run, name="procura-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    # Stop waitress: its loop ends once no channel is left (closing only the listener leaves it polling).
    server.task_dispatcher.shutdown(timeout=5)
    for channel in list(server._map.values()):
        channel.close()
    thread.join(timeout=5)
    db.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("PROCURA_SCREENSHOT_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def _start_chromium(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _executable(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--disable-default-apps", "--hide-scrollbars", "--lang=en-US",
                # Bootstrap scrolls smoothly unless the user asks for less motion, and chromedriver
                # clicks before a smooth scroll ends ("element click intercepted"): ask for less motion.
                "--force-prefers-reduced-motion",
                f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    service = Service(executable_path=_executable(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def _chromium_starting(browser_available):
    """Chromium starting in the background (while ``live_server`` builds the app and its data)."""
    profile = tempfile.mkdtemp(prefix="procura-chromium-")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="procura-chromium")
    future = pool.submit(_start_chromium, profile)
    pool.shutdown(wait=False)
    yield future
    try:
        future.result().quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(_chromium_starting, live_server):
    """The session's Chromium, signed out, at desktop size, with an empty console log."""
    driver = _chromium_starting.result(timeout=60)
    driver.set_window_size(*DESKTOP)
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": live_server, "storageTypes": "local_storage"})
    driver.get_log("browser")  # drop what earlier tests left
    driver.base_url = live_server
    yield driver
    driver.get_log("browser")
