"""Copy an upstream's MP4 into our storage: stream it with a size cap, check the length it
announced, hash it, and decode it (PyAV) to know its real size and length.

A link that answers 403/404/410 has expired (LinkExpired: ask the upstream for a fresh one);
a body shorter or longer than its Content-Length, a file over the cap, or one that does not
decode to the end is a BadFile (download it again, then fail).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from reelserve.adapters.engines.upstream.errors import BadFile, LinkExpired, Retryable
from reelserve.adapters.engines.upstream.ports import DownloadLink

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class CopiedVideo:
    path: Path
    bytes: int
    sha256: str
    width: int
    height: int
    fps: int
    frame_count: int
    duration_s: float


def copy_mp4(
    upstream: str, link: DownloadLink, target: Path, *, max_bytes: int, timeout_s: float
) -> CopiedVideo:
    size, digest = _download(upstream, link, target, max_bytes=max_bytes, timeout_s=timeout_s)
    width, height, fps, frames = _probe(upstream, target)
    return CopiedVideo(
        path=target,
        bytes=size,
        sha256=digest,
        width=width,
        height=height,
        fps=round(fps),
        frame_count=frames,
        duration_s=frames / fps if fps else 0.0,
    )


def _download(
    upstream: str, link: DownloadLink, target: Path, *, max_bytes: int, timeout_s: float
) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        with (
            httpx.stream("GET", link.url, headers=dict(link.headers), timeout=timeout_s) as answer,
            target.open("wb") as sink,
        ):
            _check_answer(upstream, answer, max_bytes)
            for chunk in answer.iter_raw(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise BadFile(upstream, 1000, f"the video is over the {max_bytes}-byte cap")
                digest.update(chunk)
                sink.write(chunk)
    except httpx.RemoteProtocolError as error:  # h11: fewer (or more) bytes than announced
        raise BadFile(upstream, 1000, f"download broken off: {error}") from None
    except httpx.HTTPError as error:
        raise Retryable(upstream, 1001, f"download failed: {type(error).__name__}") from None
    return size, digest.hexdigest()


def _check_answer(upstream: str, answer: httpx.Response, max_bytes: int) -> None:
    if answer.status_code in (403, 404, 410):
        raise LinkExpired(upstream, 1000, f"download link answered HTTP {answer.status_code}")
    if answer.status_code != 200:
        raise Retryable(upstream, 1000, f"download answered HTTP {answer.status_code}")
    if answer.headers.get("content-encoding", "identity") != "identity":
        raise BadFile(upstream, 1000, "the video came compressed; it must come as is")
    declared = answer.headers.get("content-length")
    if declared is not None and int(declared) > max_bytes:
        raise BadFile(upstream, 1000, f"the video ({declared} bytes) is over the cap")


def _probe(upstream: str, path: Path) -> tuple[int, int, float, int]:
    """Decode every frame: a truncated MP4 fails here or counts fewer frames than it says."""
    import av  # the media extra is a core dependency, imported where it is needed

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadFile(upstream, 1000, "not a playable MP4: no video stream (truncated?)")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frame threads: decoding dominates the copy
            declared = stream.frames
            count = sum(1 for _ in container.decode(stream))
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            width, height = stream.codec_context.width, stream.codec_context.height
    except av.error.FFmpegError as error:
        raise BadFile(upstream, 1000, f"not a playable MP4: {error}") from None
    if count == 0 or (declared and count < declared):
        raise BadFile(upstream, 1000, f"truncated MP4: {count} of {declared} frames decode")
    return width, height, rate, count
