"""A real S3 HTTP API for tests: moto's server on a free port, one fresh bucket per test.

moto answers S3 requests as AWS does, but does not enforce presigned URL expiry, so expiry is
tested on the URLs we make (X-Amz-Date / X-Amz-Expires), not by waiting for moto to refuse.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_buckets = itertools.count(1)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    server: object  # moto.server.ThreadedMotoServer

    def env(self) -> dict[str, str]:
        """The standard AWS settings that point boto3 (in-process or a subprocess) here."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def client(self) -> object:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, **_kwargs())

    def create_bucket(self) -> str:
        name = f"reels-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
        return name


def _kwargs() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip(
        "boto3", reason="the 's3' extra is not installed (pip install -e .[s3,dev])"
    )
    moto_server = pytest.importorskip("moto.server", reason="moto[server] (dev extra) missing")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield S3Server(endpoint=f"http://{host}:{port}", server=server)
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket, with the AWS settings in the environment as a deployment would set them."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server.create_bucket()
