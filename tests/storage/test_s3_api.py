"""The API on S3 storage (a real S3 HTTP API: moto's server): presigned download URLs with our
TTL, bytes and ranges streamed from the bucket, readiness, multipart and failed uploads."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import av
import httpx
import pytest
from pydantic import ValidationError

from reelserve.adapters.files.factory import file_store_for
from reelserve.bootstrap import Container, build
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import TaskStatus
from reelserve.settings import Settings
from tests.api.test_minimax_flow import run_worker
from tests.support.s3 import S3Server

TTL_S = 4 * 3600
TTL = timedelta(seconds=TTL_S)


@pytest.fixture
def settings(tmp_path: Path, s3_bucket: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        storage_url=f"s3://{s3_bucket}/reels",
        download_url_ttl_s=TTL_S,
        storage_multipart_mb=5,
        lease_s=5,
        heartbeat_s=0.5,
        poll_interval_s=0.1,
    )


async def finished_file(client: httpx.AsyncClient, container: Container) -> dict[str, object]:
    created = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "waves"})
    ).json()
    await run_worker(container)
    done = (
        await client.get("/v1/query/video_generation", params={"task_id": created["task_id"]})
    ).json()
    assert done["status"] == "Success", done
    answer = await client.get("/v1/files/retrieve", params={"file_id": done["file_id"]})
    file: dict[str, object] = answer.json()["file"]
    return file


def frame_count(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as media:
        return sum(1 for _ in media.decode(media.streams.video[0]))


async def test_download_url_is_presigned_by_the_bucket_with_our_ttl(
    client: httpx.AsyncClient, container: Container, s3_server: S3Server, s3_bucket: str
) -> None:
    file = await finished_file(client, container)
    url = str(file["download_url"])
    assert url.startswith(f"{s3_server.endpoint}/{s3_bucket}/reels/outputs/")
    query = parse_qs(urlsplit(url).query)
    # moto does not enforce expiry, so the expiry we ask S3 to enforce is checked here
    assert query["X-Amz-Expires"] == [str(TTL_S)]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)
    video = httpx.get(url)  # straight from the bucket: no API key, no API in the way
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert len(video.content) == file["bytes"] and frame_count(video.content) > 0


async def test_retrieve_content_streams_from_the_bucket_with_ranges(
    client: httpx.AsyncClient, container: Container
) -> None:
    file = await finished_file(client, container)
    params = {"file_id": str(file["file_id"])}
    whole = await client.get("/v1/files/retrieve_content", params=params)
    assert whole.status_code == 200 and len(whole.content) == file["bytes"]
    assert frame_count(whole.content) > 0
    part = await client.get(
        "/v1/files/retrieve_content", params=params, headers={"Range": "bytes=4-11"}
    )
    assert part.status_code == 206 and part.content == whole.content[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{file['bytes']}"
    tail = await client.get(
        "/v1/files/retrieve_content", params=params, headers={"Range": "bytes=-10"}
    )
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = await client.get(
        "/v1/files/retrieve_content", params=params, headers={"Range": f"bytes={10**9}-"}
    )
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{file['bytes']}"


async def test_readyz_reports_a_missing_bucket(
    client: httpx.AsyncClient, s3_server: S3Server, s3_bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await client.get("/readyz")).json()["storage"] == "ok"
    s3_server.client().delete_bucket(Bucket=s3_bucket)  # type: ignore[attr-defined]
    down = await client.get("/readyz")
    assert down.status_code == 503
    # generic words in the answer (the store's text names the bucket); the detail in the log
    assert down.json() == {"status": "unavailable", "database": "ok", "storage": "unavailable"}
    assert s3_bucket not in down.text
    assert any("HeadBucket" in record.getMessage() for record in caplog.records)


def test_large_files_go_up_in_parts(container: Container, tmp_path: Path) -> None:
    source = tmp_path / "big.mp4"
    data = os.urandom(12 << 20)
    source.write_bytes(data)
    container.files.put("outputs/1/attempt-1.mp4", source)
    stat = container.files.stat("outputs/1/attempt-1.mp4")
    assert stat is not None and stat.size == len(data)
    assert stat.etag.endswith("-3")  # S3's multipart ETag: 12 MiB in 5 MiB parts
    with container.files.open("outputs/1/attempt-1.mp4") as handle:
        assert handle.read() == data


def test_a_failed_upload_runs_the_task_again(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    """The bucket is missing when the first attempt stores its video: that attempt ends, the
    task is not failed, and once the bucket answers the next attempt succeeds."""
    late = f"{s3_bucket}-late"
    container = build(Settings(data_dir=tmp_path / "d", storage_url=f"s3://{late}", lease_s=30))
    try:
        owner = container.keys.create("k").key
        task = container.tasks.submit(
            owner, GenerationRequest(model="T2V-01", prompt="storm"), None
        )
        executor = container.executor("w1")
        executor.run_next()  # renders, then the upload fails: NoSuchBucket
        first = container.repository.get(task.id)
        assert first is not None and first.status is not TaskStatus.FAILED
        assert first.file_id is None
        s3_server.client().create_bucket(Bucket=late)  # type: ignore[attr-defined]
        executor.reap()  # the lease was given up at once: no waiting out the 30 s
        executor.run_next()
        done = container.repository.get(task.id)
        assert done is not None and done.status is TaskStatus.SUCCEEDED and done.attempts == 2
        record = container.tasks.get_file(None, str(done.file_id))
        assert record is not None and container.files.exists(record.storage_key)
    finally:
        container.close()


def test_storage_settings_are_checked_at_start(tmp_path: Path, s3_bucket: str) -> None:
    with pytest.raises(ValueError, match="604800 s that S3 presigned URLs allow"):
        build(
            Settings(
                data_dir=tmp_path, storage_url=f"s3://{s3_bucket}", download_url_ttl_s=8 * 86400
            )
        )
    with pytest.raises(ValueError, match=r"'ftp://x': expected file:///path or s3://"):
        build(Settings(data_dir=tmp_path, storage_url="ftp://x"))
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, storage_multipart_mb=1)


def test_presigned_urls_can_name_the_endpoint_clients_reach(s3_bucket: str) -> None:
    """The bucket is reached as minio:9000 inside a compose network but as another name
    outside it: URLs are signed for the public name."""
    public = "http://files.example.test:9000"
    store = file_store_for(f"s3://{s3_bucket}", download_ttl=TTL, s3_public_endpoint=public)
    store.put("outputs/1/attempt-1.mp4", b"x")
    url = store.url_for(
        "outputs/1/attempt-1.mp4", filename="o.mp4", content_type="video/mp4", ttl=TTL
    )
    assert url is not None and url.startswith(f"{public}/{s3_bucket}/outputs/1/attempt-1.mp4?")
