"""The generic type UI in real headless Chromium, on the test-only type "gadget" (core/tests/sampletype.py).

- Kanban: drag a card to an allowed column (SortableJS, pointer events) and find it there after a
  reload; drag one to a column the transition matrix refuses and see the reason in a toast while the
  card goes back to its column.
- Screenshots of the list, detail, form and board at desktop and phone (360 px) sizes, with no
  sideways scrolling on the phone and a clean console (no script errors, no CSP violations).

The app runs on its own waitress server (FileStorage in a temporary folder) with the setting
``procura.extra_hooks = sampletype``; Chromium is started by this module (skipped without it, except
under ``CI=true``, through conftest's ``browser_available``).
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from browserkit import (
    DESKTOP,
    PHONE,
    assert_clean_console,
    console_problems,
    horizontal_overflow,
    screenshot,
    sign_in,
    unlabelled_inputs,
    wait,
)

pytestmark = pytest.mark.browser

CORE_TESTS = str(Path(__file__).resolve().parents[2] / "core" / "tests")
PASSWORD = "kanban-pass-2026"  # noqa: S105 - a test user's password


def _seed(app, db):
    """Users and gadgets in several statuses, created through the service like any other write."""
    from procura.testing import create_test_user
    from pyramid.request import Request
    from pyramid.scripting import prepare

    create_test_user(app.registry, "olga", PASSWORD, fullname="Кузнецова Ольга Игоревна",
                     email="olga@procura.example")

    request = Request.blank("/")
    env = prepare(request=request, registry=app.registry)
    try:
        request.tm.begin()
        request.session["userid"] = "olga"
        svc = request.types
        info = svc.info("gadget")
        rows = [
            ({"name": "Насос центробежный ЦНС-38", "quantity": 2, "price": {"amount": "184500.00", "currency": "RUB"},
              "size": "l", "due": "2026-03-20", "notes": "Для котельной №2.\nМонтаж силами подрядчика."}, []),
            ({"name": "Клапан обратный DN50", "quantity": 12, "price": {"amount": "3250.00", "currency": "RUB"},
              "size": "s", "urgent": True}, []),
            ({"name": "Server rack 42U", "quantity": 1, "price": {"amount": "1290.00", "currency": "EUR"},
              "size": "l"}, ["start"]),
            ({"name": "Кабель ВВГнг 3x2.5", "quantity": 500, "price": {"amount": "96.40", "currency": "RUB"},
              "size": "m"}, ["start"]),
            ({"name": "Перчатки рабочие", "quantity": 200, "price": {"amount": "45.00", "currency": "RUB"},
              "size": "m"}, ["start", "finish"]),
            ({"name": "Старый проектор", "quantity": 1}, [("drop", "Списан")]),
        ]
        for values, steps in rows:
            obj = svc.create(info, svc.validate_json(info, values))
            for step in steps:
                name, comment = step if isinstance(step, tuple) else (step, None)
                svc.transition(obj, name, comment=comment)
        first = next(iter(svc.container(info).values()))
        svc.update(first, {"quantity": 3})
        request.tm.commit()
    finally:
        env["closer"]()


@pytest.fixture(scope="module")
def gadget_server(tmp_path_factory, browser_available):
    from procura import make_app
    from procura.db import open_db
    from procura.testing import make_settings
    from waitress.server import create_server

    if CORE_TESTS not in sys.path:
        sys.path.insert(0, CORE_TESTS)
    tmp = tmp_path_factory.mktemp("procura-kanban")
    var = tmp / "var"
    (var / "blobs").mkdir(parents=True)
    settings = make_settings(tmp, **{
        "procura.zodb_uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
        "procura.default_locale": "en",
        "procura.extra_hooks": "sampletype",
    })
    db = open_db(settings["procura.zodb_uri"])
    app = make_app(settings, db=db)
    _seed(app, db)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="procura-kanban-test")
    thread = threading.Thread(target=server.run, name="procura-kanban-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown(timeout=5)
    for channel in list(server._map.values()):
        channel.close()
    thread.join(timeout=5)
    db.close()


@pytest.fixture(scope="module")
def chromium(browser_available):
    """A headless Chromium of this module (fresh profile, no network services, no downloads)."""
    import os
    import shutil
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = os.environ.get("PROCURA_CHROMIUM") or "/usr/bin/chromium"
    driver_path = os.environ.get("PROCURA_CHROMEDRIVER") or "/usr/bin/chromedriver"
    profile = tempfile.mkdtemp(prefix="procura-kanban-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--disable-default-apps", "--hide-scrollbars", "--lang=en-US", "--force-prefers-reduced-motion",
                f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def kbrowser(chromium, gadget_server):
    driver = chromium
    driver.set_window_size(*DESKTOP)
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get_log("browser")
    driver.base_url = gadget_server
    sign_in(driver, "olga", PASSWORD)
    yield driver
    driver.get_log("browser")


def column_ids(driver, status):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.kanban-list[data-status=\"' + arguments[0] + '\"] .kanban-card')).map(c => c.dataset.id);", status)


def card_by_title(driver, title):
    from selenium.webdriver.common.by import By

    for card in driver.find_elements(By.CSS_SELECTOR, ".kanban-card"):
        if card.find_element(By.CSS_SELECTOR, ".kanban-title").text == title:
            return card
    raise AssertionError(f"no card titled {title!r}")


def drag(driver, card, status):
    """Press on the card, move in small steps onto the target column's list and release (pointer events)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    target = driver.find_element(By.CSS_SELECTOR, f'.kanban-list[data-status="{status}"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", card)
    grip = card.find_element(By.CSS_SELECTOR, ".kanban-foot")
    actions = ActionChains(driver, duration=50)
    actions.move_to_element(grip).click_and_hold().pause(0.1)
    actions.move_by_offset(8, 8).pause(0.1).move_by_offset(8, 8).pause(0.1)
    actions.move_to_element(target).pause(0.15).move_by_offset(0, 10).pause(0.15).move_by_offset(0, 5).pause(0.15)
    actions.release().perform()


def toast_texts(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#toasts .toast')).map(t => t.textContent.trim());")


def test_kanban_drag_allowed_and_refused(kbrowser):
    driver = kbrowser
    driver.get(driver.base_url + "/t/gadget/kanban")
    wait(driver, lambda d: d.execute_script("return !!window.Sortable"), message="SortableJS did not load")
    card = card_by_title(driver, "Клапан обратный DN50")
    card_id = card.get_attribute("data-id")
    assert card_id in column_ids(driver, "new")

    # New -> Active is the transition "Start": allowed, saved, still there after a reload.
    drag(driver, card, "active")
    wait(driver, lambda d: any("Active" in t for t in toast_texts(d)), message="no success toast after the move")
    assert card_id in column_ids(driver, "active")
    driver.refresh()
    wait(driver, lambda d: d.find_elements("css selector", ".kanban-card"))
    assert card_id in column_ids(driver, "active") and card_id not in column_ids(driver, "new")
    counts = driver.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('.kanban-column'))"
        ".map(c => [c.dataset.status, c.querySelector('[data-count]').textContent.trim()]));")
    assert counts == {"new": "1", "active": "3", "done": "1", "dropped": "1"}, counts

    # New -> Done is not in the matrix: refused, explained, and the card goes back to "New".
    card = card_by_title(driver, "Насос центробежный ЦНС-38")
    card_id = card.get_attribute("data-id")
    drag(driver, card, "done")
    wait(driver, lambda d: any("cannot move from" in t for t in toast_texts(d)),
         message="the refusal reason was not shown")
    reason = next(t for t in toast_texts(driver) if "cannot move from" in t)
    assert "New" in reason and "Done" in reason
    wait(driver, lambda d: card_id in column_ids(d, "new"), message="the refused card did not go back")
    assert card_id not in column_ids(driver, "done")
    driver.refresh()
    assert card_id in column_ids(driver, "new")
    # The refused move's 409 is the expected answer; Chromium logs every 4xx response as an error.
    problems = [p for p in console_problems(driver) if not ("/move" in p and "status of 409" in p)]
    assert not problems, problems


PAGES = [
    ("list", "/t/gadget"),
    ("detail", None),
    ("form", "/t/gadget/new"),
    ("kanban", "/t/gadget/kanban"),
]


def test_screenshots_desktop_and_phone(kbrowser, screenshot_dir):
    from selenium.webdriver.common.by import By

    driver = kbrowser
    driver.get(driver.base_url + "/t/gadget?sort=title")
    detail = driver.find_element(By.CSS_SELECTOR, "a.record-link").get_attribute("href")
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        driver.set_window_size(*size)
        for name, path in PAGES:
            driver.get(detail if path is None else driver.base_url + path)
            wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
            if size_name == "phone":
                assert horizontal_overflow(driver) == 0, f"{name} scrolls sideways at 360 px"
            assert unlabelled_inputs(driver) == [], name
            screenshot(driver, screenshot_dir, f"types-{name}-{size_name}")
        # a form with inline errors
        driver.get(driver.base_url + "/t/gadget/new")
        driver.find_element(By.CSS_SELECTOR, "input[name=quantity]").send_keys("-5")
        driver.find_element(By.CSS_SELECTOR, "input[name=contact]").send_keys("not-an-email")
        driver.find_element(By.CSS_SELECTOR, "button[name=save]").click()
        wait(driver, lambda d: d.find_elements(By.ID, "form-errors"))
        screenshot(driver, screenshot_dir, f"types-form-errors-{size_name}")
    assert_clean_console(driver)
