"""A throwaway S3 server for the tests: moto's standalone server, started as a child process on 127.0.0.1.

moto[server] is one of the test requirements, so the server is always there and the tests that use it
never skip (unlike Dovecot or Chromium, it needs no REQUIRE_ flag). It listens on 127.0.0.1 only, on a
free port, speaks real HTTP, and keeps everything in its memory; the credentials are dummies (moto accepts
any), and the clients built here talk to nothing but that address.

Starting it takes a second or two, so one server serves the whole session (per xdist worker), and every
test gets a bucket of its own with a unique name, emptied and deleted when the test ends. A conftest
registers the two fixtures:

    from tests.s3_server import moto_server_fixture, s3_bucket_fixture

    moto_server = moto_server_fixture()
    s3_bucket = s3_bucket_fixture()

and a test takes ``s3_bucket`` (an ``S3Bucket``): ``settings()`` are the app settings that keep the files
in it (``create_app(TestingConfig, **s3_bucket.settings(), ...)``; two apps given the same settings share
it, as two servers of one deployment do), ``store()`` is an ``S3BlobStore`` on it, and ``client()`` a boto3
client for looking at what is there, or damaging it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as ClientConfig

from comments.storage import S3BlobStore, build_blob_store

HOST = "127.0.0.1"
REGION = "us-east-1"
# moto takes any credentials; these never leave 127.0.0.1.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
DEFAULT_PREFIX = "blobs/"
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
START_ATTEMPTS = 3
# Environment variables through which a proxy could be chosen: 127.0.0.1 is added to NO_PROXY while the
# server runs, so no request of the tests goes anywhere else.
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def s3_client(endpoint_url: str):
    """A boto3 S3 client for the test server, with the dummy credentials and path-style addresses (making
    one takes a tenth of a second: ``MotoServer.client()`` keeps one)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=ClientConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@dataclass
class MotoServer:
    """One running moto server; ``new_bucket`` gives each test its own bucket on it."""

    endpoint_url: str
    log_file: Path
    process: subprocess.Popen | None = field(default=None, repr=False)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _client: object = field(default=None, repr=False)

    def client(self):
        """The session's client for the server (a boto3 client is safe to share)."""
        if self._client is None:
            self._client = s3_client(self.endpoint_url)
        return self._client

    def new_bucket(self, *, prefix: str = DEFAULT_PREFIX) -> S3Bucket:
        """An empty bucket with a name no other test uses."""
        name = f"test-{next(self._numbers)}-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return S3Bucket(server=self, name=name, prefix=prefix)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class S3Bucket:
    """A test's own bucket on the server, with what a test needs to point the app at it and look inside."""

    server: MotoServer
    name: str
    prefix: str = DEFAULT_PREFIX

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def settings(self, **overrides) -> dict[str, str]:
        """The app settings that keep every file in this bucket (``create_app(..., **bucket.settings())``)."""
        values = {
            "BLOB_STORAGE": "s3",
            "S3_BUCKET": self.name,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": REGION,
            "S3_PREFIX": self.prefix,
            "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }
        values.update(overrides)
        return values

    def store(self) -> S3BlobStore:
        """The blob store the app builds from ``settings()``."""
        store = build_blob_store(self.settings())
        assert isinstance(store, S3BlobStore)
        return store

    def client(self):
        return self.server.client()

    def object_keys(self) -> list[str]:
        """Every key in the bucket, sorted (whatever its prefix)."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def delete(self) -> None:
        """Empty the bucket and delete it (the server keeps everything in memory)."""
        client = self.client()
        keys = self.object_keys()
        for start in range(0, len(keys), 1000):  # at most 1000 keys a request
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            client.delete_objects(Bucket=self.name, Delete={"Objects": batch, "Quiet": True})
        client.delete_bucket(Bucket=self.name)


def _answers(endpoint_url: str) -> bool:
    """Whether the server answers an S3 request (ListBuckets) with 200, asked with no proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(endpoint_url + "/", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_ready(server: MotoServer) -> bool:
    """True once the server answers; False if it exited (its port was taken meanwhile); else RuntimeError."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if server.process.poll() is not None:
            return False
        if _answers(server.endpoint_url):
            return True
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"moto's S3 server did not answer at {server.endpoint_url} within {START_TIMEOUT_SECONDS} s:\n"
                f"{server.log_tail()}"
            )
        time.sleep(0.05)


def start_moto_server(directory: Path) -> MotoServer:
    """Start moto's server on a free port of 127.0.0.1 (its log in ``directory``); ``stop_moto_server`` ends it."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        server = MotoServer(endpoint_url=f"http://{HOST}:{port}", log_file=directory / f"moto-{attempt}.log")
        with server.log_file.open("wb") as log:
            server.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        try:
            if _wait_until_ready(server):
                return server
        except BaseException:
            stop_moto_server(server)
            raise
    raise RuntimeError(f"moto's S3 server exited while starting, {START_ATTEMPTS} times:\n{server.log_tail()}")


def stop_moto_server(server: MotoServer) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def no_proxy_for_localhost() -> Iterator[None]:
    """127.0.0.1 added to NO_PROXY (and no_proxy) for the block, were a proxy set in the environment."""
    before = {name: os.environ.get(name) for name in NO_PROXY_VARIABLES}
    for name in NO_PROXY_VARIABLES:
        os.environ[name] = ",".join(filter(None, [before[name], HOST, "localhost"]))
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def running_moto_server(directory: Path) -> Iterator[MotoServer]:
    """One server for the duration of a ``with`` block."""
    with no_proxy_for_localhost():
        server = start_moto_server(directory)
        try:
            yield server
        finally:
            stop_moto_server(server)


def moto_server_fixture():
    """The session fixture holding the running server; register it as ``moto_server``."""

    @pytest.fixture(scope="session")
    def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
        with running_moto_server(tmp_path_factory.mktemp("s3")) as server:
            yield server

    return moto_server


def s3_bucket_fixture(*, prefix: str = DEFAULT_PREFIX):
    """A fixture giving each test a fresh, empty bucket (an ``S3Bucket``) on the session's server, deleted with
    what it holds when the test ends. Needs the ``moto_server`` fixture."""

    @pytest.fixture
    def s3_bucket(moto_server: MotoServer) -> Iterator[S3Bucket]:
        bucket = moto_server.new_bucket(prefix=prefix)
        yield bucket
        with suppress(Exception):
            bucket.delete()

    return s3_bucket
