"""`reelserve serve` as a real process on S3 storage (moto's S3 server): the task renders, its
video lands in the bucket, and the presigned URL the API hands out downloads a valid MP4."""

from __future__ import annotations

import io
from pathlib import Path

import av
import httpx
import pytest
from tests.e2e.server import Server, create_key
from tests.e2e.test_serve import poll
from tests.support.s3 import S3Server

pytestmark = pytest.mark.slow


def test_serve_on_s3_renders_and_the_presigned_url_downloads_an_mp4(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    data_dir = tmp_path / "data"
    env = {**s3_server.env(), "REELSERVE_STORAGE_URL": f"s3://{s3_bucket}/prod"}
    server = Server(data_dir, **env).start()
    try:
        key = create_key(data_dir)
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            assert http.get("/readyz").json()["storage"] == "ok"
            created = http.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "dunes"})
            done = poll(http, created.json()["task_id"], {"Success", "Fail"})
            assert done["status"] == "Success", done
            file = http.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()
        url = file["file"]["download_url"]
        assert url.startswith(f"{s3_server.endpoint}/{s3_bucket}/prod/outputs/")
        video = httpx.get(url, timeout=30)
    finally:
        server.stop()
    assert video.status_code == 200
    with av.open(io.BytesIO(video.content)) as media:
        stream = media.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in media.decode(stream)) == stream.frames > 0
    listed = s3_server.client().list_objects_v2(Bucket=s3_bucket)  # type: ignore[attr-defined]
    assert [o["Key"] for o in listed["Contents"]] == [url.split("?")[0].split(f"{s3_bucket}/")[1]]
    assert not list(data_dir.rglob("*.mp4"))  # nothing stayed on the local disk
