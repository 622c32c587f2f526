"""The "suppliers" addon loads, contributes its menu entry and page, and is translated."""


def test_suppliers_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="suppliers"' in home.text
    page = testapp.get("/suppliers", headers={"Accept-Language": "en"})
    assert "Suppliers and purchasing" in page.text
    page_ru = testapp.get("/suppliers?_LOCALE_=ru")
    assert "Поставщики и закупки" in page_ru.text


def test_suppliers_page_needs_sign_in(testapp):
    response = testapp.get("/suppliers")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
