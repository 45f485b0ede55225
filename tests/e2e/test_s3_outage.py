"""S3 away for 10 s while a real `reelserve serve` uploads results (issue 15).

The S3 server (moto's, its buckets live in this process) is stopped while tasks render and
started again on the same port 10 s later. Every task must end `Success` exactly once, on its
first attempt (the upload is tried again under the lease; the attempt is not spent), with one
file record and one object each, and no other object in the bucket.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from tests.e2e.server import Server, create_key, free_port
from tests.e2e.test_serve import poll
from tests.support.s3 import S3Server

pytestmark = pytest.mark.slow

OUTAGE_S = 10.0
TASKS = 6


def _moto(port: int) -> object:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def test_s3_away_for_10_s_during_uploads_costs_a_delay_not_a_task(
    tmp_path: Path, s3_server: S3Server
) -> None:
    port = free_port()
    s3 = S3Server(endpoint=f"http://127.0.0.1:{port}", server=_moto(port))
    bucket = s3.create_bucket()
    data_dir = tmp_path / "data"
    env = {**s3.env(), "REELSERVE_STORAGE_URL": f"s3://{bucket}/p", "REELSERVE_WORKERS": "2"}
    server = Server(data_dir, **env).start()
    try:
        key = create_key(data_dir)
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            body = {"model": "T2V-01", "prompt": "dunes"}
            ids = [
                http.post("/v1/video_generation", json=body).json()["task_id"] for _ in range(TASKS)
            ]
            poll(http, ids[0], {"Processing", "Success", "Fail"})
            s3.server.stop()  # type: ignore[attr-defined]
            stopped = time.monotonic()
            time.sleep(OUTAGE_S)
            s3 = S3Server(endpoint=s3.endpoint, server=_moto(port))
            back = time.monotonic()
            done = [poll(http, task_id, {"Success", "Fail"}, timeout=180) for task_id in ids]
            drained = time.monotonic()
        listed = s3.client().list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    finally:
        server.stop()
        s3.server.stop()  # type: ignore[attr-defined]
    log = server.log.read_text()
    with sqlite3.connect(data_dir / "reelserve.db") as db:
        attempts = dict(db.execute("SELECT id, attempts FROM tasks").fetchall())
        stored = db.execute("SELECT task_id, storage_key FROM files").fetchall()
    print(
        f"\nS3 down {back - stopped:.1f} s; {TASKS} tasks drained {drained - back:.1f} s after;"
        f" upload retries logged: {log.count('the result not written')};"
        f" attempts: {sorted(attempts.values())}"
    )
    assert [d["status"] for d in done] == ["Success"] * TASKS, done
    assert attempts == dict.fromkeys(ids, 1)  # no attempt spent on the outage
    assert "the result not written" in log  # the outage did hit uploads
    assert sorted(task for task, _ in stored) == sorted(ids)
    objects = sorted(o["Key"] for o in listed.get("Contents", []))
    assert objects == sorted(f"p/{k}" for _, k in stored)  # no orphan, nothing missing
