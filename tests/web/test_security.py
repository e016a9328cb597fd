"""Headers, cache policy and Dutch error pages on candidate and staff pages."""


def test_every_page_has_the_security_headers_and_no_store(client, world):
    for url in ("/", "/beheer/aanmelden", "/bestaat-niet"):
        resp = client.get(url)
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
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


def test_a_form_posted_over_https_by_a_browser_passes_csrf(make_app, world):
    """Over HTTPS Flask-WTF also wants a same-origin Referer; the Referrer-Policy must let the
    browser send it (with "no-referrer" every staff form failed as "verlopen")."""
    import re

    from delivery_support import PASSWORD

    from toetsbatterij.web.security import HEADERS

    app = make_app()  # CSRF on; the test client speaks https (PREFERRED_URL_SCHEME)
    client = app.test_client()
    page = client.get("/beheer/aanmelden")
    assert page.request.scheme == "https"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "email": "proctor@antwerpen.test", "password": PASSWORD}
    assert HEADERS["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    without = client.post("/beheer/aanmelden", data=data)
    assert without.status_code == 400  # no Referer: what "no-referrer" made every browser do
    sent = client.post("/beheer/aanmelden", data=data,
                       headers={"Referer": "https://localhost/beheer/aanmelden"})
    assert sent.status_code == 302
