"""The "kb" addon loads, contributes its menu entry and page, and is translated."""


def test_kb_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="kb"' in home.text
    page = testapp.get("/kb", headers={"Accept-Language": "en"})
    assert "Knowledge base" in page.text
    page_ru = testapp.get("/kb?_LOCALE_=ru")
    assert "База знаний" in page_ru.text


def test_kb_page_needs_sign_in(testapp):
    response = testapp.get("/kb")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
