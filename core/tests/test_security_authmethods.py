"""Pluggable authentication: an addon adds a sign-in method through ``procura_auth_methods``."""
import pytest


@pytest.mark.parametrize("procura_overrides", [{"procura.extra_hooks": "authmethod_hooks"}])
@pytest.mark.parametrize(("locale", "title"), [("en", "Magic link"), ("ru", "Magic link")])
def test_an_addon_adds_a_sign_in_method(testapp, procura_overrides, locale, title):
    page = testapp.get(f"/login?_LOCALE_={locale}")
    button = page.html.find("a", href="/magic/start")
    assert button is not None and title in button.get_text()
    assert page.html.find("form", id="login-form") is not None  # the password form stays


def test_without_methods_only_the_password_form(testapp):
    page = testapp.get("/login")
    assert page.html.find(class_="auth-methods") is None
