"""No individual number is kept, whatever the channel and however it is written (番号法 §20, R14, R16, R66).

One test sends the two valid test numbers, each in every notation below, through every way into the
service: the web form's fields and its TXT, DOCX and PDF attachments; the committee portal's question
form and its upload of each kind; ``flask mail ingest`` with the numbers in the subject, the sender's
name, the text and attachments of each kind (and in their names); staff keying in post; and a staff
search for them. Then it reads every text column of every table (contact data opened with the key),
every file the test wrote to the blob store (a Word file's every XML part, a PDF's text, an e-mail's
headers and decoded parts), and every log record, and finds no valid individual number in any notation.
The detector is the masker's own ``find_individual_numbers``, whose notations the property tests in
tests/unit/test_masking.py pin down.
"""

from __future__ import annotations

import email
import io
import json
import logging
import zipfile
from email import policy
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from comments import clock
from comments.documents import pdf_every_text
from comments.domain.audit import Actor
from comments.domain.masking import find_individual_numbers
from comments.domain.search import terms_match_clause
from comments.extensions import db
from comments.models import InboundMessage, InboundStatus, SubmissionSearch, User
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.document_samples import docx_bytes, pdf_bytes
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in, sign_out
from tests.functional.helpers import post_comment

FIRST, SECOND = "621498320257", "123456789018"  # valid check digits (the test numbers)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
MATH_BOLD = str.maketrans("0123456789", "".join(chr(0x1D7CE + d) for d in range(10)))
KANJI = str.maketrans("0123456789", "〇一二三四五六七八九")


def notations(number: str) -> list[str]:
    """The number as people write it: the ways the issue saw missed, and the common ones."""
    a, b, c = number[:4], number[4:8], number[8:]
    return [
        number,
        f"{a}-{b}-{c}",
        f"{a} - {b} - {c}",
        f"{a}  {b}  {c}",
        f"{a}.{b}.{c}",
        f"{a}・{b}・{c}",
        f"{a}/{b}/{c}",
        f"{a}\n{b}\n{c}",
        f"{a}\u200b{b}\u200b{c}",
        " ".join(number),
        number.translate(FULL_WIDTH),
        f"{a}－{b}－{c}".translate(FULL_WIDTH),
        number.translate(ARABIC_INDIC),
        number.translate(MATH_BOLD),
        number.translate(KANJI),
        f"1 {number} 3月",
    ]


LINES = [f"私の個人番号は{written}です。" for number in (FIRST, SECOND) for written in notations(number)]
LINES.append(f"二人分です：{FIRST} {SECOND}")
TEXT = "\n".join(LINES)
SHORT = f"{FIRST[:4]}-{FIRST[4:8]}-{FIRST[8:]}"  # for fields too short for the whole text
CONTACT = "千葉市中央区千葉港1-1 " + "、".join(notations(SECOND))  # the field takes 500 characters


def found_in(text: str) -> list[str]:
    return [text[start:end] for start, end in find_individual_numbers(text)]


def word_file() -> bytes:
    """A Word file with the numbers in the body (split across runs), a table, a header, a footer, a comment
    and the document's properties."""

    def build(document):
        for line in LINES:
            document.add_paragraph(line)
        split = document.add_paragraph("分けて書いた番号：")
        runs = [split.add_run(FIRST[:3]), split.add_run(FIRST[3:7]), split.add_run(FIRST[7:])]
        runs[1].bold = True
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "番号"
        table.cell(0, 1).text = SHORT
        for group in (SECOND[:4], SECOND[4:8], SECOND[8:]):
            document.add_paragraph(group)
        section = document.sections[0]
        section.header.paragraphs[0].text = f"提出者番号 {SECOND}"
        section.footer.paragraphs[0].text = f"{FIRST.translate(FULL_WIDTH)}"
        document.add_comment(runs, text=f"確認：{SECOND}", author=f"作成者{FIRST}")
        document.core_properties.title = f"番号{FIRST}"
        document.core_properties.subject = SECOND

    return docx_bytes(build)


def pdf_file() -> bytes:
    return pdf_bytes([LINES[:12], LINES[12:]])


def attachments() -> list[tuple[str, bytes]]:
    return [
        (f"番号{FIRST}.txt", TEXT.encode("utf-8")),
        (f"{SECOND}の質問.docx", word_file()),
    ]


# --- what is read back -------------------------------------------------------------------------------


def texts_of_blob(data: bytes) -> list[str]:
    """Every text a stored file holds, as a person or a program reading it would see it."""
    if data.startswith(b"PK"):
        texts = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.endswith((".xml", ".rels")):
                    root = etree.fromstring(archive.read(name))
                    texts.append("".join(root.itertext()))
                    texts.append("\n".join(root.itertext()))
        return texts
    if data.startswith(b"%PDF"):
        return [pdf_every_text(data) or "", data.decode("latin-1")]
    decoded = data.decode("utf-8", errors="replace")
    if b"\nMIME-Version:" in data or data.startswith((b"From:", b"Received:", b"Return-Path:", b"MIME-Version")):
        message = email.message_from_bytes(data, policy=policy.default)
        texts = [decoded, *(str(value) for _name, value in message.items())]
        for part in message.walk():
            if part.is_multipart():
                continue
            texts.extend(texts_of_blob(part.get_payload(decode=True) or b""))
            if part.get_filename():
                texts.append(part.get_filename())
        return texts
    return [decoded]


def kind_of(data: bytes) -> str:
    if data.startswith(b"PK"):
        return "word"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "mail" if b"\nMIME-Version:" in data else "text"


def texts_of_every_table() -> list[tuple[str, str]]:
    """(table.column, value) for every text of every row of every table, read through the column types
    (contact data is opened with the key, as staff would see it)."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if isinstance(value, str):
                    values.append((f"{table.name}.{column}", value))
                elif isinstance(value, dict | list):
                    values.append((f"{table.name}.{column}", json.dumps(value, ensure_ascii=False)))
    return values


def files_in(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


# --- the channels ------------------------------------------------------------------------------------


def web_form(app, consultation) -> None:
    public = app.test_client()
    refused = post_comment(public, consultation, body=TEXT, email=f"{FIRST.translate(FULL_WIDTH)}@example.jp")
    assert refused.status_code == 422, "an e-mail address holding a number is refused, not masked"
    html = refused.get_data(as_text=True)
    assert 'href="#email"' in html and 'id="number-warning"' not in html, "with the form's errors, at once"
    pdf_refused = post_comment(
        public, consultation, body="意見", number_acknowledged="1", files=[("番号.pdf", pdf_file())]
    )
    assert pdf_refused.status_code == 422, "a PDF holding a number: the citizen is told and sends without it"
    warned = post_comment(public, consultation, body=TEXT, name=f"山田{SHORT}", contact=CONTACT)
    assert warned.status_code == 200 and 'id="number-warning"' in warned.get_data(as_text=True)
    sent = post_comment(
        public,
        consultation,
        body=TEXT,
        name=f"山田{SHORT}",
        email="yamada@example.jp",
        contact=CONTACT,
        number_acknowledged="1",
        files=attachments(),
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)[:3000]


def committee_portal(app, consultation) -> None:
    from tests.functional.test_committee_portal import confirm, send_question, upload

    client = app.test_client()
    member = make_user(Role.member)
    assert sign_in(client, member).status_code == 303
    assert send_question(client, consultation, **{"question-body": TEXT}).status_code == 303
    for name, data in [*attachments(), (f"資料{FIRST}.pdf", pdf_file())]:
        page = upload(client, consultation, name, data)
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
        html = page.get_data(as_text=True)
        assert not found_in(html), "the confirmation page shows the masked text"
        assert confirm(client, consultation, html).status_code == 303


def e_mail(app, consultation, tmp_path) -> None:
    from comments.domain.committee import rotate_intake_token
    from tests.functional.test_mail_intake import address, ingest, message

    member = make_user(Role.member, email="iin.bangou@example.jp")
    with app.app_context():
        rotate_intake_token(db.session.get(User, member.id), Actor("test"))
        db.session.commit()
    db.session.expire_all()
    member = db.session.get(User, member.id)
    pdf_name = f"{SECOND}.pdf"
    sent = message(
        sender=member.email,
        to=address(app, member),
        subject=f"質問（番号 {SHORT}）",
        body=TEXT,
        attachments=[
            (attachments()[0][0], attachments()[0][1], "text", "plain"),
            (attachments()[1][0], attachments()[1][1], "application", DOCX_SUBTYPE),
            (pdf_name, pdf_file(), "application", "pdf"),
            (f"カード{FIRST}.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image", "png"),
        ],
    )
    parsed = email.message_from_bytes(sent, policy=policy.default)
    parsed.replace_header("From", f"委員 {FIRST} <{member.email}>")
    raw = parsed.as_bytes()
    assert "accepted" in ingest(app, raw, tmp_path)
    quarantined = message(sender=f"{SECOND}@example.jp", to=address(app, member), subject=SHORT, body=TEXT)
    ingest(app, quarantined, tmp_path)
    db.session.expire_all()
    statuses = sorted(m.status for m in db.session.scalars(select(InboundMessage)))
    assert statuses == sorted([InboundStatus.accepted, InboundStatus.quarantined])


DOCX_SUBTYPE = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def paper(app, consultation) -> None:
    from tests.functional.test_paper_intake import enter

    client = app.test_client()
    assert sign_in(client, make_user(Role.secretariat)).status_code == 303
    today = clock.japan_today().isoformat()
    refused = enter(client, consultation, arrived_on=today, scans=[(io.BytesIO(pdf_file()), "scan.pdf")])
    assert refused.status_code == 422, "a PDF scan whose text holds a number is refused on staff entry"
    refused = enter(client, consultation, arrived_on=today, email=f"{SECOND}@example.jp", scans=[])
    assert refused.status_code == 422 and 'href="#email"' in refused.get_data(as_text=True)
    sent = enter(
        client,
        consultation,
        arrived_on=today,
        body=TEXT,
        name=f"郵便{SHORT}",
        contact=CONTACT,
        scans=[(io.BytesIO(data), name) for name, data in attachments()],
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)[:3000]
    inbox = f"/staff/consultations/{consultation.id}/inbox"
    for number in (FIRST, SECOND, SHORT):
        page = client.get(inbox).get_data(as_text=True)
        searched = client.post(inbox, data={"csrf_token": csrf_token_from(page), "q": number})
        assert searched.status_code == 303
        assert not found_in(searched.headers["Location"])
        assert not found_in(client.get(searched.headers["Location"]).get_data(as_text=True))
    sign_out(client)


def test_no_individual_number_is_kept_from_any_channel_in_any_notation(app, blob_root, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    assert len(LINES) == 33 and all(found_in(line) for line in LINES), "every notation is one the masker knows"
    consultation = make_consultation()
    db.session.commit()
    before = files_in(blob_root)

    web_form(app, consultation)
    committee_portal(app, consultation)
    e_mail(app, consultation, tmp_path)
    paper(app, consultation)
    from comments.domain.search import index_pending_submissions

    with app.app_context():
        index_pending_submissions(limit=1000)
        db.session.commit()
    db.session.expire_all()

    found = []
    for column, value in texts_of_every_table():
        found += [(column, number) for number in found_in(value)]
    written = files_in(blob_root) - before
    kinds = {kind_of(path.read_bytes()) for path in written}
    assert kinds == {"word", "mail", "text"}, "the channels wrote their files (a blob is kept once per content)"
    for path in written:
        for text in texts_of_blob(path.read_bytes()):
            found += [(f"blob {path.name}", number) for number in found_in(text)]
    for record in caplog.records:
        for text in (record.getMessage(), record.exc_text or ""):
            found += [(f"log {record.name}", number) for number in found_in(text)]
    assert found == []

    for number in (FIRST, SECOND):
        hits = db.session.scalars(select(SubmissionSearch.submission_id).where(terms_match_clause(number)))
        assert list(hits) == [], "the search index holds no number"
    masked_rows = db.session.scalars(select(SubmissionSearch.terms)).all()
    assert len(masked_rows) >= 6, "every submission was indexed (and so was looked at)"
    scan = app.test_cli_runner().invoke(args=["numbers", "scan"])
    assert scan.exit_code == 0 and "0 place(s) hold a number" in scan.output, scan.output


@pytest.mark.parametrize("notation", notations(FIRST) + notations(SECOND))
def test_every_notation_is_found_by_the_detector_the_test_reads_with(notation):
    assert found_in(f"番号は{notation}です")


def test_the_index_and_the_outbox_mask_what_reached_them_unmasked(app):
    """The search index and the outbox mask again: text kept before masking existed, or written by a
    path that forgot, never reaches them with a number."""
    from comments.domain.outbox import enqueue_mail
    from comments.models import OutboxMessage
    from tests.factories import make_mail, make_submission

    legacy = make_submission(make_consultation(), body=f"以前の意見 {SHORT} です")
    [terms] = db.session.scalars(
        select(SubmissionSearch.terms).where(SubmissionSearch.submission_id == legacy.id)
    ).all()
    assert "62" not in terms and "57" not in terms
    assert list(db.session.scalars(select(SubmissionSearch.submission_id).where(terms_match_clause(FIRST)))) == []

    make_mail(legacy, subject=f"件名 {FIRST}", body=f"本文 {SECOND.translate(FULL_WIDTH)}")
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert not found_in(mail.subject) and not found_in(mail.body_text)
    with app.app_context(), pytest.raises(ValueError, match="individual number"):
        enqueue_mail(to=f"{FIRST}@example.jp", subject="s", body="b")


def test_numbers_scan_finds_what_an_older_version_kept_and_never_prints_it(app, blob_root):
    """Data kept before this masker (factories write past the intake, as an older version did) is found
    by `flask numbers scan`, which names the places and never the numbers."""
    from comments.storage import blob_store
    from tests.factories import make_submission

    runner = app.test_cli_runner()
    clean = runner.invoke(args=["numbers", "scan"])
    assert clean.exit_code == 0 and "0 place(s) hold a number" in clean.output

    from comments.models import Attachment, Submitter

    consultation = make_consultation()
    old = make_submission(
        consultation, body=f"以前の意見 {SHORT} です", submitter=Submitter(name=f"旧{FIRST}", email="", contact="")
    )
    store = blob_store(app)
    files = [
        ("old.docx", word_file()),
        ("old.txt", f"番号 {SECOND.translate(FULL_WIDTH)}".encode()),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + FIRST.encode()),
    ]
    for position, (name, data) in enumerate(files, start=1):
        sha256, _created = store.put(data)
        old.attachments.append(
            Attachment(position=position, filename=name, content_type="x", size=len(data), sha256=sha256)
        )
    db.session.commit()

    result = runner.invoke(args=["numbers", "scan"])
    assert result.exit_code == 1
    assert f"number: submissions.body {old.id}: 1" in result.output
    assert "number: submitters.name" in result.output, "contact data is opened with the key and read"
    assert f"number: attachment of submission {old.id} 1:" in result.output
    assert f"number: attachment of submission {old.id} 2: 1" in result.output
    assert f"look by hand: attachment of submission {old.id} 3" in result.output
    assert not found_in(result.output), "the report names places, never the numbers"
