"""The "portal" addon loads, contributes its menu entry and page, and is translated."""


def test_portal_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="portal"' in home.text
    page = testapp.get("/portal", headers={"Accept-Language": "en"})
    assert "Portals" in page.text
    page_ru = testapp.get("/portal?_LOCALE_=ru")
    assert "Порталы" in page_ru.text


def test_portal_page_needs_sign_in(testapp):
    response = testapp.get("/portal")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
