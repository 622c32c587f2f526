"""The "contracts" addon loads, contributes its menu entry and page, and is translated."""


def test_contracts_page_in_menu_and_translated(testapp, make_user, login):
    make_user("u1")
    login(testapp, "u1")
    home = testapp.get("/", headers={"Accept-Language": "en"})
    assert 'data-menu="contracts"' in home.text
    page = testapp.get("/contracts", headers={"Accept-Language": "en"})
    assert "Contracts" in page.text
    page_ru = testapp.get("/contracts?_LOCALE_=ru")
    assert "Договоры" in page_ru.text


def test_contracts_page_needs_sign_in(testapp):
    response = testapp.get("/contracts")
    assert response.status_int == 303
    assert "/login" in response.headers["Location"]
