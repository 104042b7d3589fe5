"""The two blob stores keep one contract (comments/storage.py): a folder on this host, and a bucket of an
S3-compatible store, here moto's server over real HTTP on 127.0.0.1 (tests/s3_server.py)."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta

import pytest

from comments import storage
from comments.storage import BlobStoreError, LocalBlobStore, S3BlobStore

pytestmark = pytest.mark.database_independent

NOT_STORED = "0" * 64


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return request.getfixturevalue("s3_bucket").store()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_keeps_the_bytes_once_under_their_sha256(store):
    data = os.urandom(1000)
    assert not store.exists(sha(data))
    assert store.stat(sha(data)) is None
    assert store.put(data) == (sha(data), True)
    assert store.put(data) == (sha(data), False), "the same bytes are not written twice"
    assert store.exists(sha(data))
    assert store.read(sha(data)) == data
    with store.open(sha(data)) as handle:
        assert handle.read(10) == data[:10]
        assert handle.read() == data[10:]
    found = store.stat(sha(data))
    assert (found.sha256, found.size) == (sha(data), 1000)
    assert found.modified.utcoffset() == timedelta(0)


def test_an_empty_file_is_a_blob_like_any_other(store):
    assert store.put(b"") == (sha(b""), True)
    assert store.read(sha(b"")) == b""
    assert store.stat(sha(b"")).size == 0


def test_what_is_not_stored_cannot_be_opened_and_deleting_it_is_harmless(store):
    with pytest.raises(FileNotFoundError):
        store.open(NOT_STORED)
    with pytest.raises(FileNotFoundError):
        store.read(NOT_STORED)
    store.delete(NOT_STORED)
    assert not store.exists(NOT_STORED)


def test_delete_removes_the_blob_and_a_put_writes_it_again(store):
    data = os.urandom(100)
    store.put(data)
    store.delete(sha(data))
    assert not store.exists(sha(data))
    with pytest.raises(FileNotFoundError):
        store.read(sha(data))
    assert store.put(data) == (sha(data), True)
    assert store.read(sha(data)) == data


def test_the_list_names_every_blob_with_its_size_and_time(store):
    files = [os.urandom(size) for size in (1, 10, 1000)]
    for data in files:
        store.put(data)
    listed = {blob.sha256: blob for blob in store.list_blobs()}
    assert {digest: blob.size for digest, blob in listed.items()} == {sha(data): len(data) for data in files}
    for blob in listed.values():
        assert blob.modified == store.stat(blob.sha256).modified


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 64, "0" * 63, "g" * 64, ""])
def test_a_name_that_is_not_a_sha256_is_refused_before_the_store_is_asked(store, name):
    for method in (store.open, store.stat, store.exists, store.delete):
        with pytest.raises(ValueError, match="SHA-256"):
            method(name)


def test_storing_old_bytes_again_renews_them_for_the_collector(store, frozen_clock):
    """A blob a request stores again must look young to `flask blobs gc`, or it could be removed between the
    request's put and its commit; renewed only when older than REFRESH_AFTER, not at every put."""
    data = os.urandom(100)
    store.put(data)
    written = store.stat(sha(data)).modified
    frozen_clock.set(written + storage.REFRESH_AFTER - timedelta(seconds=5))
    assert store.put(data) == (sha(data), False)
    assert renewed_at(store, sha(data), written) is None, "young: not renewed"
    later = (written + timedelta(days=2)).replace(microsecond=0)  # exact as a file's float timestamp
    frozen_clock.set(later)
    assert store.put(data) == (sha(data), False)
    assert renewed_at(store, sha(data), written) == later
    assert store.read(sha(data)) == data


def renewed_at(store, digest: str, written: datetime) -> datetime | None:
    """When the blob written at ``written`` was renewed, None if it was not. A file's modification time is
    set from the service's clock; S3 stamps an object's time from its own clock, so the copy that renews
    an object says when in its metadata."""
    if isinstance(store, LocalBlobStore):
        modified = store.stat(digest).modified
        return None if modified == written else modified
    head = store.client.head_object(Bucket=store.bucket, Key=store.key_for(digest))
    renewed = head.get("Metadata", {}).get("renewed-at")
    return datetime.fromisoformat(renewed) if renewed else None


def test_the_local_list_leaves_out_a_write_under_way_and_anything_else(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest, _ = store.put(b"kept")
    folder = store.path_for(digest).parent
    (folder / ".incoming-abc").write_bytes(b"half written")
    (folder / ("f" * 64)).write_bytes(b"in the wrong folder")
    (tmp_path / "README").write_text("not a blob")
    assert [blob.sha256 for blob in store.list_blobs()] == [digest]


def test_an_empty_or_missing_folder_lists_nothing(tmp_path):
    assert list(LocalBlobStore(tmp_path / "not yet made").list_blobs()) == []


def test_keys_are_the_prefix_and_the_sha256_and_other_keys_are_not_blobs(s3_bucket):
    store = s3_bucket.store()
    digest, _ = store.put(b"flyer")
    client = s3_bucket.client()
    for key in ("blobs/README", f"blobs/{digest}", f"elsewhere/{digest[:2]}/{digest}", f"blobs/zz/{digest}"):
        client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"not a blob")
    assert f"blobs/{digest[:2]}/{digest}" in s3_bucket.object_keys()
    assert [blob.sha256 for blob in store.list_blobs()] == [digest]


def test_the_list_of_a_bucket_goes_through_every_page(s3_bucket, monkeypatch):
    """list_objects_v2 answers 1000 keys a page at most; here 2, so that 5 blobs take 3 pages."""
    store = s3_bucket.store()
    monkeypatch.setattr(store, "list_page_size", 2)
    pages = []
    store.client.meta.events.register("after-call.s3.ListObjectsV2", lambda **_: pages.append(1))
    digests = {store.put(str(number).encode())[0] for number in range(5)}
    assert {blob.sha256 for blob in store.list_blobs()} == digests
    assert len(pages) == 3


def test_a_large_object_is_read_into_a_temporary_file(s3_bucket, monkeypatch):
    monkeypatch.setattr(storage, "S3_IN_MEMORY_BYTES", 10)
    store = s3_bucket.store()
    data = os.urandom(3 * 1024 * 1024 + 7)
    store.put(data)
    with store.open(sha(data)) as handle:
        assert hasattr(handle, "fileno"), "on disk, not in memory"
        assert handle.read() == data


def test_a_bucket_that_does_not_exist_is_an_error_of_the_store_not_a_missing_file(s3_bucket):
    store = S3BlobStore(
        "no-such-bucket",
        endpoint_url=s3_bucket.endpoint_url,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )
    with pytest.raises(BlobStoreError, match="no-such-bucket"):
        store.put(b"x")
    with pytest.raises(BlobStoreError):
        store.open(sha(b"x"))
    with pytest.raises(BlobStoreError):
        list(store.list_blobs())


def test_a_store_that_does_not_answer_is_an_os_error(moto_server):
    """Nothing listens on this port: a put fails as a failing disk would (the views catch OSError)."""
    from tests.s3_server import HOST, free_port

    store = S3BlobStore(
        "any-bucket",
        endpoint_url=f"http://{HOST}:{free_port()}",
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )
    with pytest.raises(OSError, match="any-bucket"):
        store.put(b"x")
