"""The information page, the privacy notice, error pages and response headers."""

import re

import pytest

from booking import security


def page_text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_info_page_carries_the_seed_facts_and_the_call_to_action(client):
    response = client.get("/")
    assert response.status_code == 200
    text = page_text(response).lower()
    for fact in [
        "trigger points", "acupuncture", "traditional chinese medicine", "blood", "inflammation",
        "collagen", "endorphins", "hyaluronic acid", "stiff", "tendinopath", "tight and tender muscles",
        "hip", "shoulder", "lower back pain", "plantar fasciitis", "within 1 to 2 days", "exercise", "movement",
    ]:
        assert fact in text, fact
    html = response.get_data(as_text=True)
    assert html.count('href="/consultation"') >= 2  # navigation plus at least one call to action
    assert "Request a consultation" in html


def test_info_page_covers_safety_faq_contact_and_emergencies(client):
    text = page_text(client.get("/")).lower()
    for topic in ["what to expect", "sore", "bruis", "blood thinners", "pregnan", "pacemaker",
                  "emergency", "911", "(555) 010-0199", "120 juniper street", "monday to friday"]:
        assert topic in text, topic
    assert "<details>" in client.get("/").get_data(as_text=True)


def test_clinic_details_come_from_configuration(make_app):
    app = make_app(CLINIC_NAME="Juniper PT Eastside", CLINIC_PHONE="+44 20 7946 0000",
                   CLINIC_ADDRESS=["1 High Street", "London"], CLINIC_HOURS=["Weekdays 9 to 5"])
    html = app.test_client().get("/").get_data(as_text=True)
    assert "Juniper PT Eastside" in html and "1 High Street" in html and "Weekdays 9 to 5" in html
    assert 'href="tel:+442079460000"' in html


def test_privacy_notice_has_its_own_page(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    text = page_text(response).lower()
    assert "privacy notice" in text and "delete" in text and "no health details" in text


def test_info_page_is_small_and_needs_few_requests(client):
    """Under 30 kB in at most 4 requests: the page plus what it links to that a browser fetches."""
    page = client.get("/")
    html = page.get_data(as_text=True)
    # rel="alternate" names the page in other languages: a browser does not fetch it.
    assets = re.findall(r'<link(?![^>]*rel="alternate")[^>]+href="([^"]+)"', html)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', html)
    assets += re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert 1 + len(assets) <= 4
    total = len(page.data) + sum(len(client.get(url).data) for url in assets)
    assert total < 30_000, total


def test_static_assets_are_served(client):
    assert client.get("/static/site.css").status_code == 200
    assert client.get("/static/favicon.svg").status_code == 200


@pytest.mark.parametrize("path", ["/", "/consultation", "/privacy", "/nope"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # only in production, behind HTTPS


POLICY = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Permissions-Policy",
          "Referrer-Policy", "X-Request-ID")


@pytest.mark.parametrize("path", ["/", "/consultation", "/es/privacy", "/nope"])
def test_each_security_header_is_sent_once_also_from_memory(client, path):
    for response in (client.get(path), client.get(path)):  # the second "/" and "/es/privacy" come from memory
        assert [name for name in POLICY if len(response.headers.getlist(name)) != 1] == []


@pytest.fixture
def faulty_app(make_app):
    """The app with one view at /boom that fails unexpectedly, its fault answered as in production."""
    app = make_app(TESTING=True)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    return app


def test_the_500_page_and_a_redirect_carry_the_security_headers_too(faulty_app):
    client = faulty_app.test_client()
    for response, status in ((client.get("/boom"), 500), (client.get("/staff"), 302)):
        assert response.status_code == status
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]


def test_a_view_may_tighten_the_referrer_policy_but_not_replace_the_others(make_app):
    app = make_app(TESTING=True)

    @app.get("/own-headers")
    def own_headers():
        return "x", 200, {"Content-Security-Policy": "default-src *", "X-Frame-Options": "ALLOWALL",
                          "Referrer-Policy": "no-referrer"}

    headers = app.test_client().get("/own-headers").headers
    assert headers.getlist("Content-Security-Policy") == [security.CONTENT_SECURITY_POLICY]
    assert headers.getlist("X-Frame-Options") == ["DENY"]
    assert headers.getlist("Referrer-Policy") == ["no-referrer"]


def test_no_inline_script_or_style_anywhere(client):
    for path in ["/", "/consultation", "/privacy"]:
        html = client.get(path).get_data(as_text=True)
        # A JSON-LD data block (the clinic for search engines) is never run, so CSP's script-src has no say on it.
        html = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", html)
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert re.search(r"\son[a-z]+=", html) is None


@pytest.mark.parametrize(
    "method, path, status, words",
    [
        ("GET", "/no-such-page", 404, "Page not found"),
        ("DELETE", "/consultation", 405, "That action is not available here"),
        ("PUT", "/", 405, "That action is not available here"),
        ("POST", "/privacy", 405, "That action is not available here"),
    ],
)
def test_our_own_error_pages(client, method, path, status, words):
    response = client.open(path, method=method)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert words in html and "(555) 010-0199" in html
    assert "Traceback" not in html and "Werkzeug" not in html


def test_unexpected_fault_shows_our_500_page_without_a_traceback(faulty_app):
    response = faulty_app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_a_post_without_its_csrf_token_gets_our_400_page(client):
    response = client.post("/staff/logout")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Something went wrong with that request" in html and "Traceback" not in html


def test_a_garbled_form_body_never_reaches_a_500(client):
    # A form body whose encoding cannot be parsed.
    response = client.post("/consultation", data=b"\xff\xfe=\x00", content_type="multipart/form-data; boundary=x")
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.get_data(as_text=True)


def test_health_check_answers_ok_while_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "oldest_undelivered_email_seconds": 0}


def test_health_check_says_503_when_the_database_is_gone(tmp_path):
    from booking import create_app

    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no-such-folder/booking.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unavailable"
