"""Uploads are checked by extension and content signature, and stored by hash (R38-R40)."""

import codecs
import io
import zipfile

import pytest

from comments.domain import DomainError
from comments.domain.uploads import check_upload, sanitise_filename
from comments.storage import LocalBlobStore

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def docx_bytes(extra_members=0, inflated=0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>" + " " * inflated)
        for i in range(extra_members):
            archive.writestr(f"word/media/{i}.xml", "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("意見.pdf", PDF),
        ("scan.PNG", PNG),
        ("photo.jpg", JPEG),
        ("photo.jpeg", JPEG),
        ("memo.txt", "意見".encode()),
        ("意見書.docx", docx_bytes()),
    ],
)
def test_allowed_files_pass(name, data):
    checked = check_upload(name, data, max_bytes=1024 * 1024)
    assert checked.data == data
    assert checked.filename == name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.jpg.php", JPEG),  # double extension
        ("evil.php%00.jpg", JPEG),  # encoded NUL
        ("evil.php\x00.jpg", JPEG),
        ("fake.pdf", b"<html><script>alert(1)</script>"),  # wrong magic
        ("fake.png", PDF),
        ("fake.docx", PDF),
        ("notzip.docx", b"PK\x03\x04garbage"),
        ("binary.txt", b"\x00\x01\x02"),
        ("utf16-binary.txt", codecs.BOM_UTF16_LE + b"\x00\x00\x01\x00"),  # a NUL character, in UTF-16
        ("no-encoding.txt", b"abc\x81 def"),  # neither UTF-8 nor Shift_JIS (0x81 starts a pair) nor EUC-JP
        ("archive.zip", docx_bytes()),
        ("page.html", b"<html></html>"),
        ("noext", PDF),
        ("empty.pdf", b""),
    ],
)
def test_bad_files_are_refused_with_the_allowed_types(name, data):
    with pytest.raises(DomainError) as raised:
        check_upload(name, data, max_bytes=1024 * 1024)
    message = str(raised.value.message)
    assert message


JAPANESE_TEXT = "市の計画案について意見を述べます。\r\n第２条の「ﾃｽﾄ」は削除してください。"


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(JAPANESE_TEXT.encode("cp932"), id="Shift_JIS (CP932)"),
        pytest.param(JAPANESE_TEXT.encode("euc_jp"), id="EUC-JP"),
        pytest.param(codecs.BOM_UTF16_LE + JAPANESE_TEXT.encode("utf-16-le"), id="UTF-16 little-endian"),
        pytest.param(codecs.BOM_UTF16_BE + JAPANESE_TEXT.encode("utf-16-be"), id="UTF-16 big-endian"),
    ],
)
def test_japanese_text_files_are_accepted_and_kept_in_utf8(encoded):
    checked = check_upload("意見.txt", encoded, max_bytes=1024 * 1024)
    assert checked.data == JAPANESE_TEXT.encode("utf-8")
    assert checked.content_type == "text/plain; charset=utf-8"


@pytest.mark.parametrize("encoded", [JAPANESE_TEXT.encode(), codecs.BOM_UTF8 + JAPANESE_TEXT.encode()])
def test_utf8_text_files_are_kept_byte_for_byte(encoded):
    assert check_upload("意見.txt", encoded, max_bytes=1024 * 1024).data == encoded


def test_wrong_type_message_lists_allowed_types():
    with pytest.raises(DomainError) as raised:
        check_upload("a.exe", b"MZ", max_bytes=100)
    assert "PDF, DOCX, TXT, PNG, JPEG" in str(raised.value.message)


def test_oversized_and_bomb_like_files_are_refused():
    with pytest.raises(DomainError):
        check_upload("big.pdf", PDF + b" " * 2048, max_bytes=1024)
    with pytest.raises(DomainError):
        check_upload("many.docx", docx_bytes(extra_members=2100), max_bytes=10 * 1024 * 1024)
    with pytest.raises(DomainError):
        check_upload("bomb.docx", docx_bytes(inflated=60 * 1024 * 1024), max_bytes=10 * 1024 * 1024)


def test_filenames_lose_paths_and_control_characters():
    assert sanitise_filename("../../etc/passwd.txt") == "passwd.txt"
    assert sanitise_filename("C:\\Users\\x\\意見.pdf") == "意見.pdf"
    assert sanitise_filename("a\r\nb.pdf") == "a b.pdf"
    assert len(sanitise_filename("あ" * 300 + ".pdf")) == 200
    assert sanitise_filename("...") == "file"


def test_blob_store_keeps_by_hash_and_reports_new_files(tmp_path):
    store = LocalBlobStore(tmp_path)
    sha, created = store.put(b"hello")
    assert created
    assert store.path_for(sha).read_bytes() == b"hello"
    assert store.put(b"hello") == (sha, False)
    assert not list(tmp_path.rglob(".incoming-*"))
    store.delete(sha)
    assert not store.path_for(sha).exists()
    with pytest.raises(ValueError, match="SHA-256"):
        store.path_for("../../etc/passwd")
