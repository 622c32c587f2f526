def test_login_and_home(testapp, make_user, login):
    make_user("anna", roles=["admin"], fullname="Анна Иванова")
    page = testapp.get("/")
    assert page.status_int == 303
    page = testapp.get("/login")
    assert "Sign in" in page.text
    login(testapp, "anna")
    home = testapp.get("/")
    assert "Анна Иванова" in home.text
