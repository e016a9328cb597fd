"""Headers, cache policy and Dutch error pages on candidate and staff pages."""


def test_every_page_has_the_security_headers_and_no_store(client, world):
    for url in ("/", "/beheer/aanmelden", "/bestaat-niet"):
        resp = client.get(url)
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"


def test_dutch_error_pages_and_json_errors(client, world):
    page = client.get("/bestaat-niet")
    assert page.status_code == 404 and "Niet gevonden" in page.get_data(as_text=True)
    assert '<html lang="nl">' in page.get_data(as_text=True)
    api = client.get("/toets/status.json")
    assert api.status_code == 401 and api.is_json and "aan" in api.json["error"]


def test_method_not_allowed_is_dutch(client, world):
    resp = client.get("/toets/antwoord")
    assert resp.status_code == 405 and "niet toegestaan" in resp.get_data(as_text=True)
