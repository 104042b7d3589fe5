"""BLOB_STORAGE and the S3_ settings: a setting that cannot work stops the start with how to fix it."""

from __future__ import annotations

import pytest

from comments import create_app
from comments.storage import LocalBlobStore, S3BlobStore, blob_store, build_blob_store
from config import ConfigError, ProductionConfig, TestingConfig
from tests.unit.test_config import production_settings

S3 = {"BLOB_STORAGE": "s3", "S3_BUCKET": "comments-files"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"BLOB_STORAGE": "ftp"}, "BLOB_STORAGE must be local .* or s3 .*, not 'ftp'"),
        ({"BLOB_STORAGE": "s3"}, "S3_BUCKET is not set: name the bucket"),
        ({**S3, "S3_BUCKET": "files/x", "S3_REGION": "ap-northeast-1"}, "is not a bucket name"),
        ({**S3, "S3_BUCKET": "ab", "S3_REGION": "ap-northeast-1"}, "is not a bucket name"),
        (S3, "S3_REGION is not set: with no S3_ENDPOINT_URL the bucket is on AWS"),
        ({**S3, "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL must be the store's address"),
        ({**S3, "S3_ENDPOINT_URL": "ftp://minio.city.example"}, "S3_ENDPOINT_URL must be the store's address"),
        ({**S3, "S3_REGION": "ap-northeast-1", "S3_PREFIX": "comments"}, "S3_PREFIX must be empty or a path ending"),
        ({**S3, "S3_REGION": "ap-northeast-1", "S3_PREFIX": "/comments/"}, "S3_PREFIX must be empty or a path"),
        (
            {**S3, "S3_REGION": "ap-northeast-1", "S3_ACCESS_KEY_ID": "AKIA"},
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
        ),
        (
            {**S3, "S3_REGION": "ap-northeast-1", "S3_SECRET_ACCESS_KEY": "s"},
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
        ),
    ],
)
def test_a_blob_storage_setting_that_cannot_work_stops_the_start(tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app(TestingConfig, INSTANCE_PATH=tmp_path, **settings)


def test_a_bucket_on_aws_or_on_a_store_of_ones_own(tmp_path):
    aws = create_app(TestingConfig, INSTANCE_PATH=tmp_path, **S3, S3_REGION="ap-northeast-1", S3_PREFIX="comments/")
    store = blob_store(aws)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.endpoint_url) == ("comments-files", "comments/", None)
    assert store.client.meta.region_name == "ap-northeast-1"
    minio = build_blob_store({**S3, "S3_ENDPOINT_URL": "https://minio.city.example:9000"})
    assert minio.client.meta.region_name == "us-east-1", "any region will do for MinIO or Ceph"
    assert minio.client.meta.endpoint_url == "https://minio.city.example:9000"
    assert minio.describe() == "bucket s3://comments-files/ at https://minio.city.example:9000"


def test_the_folder_is_the_default(tmp_path):
    app = create_app(TestingConfig, INSTANCE_PATH=tmp_path, ATTACHMENT_STORAGE=tmp_path / "files")
    assert isinstance(blob_store(app), LocalBlobStore)
    assert blob_store(app).root == tmp_path / "files"


@pytest.mark.parametrize(
    ("endpoint", "refused"),
    [
        ("http://minio.city.example:9000", True),
        ("http://10.0.0.5:9000", True),
        ("https://minio.city.example:9000", False),
        ("http://127.0.0.1:9000", False),
        ("http://localhost:9000", False),
    ],
)
def test_production_keeps_the_files_off_the_network_in_the_clear(tmp_path, endpoint, refused):
    settings = {**production_settings(tmp_path), **S3, "S3_ENDPOINT_URL": endpoint}
    if refused:
        with pytest.raises(ConfigError, match="plain http:// to another host"):
            create_app(ProductionConfig, **settings)
    else:
        assert isinstance(blob_store(create_app(ProductionConfig, **settings)), S3BlobStore)
