"""A phone-sized window (360 x 740): no sideways scrolling, a working navigation toggle, labelled inputs.

Also saves screenshots of the sign-in and home pages at desktop and phone sizes (see conftest).
"""
from __future__ import annotations

import pytest
from browserkit import (
    DESKTOP,
    PHONE,
    assert_clean_console,
    horizontal_overflow,
    screenshot,
    sign_in,
    unlabelled_inputs,
    wait,
)

pytestmark = pytest.mark.browser

SIDEBAR_STATE_JS = """
const nav = document.getElementById('sidebar'), r = nav.getBoundingClientRect();
const style = getComputedStyle(nav);
return {visible: style.visibility === 'visible' && r.right > 0 && r.left >= 0 && r.width > 0,
        moving: nav.getAnimations().length > 0,
        expanded: document.getElementById('nav-toggle').getAttribute('aria-expanded'),
        backdrop: !document.getElementById('sidebar-backdrop').hidden};
"""


def sidebar(driver):
    return wait(driver, lambda d: (lambda s: None if s["moving"] else s)(d.execute_script(SIDEBAR_STATE_JS)))


def test_phone_layout(browser, screenshot_dir):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(browser.base_url + "/login")
    screenshot(browser, screenshot_dir, "login-desktop")
    browser.set_window_size(*PHONE)
    assert browser.execute_script("return window.innerWidth") <= PHONE[0]
    browser.get(browser.base_url + "/login")
    assert horizontal_overflow(browser) == 0
    assert unlabelled_inputs(browser) == []
    screenshot(browser, screenshot_dir, "login-phone")

    sign_in(browser, "buyer", "buyer-demo-2026")
    assert browser.find_element(By.ID, "welcome").is_displayed()
    assert horizontal_overflow(browser) == 0
    assert unlabelled_inputs(browser) == []

    # The navigation is closed on a phone; the toggle opens it over the content and closes it again.
    toggle = browser.find_element(By.ID, "nav-toggle")
    state = sidebar(browser)
    assert not state["visible"] and state["expanded"] == "false" and not state["backdrop"], state
    screenshot(browser, screenshot_dir, "home-phone")
    toggle.click()
    state = sidebar(browser)
    assert state["visible"] and state["expanded"] == "true" and state["backdrop"], state
    assert browser.find_element(By.CSS_SELECTOR, '#sidebar [data-menu="home"]').is_displayed()
    assert horizontal_overflow(browser) == 0
    screenshot(browser, screenshot_dir, "home-phone-nav")
    toggle.click()
    state = sidebar(browser)
    assert not state["visible"] and state["expanded"] == "false" and not state["backdrop"], state
    # Escape and a tap beside the open navigation close it too.
    toggle.click()
    assert sidebar(browser)["visible"]
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not sidebar(browser)["visible"]
    toggle.click()
    assert sidebar(browser)["visible"]
    backdrop = browser.find_element(By.ID, "sidebar-backdrop")
    ActionChains(browser).move_to_element_with_offset(backdrop, backdrop.size["width"] // 2 - 20, 0).click().perform()
    assert not sidebar(browser)["visible"]

    browser.get(browser.base_url + "/profile")
    assert horizontal_overflow(browser) == 0
    assert unlabelled_inputs(browser) == []
    assert_clean_console(browser)

    # Back at desktop size the navigation is a column beside the content, collapsible to icons.
    browser.set_window_size(*DESKTOP)
    browser.get(browser.base_url + "/")
    screenshot(browser, screenshot_dir, "home-desktop-buyer")
    state = sidebar(browser)
    assert state["visible"] and state["expanded"] == "true", state
    label = browser.find_element(By.CSS_SELECTOR, '#sidebar [data-menu="home"] .nav-label')
    assert label.is_displayed()
    browser.find_element(By.ID, "nav-toggle").click()
    wait(browser, lambda d: not label.is_displayed(), message="the navigation did not collapse to icons")
    assert browser.find_element(By.ID, "nav-toggle").get_attribute("aria-expanded") == "false"
    browser.refresh()  # the choice is remembered
    assert browser.find_element(By.ID, "nav-toggle").get_attribute("aria-expanded") == "false"
    browser.find_element(By.ID, "nav-toggle").click()
    assert browser.find_element(By.CSS_SELECTOR, '#sidebar [data-menu="home"] .nav-label').is_displayed()
    assert_clean_console(browser)
