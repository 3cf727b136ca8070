def test_login_page_renders_in_french(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Amiable" in page.get_data(as_text=True)
