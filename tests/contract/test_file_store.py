"""The FileStore contract, run against every store: memory, a local folder, and S3 (a real
S3 HTTP API: moto's server). One behaviour, one test, each adapter."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from reelserve.adapters.files.factory import file_store_for
from reelserve.adapters.files.memory import MemoryFileStore
from reelserve.adapters.files.scratch import LocalScratch
from reelserve.ports import FileStore

TTL = timedelta(hours=9)
STORES = ["memory", "local", "s3"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileStore]:
    if request.param == "memory":
        yield MemoryFileStore()
    elif request.param == "local":
        yield file_store_for((tmp_path / "files").as_uri(), download_ttl=TTL)
    else:
        bucket = request.getfixturevalue("s3_bucket")
        yield file_store_for(
            f"s3://{bucket}/some/prefix", download_ttl=TTL, multipart_threshold=5 << 20
        )


def test_put_bytes_then_read_back(store: FileStore) -> None:
    assert store.put("inputs/1/first.png", b"\x89PNG data") == 9
    with store.open("inputs/1/first.png") as handle:
        assert handle.read() == b"\x89PNG data"
    assert store.exists("inputs/1/first.png")
    stat = store.stat("inputs/1/first.png")
    assert stat is not None and stat.size == 9 and stat.etag


def test_put_file_stores_its_content(store: FileStore, tmp_path: Path) -> None:
    source = tmp_path / "output.mp4"
    data = os.urandom(300_000)
    source.write_bytes(data)
    assert store.put("outputs/7/attempt-1.mp4", source) == len(data)
    with store.open("outputs/7/attempt-1.mp4") as handle:
        assert handle.read() == data


def test_overwrite_replaces_and_changes_the_etag(store: FileStore) -> None:
    store.put("a/b", b"one")
    first = store.stat("a/b")
    store.put("a/b", b"second")
    second = store.stat("a/b")
    assert first is not None and second is not None
    assert second.size == 6 and second.etag != first.etag


@pytest.mark.parametrize(
    ("start", "end", "expected"), [(0, 0, b"0"), (3, 6, b"3456"), (8, 20, b"89")]
)
def test_open_range_reads_the_inclusive_span(
    store: FileStore, start: int, end: int, expected: bytes
) -> None:
    store.put("r", b"0123456789")
    with store.open_range("r", start, end) as handle:
        assert handle.read() == expected


def test_missing_objects(store: FileStore) -> None:
    assert store.stat("nothing/here") is None
    assert not store.exists("nothing/here")
    with pytest.raises(FileNotFoundError):
        store.open("nothing/here")
    store.delete("nothing/here")  # deleting what is not there is not an error


def test_delete_removes(store: FileStore) -> None:
    store.put("gone/soon", b"x")
    store.delete("gone/soon")
    assert not store.exists("gone/soon")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "", "a//b", "dir/"])
def test_keys_that_could_leave_the_store_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        store.put(key, b"x")


def test_check_passes_on_a_usable_store(store: FileStore) -> None:
    store.check()


def test_only_s3_hands_out_its_own_download_url(
    store: FileStore, request: pytest.FixtureRequest
) -> None:
    store.put("outputs/9/attempt-1.mp4", b"video bytes")
    url = store.url_for(
        "outputs/9/attempt-1.mp4", filename="output.mp4", content_type="video/mp4", ttl=TTL
    )
    if request.node.callspec.params["store"] != "s3":
        assert url is None  # the API serves these bytes itself
        return
    assert url is not None
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == b"video bytes"
    assert answer.headers["content-disposition"] == 'attachment; filename="output.mp4"'
    assert answer.headers["content-type"] == "video/mp4"


def test_local_scratch_folders_are_removed_after_use(tmp_path: Path) -> None:
    scratch = LocalScratch(tmp_path / "scratch")
    with scratch.workdir() as first, scratch.workdir() as second:
        assert first != second and first.is_dir() and not any(first.iterdir())
        (first / "output.mp4").write_bytes(b"x")
    assert not first.exists() and not second.exists()
