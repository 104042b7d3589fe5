"""R36 on pages that hold something: a citizen's receipt and own files, the draft of the results, the mail
quarantine. tests/functional/test_access_matrix.py walks every route; these pages are asked with real data."""

from __future__ import annotations

from comments.permissions import Role
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF, post_comment


def test_the_receipt_its_copy_and_the_citizens_own_file_are_not_kept(client):
    consultation = make_consultation()
    sent = post_comment(client, consultation, name="千葉 花子", files=[("資料.pdf", PDF)])
    assert sent.status_code == 303
    receipt = sent.headers["Location"].rsplit("/", 1)[-1]
    for url in (f"/receipts/{receipt}", f"/receipts/{receipt}/copy.txt", f"/receipts/{receipt}/attachments/1"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_the_results_draft_and_the_mail_quarantine_are_not_kept(client):
    consultation = make_consultation()
    assert sign_in(client, make_user(Role.secretariat)).status_code == 303
    for url in (f"/staff/consultations/{consultation.id}/results", "/staff/mail"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
