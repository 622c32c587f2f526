"""The "courier" addon loads, contributes its menu entry and page, and is translated."""


def test_courier_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="courier"' in home.text
    page = testapp.get("/courier", headers={"Accept-Language": "en"})
    assert "Courier delivery" in page.text
    page_ru = testapp.get("/courier?_LOCALE_=ru")
    assert "Курьерская доставка" in page_ru.text


def test_courier_page_needs_sign_in(testapp):
    response = testapp.get("/courier")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
