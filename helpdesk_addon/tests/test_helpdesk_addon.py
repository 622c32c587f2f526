"""The "helpdesk" addon loads, contributes its menu entry and page, and is translated."""


def test_helpdesk_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="helpdesk"' in home.text
    page = testapp.get("/helpdesk", headers={"Accept-Language": "en"})
    assert "Service desk" in page.text
    page_ru = testapp.get("/helpdesk?_LOCALE_=ru")
    assert "Сервис-деск" in page_ru.text


def test_helpdesk_page_needs_sign_in(testapp):
    response = testapp.get("/helpdesk")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
