"""Helpers the browser tests share (a module of its own: test files import it, not the conftest)."""
from __future__ import annotations

from pathlib import Path

WAIT = 10  # seconds any single browser step may take
DESKTOP = (1366, 800)
PHONE = (360, 740)


def console_problems(driver) -> list[str]:
    """JavaScript errors, failed loads and Content-Security-Policy violations logged since the last call."""
    problems = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        csp = "Content Security Policy" in message or "Content-Security-Policy" in message
        if entry.get("level") == "SEVERE" or csp:
            problems.append(f"{entry.get('level')}: {message}")
    return problems


def assert_clean_console(driver):
    problems = console_problems(driver)
    assert not problems, "Browser console:\n" + "\n".join(problems)


def wait(driver, condition, timeout=WAIT, message=""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition, message)


def sign_in(driver, login, password):
    from selenium.webdriver.common.by import By

    driver.get(driver.base_url + "/login")
    form = driver.find_element(By.ID, "login-form")
    form.find_element(By.NAME, "login").send_keys(login)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.ID, "user-menu") or d.find_elements(By.ID, "login-error"),
         message="neither the signed-in layout nor a sign-in error appeared")


def html_lang(driver) -> str:
    return driver.execute_script("return document.documentElement.lang")


def horizontal_overflow(driver) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return driver.execute_script(
        "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


UNLABELLED_INPUTS_JS = """
const out = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
  const byFor = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
  const label = byFor || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  const text = byFor ? byFor.textContent.trim() : 'x';
  if (!label || !text) out.push(el.outerHTML.slice(0, 200));
}
return out;
"""


def unlabelled_inputs(driver) -> list[str]:
    return driver.execute_script(UNLABELLED_INPUTS_JS)


def screenshot(driver, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
