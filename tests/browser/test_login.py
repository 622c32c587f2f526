"""Sign-in, the home page, the language switch and sign-out in real headless Chromium."""
from __future__ import annotations

import pytest
from browserkit import (
    assert_clean_console,
    console_problems,
    html_lang,
    screenshot,
    sign_in,
    unlabelled_inputs,
    wait,
)

pytestmark = pytest.mark.browser

ADMIN, ADMIN_PASSWORD, ADMIN_NAME = "admin", "admin-demo-2026", "Соколова Марина Викторовна"
# Checked in core/procura/locale/ru/LC_MESSAGES/procura.po.
HOME = {"en": "Home", "ru": "Главная"}
SIGN_OUT = {"en": "Sign out", "ru": "Выйти"}


def _by():
    from selenium.webdriver.common.by import By

    return By


def choose_language(driver, code):
    """Open the language menu of the top bar and pick ``code``, the way a user does."""
    By = _by()
    driver.find_element(By.ID, "lang-menu").click()
    item = wait(driver, lambda d: next(
        (e for e in d.find_elements(By.CSS_SELECTOR, f'[aria-labelledby="lang-menu"] [data-lang="{code}"]')
         if e.is_displayed()), None), message="the language menu did not open")
    item.click()
    wait(driver, lambda d: html_lang(d) == code, message=f"<html lang> did not become {code}")


def test_login_page_renders(browser):
    By = _by()
    browser.get(browser.base_url + "/login")
    assert html_lang(browser) == "en"
    assert "Procura" in browser.title
    form = browser.find_element(By.ID, "login-form")
    assert form.find_element(By.NAME, "login").is_displayed()
    assert form.find_element(By.NAME, "password").get_attribute("type") == "password"
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert button.text == "Sign in"
    # The button spans the form, as on every sign-in card.
    field = form.find_element(By.NAME, "login")
    assert abs(button.size["width"] - field.size["width"]) <= 2
    assert unlabelled_inputs(browser) == []
    assert [e.get_attribute("data-lang") for e in browser.find_elements(By.CSS_SELECTOR, ".lang-switch [data-lang]")] \
        == ["ru", "en"]
    assert_clean_console(browser)


def test_sign_in_switch_language_and_sign_out(browser, screenshot_dir):
    By = _by()
    sign_in(browser, ADMIN, ADMIN_PASSWORD)
    welcome = browser.find_element(By.ID, "welcome")
    assert ADMIN_NAME in welcome.text
    assert browser.find_element(By.CSS_SELECTOR, "#user-menu .user-name").text == ADMIN_NAME
    assert browser.find_element(By.CSS_SELECTOR, ".page-title").text == HOME["en"]
    assert browser.find_element(By.CSS_SELECTOR, '#sidebar [data-menu="home"]').get_attribute("aria-current") == "page"
    assert_clean_console(browser)
    screenshot(browser, screenshot_dir, "home-desktop")

    choose_language(browser, "ru")
    assert browser.find_element(By.CSS_SELECTOR, ".page-title").text == HOME["ru"]
    assert browser.find_element(By.ID, "logout-button").get_attribute("textContent").strip() == SIGN_OUT["ru"]
    assert ADMIN_NAME in browser.find_element(By.ID, "welcome").text
    assert_clean_console(browser)

    choose_language(browser, "en")  # also restores the demo user's stored preference
    assert browser.find_element(By.CSS_SELECTOR, ".page-title").text == HOME["en"]
    assert browser.find_element(By.ID, "logout-button").get_attribute("textContent").strip() == SIGN_OUT["en"]

    browser.find_element(By.ID, "user-menu").click()
    logout = wait(browser, lambda d: d.find_element(By.ID, "logout-button").is_displayed()
                  and d.find_element(By.ID, "logout-button"), message="the user menu did not open")
    logout.click()
    wait(browser, lambda d: d.find_elements(By.ID, "login-form"), message="sign-out did not lead to the sign-in page")
    assert "/login" in browser.current_url
    browser.get(browser.base_url + "/")
    assert browser.find_elements(By.ID, "login-form"), "the home page is still open after signing out"
    assert_clean_console(browser)


def test_wrong_password_is_refused(browser):
    By = _by()
    sign_in(browser, ADMIN, "not-the-password")
    error = browser.find_element(By.ID, "login-error")
    assert error.get_attribute("role") == "alert"
    assert "Wrong login or password" in error.text
    assert browser.find_element(By.NAME, "login").get_attribute("value") == ADMIN
    assert not browser.find_elements(By.ID, "user-menu")
    assert_clean_console(browser)


def test_profile_form_and_saved_toast(browser):
    By = _by()
    sign_in(browser, ADMIN, ADMIN_PASSWORD)
    browser.find_element(By.ID, "user-menu").click()
    wait(browser, lambda d: d.find_element(By.ID, "profile-link").is_displayed())
    browser.find_element(By.ID, "profile-link").click()
    form = wait(browser, lambda d: d.find_element(By.ID, "profile-form"))
    assert unlabelled_inputs(browser) == []
    assert form.find_element(By.NAME, "last").get_attribute("value") == ADMIN_NAME.split()[0]
    assert form.find_element(By.NAME, "first").get_attribute("value") == ADMIN_NAME.split()[1]
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    toast = wait(browser, lambda d: next((t for t in d.find_elements(By.CSS_SELECTOR, "#toasts .toast")
                                          if t.is_displayed()), None), message="no toast after saving the profile")
    assert toast.get_attribute("role") == "status"
    assert "Profile saved." in toast.text
    toast.find_element(By.CSS_SELECTOR, "[data-bs-dismiss=toast]").click()
    wait(browser, lambda d: not toast.is_displayed(), message="the toast did not close")
    assert_clean_console(browser)


def test_console_check_sees_csp_violations(browser):
    """The console check is not blind: an inline script without the nonce is refused and reported."""
    browser.get(browser.base_url + "/login")
    browser.get_log("browser")
    browser.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__inline = 1;';"
        "document.head.appendChild(s);")
    assert browser.execute_script("return window.__inline === undefined")
    problems = wait(browser, lambda d: console_problems(d), timeout=5, message="no CSP report in the console")
    assert any("Content Security Policy" in p for p in problems), problems
