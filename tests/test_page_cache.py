"""Pages that are the same for everyone are rendered once per process; pages with a token never are."""

import re

from booking.public import views


def test_the_info_page_is_rendered_once_per_language(app, client, monkeypatch):
    renders = []
    real = views.render_template
    monkeypatch.setattr(views, "render_template", lambda *a, **k: renders.append(a[0]) or real(*a, **k))
    english = [client.get("/").get_data(as_text=True) for _ in range(3)]
    spanish = [client.get("/es/").get_data(as_text=True) for _ in range(3)]
    assert renders == ["public/dry_needling.html", "public/dry_needling.html"]  # once in each language
    assert len(set(english)) == 1 and len(set(spanish)) == 1 and english[0] != spanish[0]
    assert 'lang="en"' in english[0] and 'lang="es"' in spanish[0]


def test_a_page_with_a_token_is_never_served_from_memory(client):
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    first = token.search(client.get("/consultation").get_data(as_text=True)).group(1)
    other = client.application.test_client()
    second = token.search(other.get("/consultation").get_data(as_text=True)).group(1)
    assert first != second
