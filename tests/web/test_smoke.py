from delivery_support import login_staff


def test_health_and_security_headers(client):
    resp = client.get("/gezondheid")
    assert resp.status_code == 200
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_staff_login_and_dashboard(client, world):
    login_staff(client, world.a, "proctor")
    resp = client.get("/beheer/")
    assert resp.status_code == 200
    assert world.a["session_code"] in resp.get_data(as_text=True)
    assert world.b["session_code"] not in resp.get_data(as_text=True)
