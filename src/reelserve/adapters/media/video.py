"""H.264 MP4 encoding with PyAV, streamed: frames go to the encoder as they are made.

Frames are made directly in the encoder's own buffers: ``acquire()`` lends a yuv420p
``av.VideoFrame`` from a small pool, ``planes()`` gives numpy views of its Y, U and V planes to
draw into, and ``submit()`` queues it. A background thread encodes and muxes while the caller
renders the next frame, and hands each frame back to the pool once x264 has copied it. So there
is no colour conversion, no per-frame allocation and no extra copy on the way to the encoder, and
memory stays flat in the clip's duration (at most ``queue_size + 2`` frames exist). ``write()``
takes a ready I420 array instead, for callers that have one.

A soundtrack (``AudioTrack``, engines that generate sound: MiniMax-H3, LTX-2) is muxed as AAC when
the video is finished, cut or padded with silence to exactly the video's length (frames / fps), so
picture and sound end together. Without one the MP4 has no audio stream.

Defaults were chosen by measurement (docs/benchmarks.md, "Preview engine"): ``veryfast`` at CRF 21
is within a few percent of the size of ``medium`` at the same CRF for these smooth synthetic
clips, at a fraction of the time.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import av
import numpy as np
import numpy.typing as npt

DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = 21
AAC_BITRATE = 192_000
# Sample rates the AAC encoder takes; other rates are resampled to 48 kHz.
AAC_RATES = frozenset(
    {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000}
)
_STOP = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioTrack:
    """A soundtrack: float samples in [-1, 1] of shape (channels, samples), mono or stereo."""

    samples: npt.NDArray[np.float32]
    sample_rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 2 or self.samples.shape[0] not in (1, 2):
            raise ValueError(
                f"audio must be (1 or 2 channels, samples) but is {self.samples.shape}"
            )
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive but is {self.sample_rate}")

    def fitted(self, seconds: float) -> AudioTrack:
        """Cut or pad with silence to exactly ``seconds``."""
        wanted = round(seconds * self.sample_rate)
        channels, have = self.samples.shape
        out = np.zeros((channels, wanted), dtype=np.float32)
        out[:, : min(have, wanted)] = self.samples[:, :wanted]
        return AudioTrack(samples=out, sample_rate=self.sample_rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderSettings:
    preset: str = DEFAULT_PRESET
    crf: int = DEFAULT_CRF
    threads: int = 0  # 0: let x264 choose (one per core, plus lookahead)
    queue_size: int = 3  # frames buffered between renderer and encoder


def check_format(width: int, height: int, fps: int) -> None:
    """yuv420p needs positive, even sides; the clip a positive frame rate."""
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(
            f"width and height must be positive and even for yuv420p but are {width} and {height}"
        )
    if fps <= 0:
        raise ValueError(f"fps must be positive but is {fps}")


class FileWriter:
    """A writer used as a context manager: the file is finished when the block ends normally,
    and deleted (``abort``) when it raises or when finishing it fails."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.close()
        except BaseException:
            self.abort()
            raise


class Mp4Writer(FileWriter):
    """Write yuv420p frames to an H.264 MP4 at a constant frame rate. Use as a context manager.

    ``write`` takes an I420 array of shape ``(height * 3 // 2, width)``; it copies the data, so
    the caller may reuse its buffer at once. ``close`` flushes the encoder and finishes the file;
    leaving the ``with`` block on an exception aborts and deletes the partial file.
    """

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        settings: EncoderSettings = EncoderSettings(),
        metadata: Mapping[str, str] | None = None,
        audio: AudioTrack | None = None,
    ) -> None:
        check_format(width, height, fps)
        self.path = path
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_written = 0
        self._audio = audio
        # use_metadata_tags keeps custom keys (e.g. "aigc") that the plain MP4 muxer would drop.
        self._container = av.open(
            str(path),
            mode="w",
            format="mp4",
            options={"movflags": "+faststart+use_metadata_tags"},
        )
        for key, value in (metadata or {}).items():
            self._container.metadata[key] = value
        stream = self._container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.codec_context.thread_count = settings.threads
        # PyAV defaults to slice threads; x264's frame threads (what the ffmpeg CLI uses) are
        # markedly faster and keep the output deterministic.
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.options = {"preset": settings.preset, "crf": str(settings.crf)}
        self._stream = stream
        self._audio_stream = None if audio is None else self._add_audio_stream(audio)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, settings.queue_size))
        self._free: queue.Queue[av.VideoFrame] = queue.Queue()
        self._pool_left = max(1, settings.queue_size) + 2
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode_loop, name="mp4-encoder", daemon=True)
        self._thread.start()

    def acquire(self) -> av.VideoFrame:
        """A yuv420p frame to draw into (its old content is undefined); blocks while the encoder
        is ``queue_size`` frames behind."""
        self._raise_encoder_error()
        if self._pool_left > 0 and self._free.empty():
            self._pool_left -= 1
            return av.VideoFrame(self.width, self.height, "yuv420p")
        while True:
            try:
                return self._free.get(timeout=1.0)
            except queue.Empty:
                self._raise_encoder_error()

    def submit(self, frame: av.VideoFrame) -> None:
        """Queue a frame from ``acquire()`` as the next frame of the clip."""
        self._raise_encoder_error()
        frame.pts = self.frames_written
        self._queue.put(frame)
        self.frames_written += 1

    def write(self, i420: npt.NDArray[np.uint8]) -> None:
        """Queue an I420 array of shape ``(height * 3 // 2, width)`` (copied at once)."""
        if i420.shape != (self.height * 3 // 2, self.width):
            raise ValueError(
                f"frame must be an I420 array of shape {(self.height * 3 // 2, self.width)} "
                f"but is {i420.shape}"
            )
        frame = self.acquire()
        flat = i420.reshape(-1)
        start = 0
        for view in planes(frame):
            size = view.shape[0] * view.shape[1]
            np.copyto(view, flat[start : start + size].reshape(view.shape))
            start += size
        self.submit(frame)

    def close(self) -> None:
        """Flush the encoder and finish the MP4 (moov atom moved to the front)."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            error = RuntimeError(f"H.264 encoding of {self.path} failed: {self._error}")
            self.abort()
            raise error
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        if self._audio is not None:
            self._write_audio(self._audio.fitted(self.frames_written / self.fps))
        self._container.close()

    def _add_audio_stream(self, audio: AudioTrack) -> av.AudioStream:
        rate = audio.sample_rate if audio.sample_rate in AAC_RATES else 48000
        stream = self._container.add_stream("aac", rate=rate)
        stream.codec_context.layout = "stereo" if audio.samples.shape[0] == 2 else "mono"
        stream.codec_context.bit_rate = AAC_BITRATE
        return stream

    def _write_audio(self, audio: AudioTrack) -> None:
        stream = self._audio_stream
        assert stream is not None
        layout = "stereo" if audio.samples.shape[0] == 2 else "mono"
        samples = np.ascontiguousarray(np.clip(audio.samples, -1.0, 1.0), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate = audio.sample_rate
        frame.pts = 0
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=stream.codec_context.rate)
        for part in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(part):
                self._container.mux(packet)
        for packet in stream.encode(None):
            self._container.mux(packet)

    def abort(self) -> None:
        """Stop without finishing the file, and delete what was written."""
        self._error = self._error or RuntimeError("aborted")
        while True:  # unblock the encoder thread, then let it drain
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(_STOP)
        self._thread.join()
        with contextlib.suppress(av.error.FFmpegError, ValueError):  # the file is deleted anyway
            self._container.close()
        self.path.unlink(missing_ok=True)

    def _encode_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue  # keep draining so the producer never blocks forever
            try:
                assert isinstance(item, av.VideoFrame)
                for packet in self._stream.encode(item):
                    self._container.mux(packet)
                # x264 copied the picture inside encode(): the buffer may be drawn on again
                self._free.put(item)
            except BaseException as error:
                self._error = error

    def _raise_encoder_error(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"H.264 encoding of {self.path} failed: {self._error}")


def planes(frame: av.VideoFrame) -> tuple[npt.NDArray[np.uint8], ...]:
    """Writable numpy views of a yuv420p frame's Y, U and V planes (rows may be padded)."""
    views = []
    for plane in frame.planes:
        flat: npt.NDArray[np.uint8] = np.frombuffer(memoryview(plane), dtype=np.uint8)
        rows = flat.reshape(plane.height, plane.line_size)
        views.append(rows[:, : plane.width])
    return tuple(views)


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frame_count: int
    codec: str
    pix_fmt: str
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioInfo:
    codec: str
    channels: int
    sample_rate: int
    seconds: float  # the stream's duration (the encoder's priming and padding excluded)
    decoded_frames: int  # audio frames that decoded (a broken stream decodes none)


def probe_audio(path: Path) -> AudioInfo | None:
    """The file's first audio stream, decoded in full; None when the file is silent."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        decoded = sum(1 for _ in container.decode(stream))
        rate = stream.codec_context.sample_rate
        duration = stream.duration * stream.time_base if stream.duration and stream.time_base else 0
        return AudioInfo(
            codec=stream.codec_context.name,
            channels=stream.codec_context.channels,
            sample_rate=rate,
            seconds=float(duration),
            decoded_frames=decoded,
        )


def probe(path: Path) -> VideoInfo:
    """Decode the whole file and report what is really in it (frames are counted, not read
    from the header)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate or stream.guessed_rate or 0
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate),
            frame_count=count,
            codec=stream.codec_context.name,
            pix_fmt=str(stream.codec_context.pix_fmt),
            metadata=dict(container.metadata),
        )
