"""The notifications bell counts up in real Chromium, without a reload, when another user comments on
a record the signed-in user follows (htmx polls the bell fragment; every second in these tests)."""
from __future__ import annotations

import re

import pytest
from browserkit import assert_clean_console, sign_in, wait

pytestmark = pytest.mark.browser

ADMIN, ADMIN_PASSWORD = "admin", "admin-demo-2026"
BUYER, BUYER_PASSWORD = "buyer", "buyer-demo-2026"


def other_user_comments(base_url, type_name, obj_id, text):
    """The buyer, in a session of their own (not the browser's), comments through the REST API."""
    import requests

    session = requests.Session()
    page = session.get(base_url + "/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = session.post(base_url + "/login", data={"login": BUYER, "password": BUYER_PASSWORD,
                                                     "csrf_token": token, "submit": "submit"}, timeout=30)
    assert signed.ok, signed.status_code
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', session.get(base_url + "/", timeout=30).text)
    response = session.post(f"{base_url}/api/v1/{type_name}/{obj_id}/comments", json={"text": text},
                            headers={"X-CSRF-Token": csrf.group(1)}, timeout=30)
    assert response.status_code == 201, response.text[:500]


def test_the_bell_counts_a_new_comment_without_a_reload(browser):
    from selenium.webdriver.common.by import By

    sign_in(browser, ADMIN, ADMIN_PASSWORD)
    browser.get(browser.base_url + "/t/team/procurement")
    follow = browser.find_elements(By.CSS_SELECTOR, '[data-record-action="notify-subscribe"]')
    if follow:  # follow the record (a form posting with the CSRF token)
        follow[0].click()
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-record-action="notify-unsubscribe"]'),
             message="following the record did not take")
    browser.get(browser.base_url + "/")

    def count(driver):
        found = driver.find_elements(By.ID, "notify-count")
        return int(found[0].text) if found and found[0].text.isdigit() else 0

    before = count(browser)
    browser.execute_script("window.__notStale = 42;")  # gone if the page reloads
    other_user_comments(browser.base_url, "team", "procurement", "Бюджет на закупку согласован")
    wait(browser, lambda d: count(d) == before + 1, timeout=15, message="the bell did not count the comment")
    assert browser.execute_script("return window.__notStale;") == 42  # no reload
    browser.find_element(By.ID, "notify-bell").click()
    wait(browser, lambda d: d.find_elements(By.ID, "notification-list"), message="the notifications page")
    assert "Бюджет на закупку согласован" in browser.find_element(By.ID, "notification-list").text
    assert_clean_console(browser)
