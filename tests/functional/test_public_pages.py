"""The public pages: list, consultation, languages, headers (R02, R35, R55)."""

from datetime import UTC, datetime, timedelta

from comments.demo.seed import DEMO_SLUG, seed_demo
from comments.domain.audit import Actor
from comments.models import ConsultationStatus, MaterialKind
from comments.storage import blob_store
from tests.factories import make_consultation


def test_list_groups_consultations_and_hides_drafts(client):
    open_one = make_consultation(title="公開中の評価書")
    make_consultation(title="下書きの評価書", status=ConsultationStatus.draft)
    closed = make_consultation(
        title="締切済みの評価書",
        opens_at=datetime.now(UTC) - timedelta(days=60),
        closes_at=datetime.now(UTC) - timedelta(days=1),
    )
    page = client.get("/").get_data(as_text=True)
    assert open_one.title in page
    assert closed.title in page
    assert "下書きの評価書" not in page
    assert page.index(open_one.title) < page.index(closed.title)


def test_draft_consultation_is_not_found(client):
    draft = make_consultation(status=ConsultationStatus.draft)
    assert client.get(f"/consultations/{draft.slug}").status_code == 404
    assert client.get(f"/consultations/{draft.slug}/comment").status_code == 404


def test_consultation_page_has_period_sections_pdf_and_other_channels(client, app):
    consultation, created = seed_demo(blob_store(app), Actor("test"))
    assert created
    response = client.get(f"/consultations/{DEMO_SLUG}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "日本時間" in page  # R02: the closing instant says it is Japan time
    assert f'datetime="{consultation.closes_at.astimezone(UTC).isoformat()}"' in page
    for section in consultation.sections:
        assert f'href="#{section.anchor}"' in page
        assert f'id="{section.anchor}"' in page
    [pdf] = [material for material in consultation.public_materials if material.kind == MaterialKind.original]
    pdf_url = f"/consultations/{DEMO_SLUG}/materials/{pdf.id}"
    assert pdf_url in page
    download = client.get(pdf_url)
    assert download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment")
    # R55: the non-web channels are listed.
    assert app.config["SECRETARIAT_POSTAL_ADDRESS"] in page
    assert app.config["SECRETARIAT_EMAIL"] in page
    assert app.config["SECRETARIAT_FAX"] in page


def test_seed_demo_is_idempotent(app):
    store = blob_store(app)
    first, created = seed_demo(store, Actor("test"))
    again, created_again = seed_demo(store, Actor("test"))
    assert created
    assert not created_again
    assert first.id == again.id
    assert len(again.sections) == len(first.sections) >= 10


def test_japanese_by_default_and_english_on_request(client):
    consultation = make_consultation()
    page = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "日本時間" in page
    switched = client.get(f"/language/en?next=/consultations/{consultation.slug}")
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith(f"/consultations/{consultation.slug}")
    page = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Japan time" in page
    client.get("/language/ja")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] in ("/", "http://localhost/")
    assert client.get("/language/xx").status_code == 404


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Server" not in response.headers
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "browsing-topics=()"):
        assert feature in policy


def test_errors_are_pages_not_tracebacks(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
