"""H.264 MP4 encoding in parallel segments: one x264 encoder per run of consecutive frames.

One x264 with frame threads encodes as fast, but the frames it is fed come from one rendering
thread. Cutting the clip into ``segments`` runs that are rendered and encoded side by side, each
by a single-threaded x264, spreads the rendering over every core as well (measured by
``benchmarks/preview_vs_ffmpeg.py --parts``: the engine's push-in 7 % faster than with one
frame-threaded x264; the encode alone 1–15 % faster from run to run). Each run starts on an
IDR frame (a few percent larger file); the runs share the same encoder settings, so their
parameter sets are identical (checked) and their packets join into one MP4 stream: each run is
encoded into a temporary file next to the output, and closing the writer copies the packets of
all of them, in order and re-timed, into the output file (no re-encoding).

Each :class:`Segment` is used by one thread: ``acquire()`` lends the segment's yuv420p frame to
draw into (``video.planes()`` gives numpy views of it) and ``submit()`` encodes it at once; x264
copies the picture, so the same frame is drawn on again. The last ``submit()`` of a segment also
drains x264's lookahead (a dozen frames' work), so that too happens in parallel. Memory stays
flat in the clip's length: one frame per segment, and encoded packets go to disk as they are
made.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import av

from reelserve.adapters.media.video import EncoderSettings, FileWriter, check_format

MIN_SEGMENT_FRAMES = 48  # about 2 s at 25 fps: shorter runs cost more in IDR frames than they save


def plan_segments(frame_count: int, *, cpus: int, requested: int = 0) -> list[range]:
    """Consecutive frame ranges, one per segment: ``requested`` of them, or (0) one per CPU as
    long as each keeps ``MIN_SEGMENT_FRAMES``."""
    if frame_count <= 0:
        raise ValueError(f"frame_count must be positive but is {frame_count}")
    count = requested or min(max(1, cpus), max(1, frame_count // MIN_SEGMENT_FRAMES))
    count = max(1, min(count, frame_count))
    bounds = [frame_count * k // count for k in range(count + 1)]
    return [range(start, stop) for start, stop in itertools.pairwise(bounds)]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Segment:
    """One run of frames with its own encoder and container; used from one thread only."""

    def __init__(
        self,
        path: Path,
        frames: range,
        *,
        width: int,
        height: int,
        fps: int,
        settings: EncoderSettings,
        threads: int,
    ) -> None:
        self.path = path
        self.frames = frames
        self.submitted = 0
        self.container = av.open(str(path), mode="w", format="mp4")
        stream = self.container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.codec_context.thread_count = threads
        stream.codec_context.thread_type = "AUTO"  # frame threads where threads > 1
        stream.codec_context.options = {"preset": settings.preset, "crf": str(settings.crf)}
        self.stream = stream
        self._frame = av.VideoFrame(width, height, "yuv420p")
        self.parameter_sets = b""
        self.finished = False

    def acquire(self) -> av.VideoFrame:
        """The segment's frame to draw the next picture into (its old content is undefined)."""
        return self._frame

    def submit(self, frame: av.VideoFrame) -> None:
        """Encode ``frame`` as the segment's next picture."""
        if self.submitted >= len(self.frames):
            raise ValueError(f"segment {self.frames} already has all its {len(self.frames)} frames")
        frame.pts = self.submitted
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.submitted += 1
        if self.submitted == len(self.frames):
            self.finish()  # drain x264's lookahead here, in this segment's thread

    def finish(self) -> None:
        """Drain the encoder and close the segment's file (once)."""
        if self.finished:
            return
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.parameter_sets = bytes(self.stream.codec_context.extradata or b"")  # SPS and PPS
        self.container.close()
        self.finished = True


class SegmentedMp4Writer(FileWriter):
    """Write a clip of ``frame_count`` yuv420p frames as one H.264 MP4 from parallel segments.

    Use as a context manager; fill every segment (from any threads, one thread per segment),
    and the file is finished on leaving the block; an exception aborts and deletes it.
    """

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        frame_count: int,
        settings: EncoderSettings = EncoderSettings(),
        segments: int = 0,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        check_format(width, height, fps)
        cpus = available_cpus()
        ranges = plan_segments(frame_count, cpus=cpus, requested=segments)
        # one segment: x264's frame threads are all the parallelism there is
        threads = settings.threads or (0 if len(ranges) == 1 else max(1, cpus // len(ranges)))
        self.path = path
        self.fps = fps
        self.metadata = dict(metadata or {})
        self.segments: list[Segment] = []
        try:
            for index, frames in enumerate(ranges):
                part = path.with_name(f".{path.name}.part{index}.mp4")
                self.segments.append(
                    Segment(
                        part,
                        frames,
                        width=width,
                        height=height,
                        fps=fps,
                        settings=settings,
                        threads=threads,
                    )
                )
        except BaseException:
            self.abort()
            raise

    def close(self) -> None:
        """Flush every encoder and join the segments into the output file (stream copy)."""
        for segment in self.segments:
            if segment.submitted != len(segment.frames):
                raise RuntimeError(
                    f"segment {segment.frames} of {self.path} got {segment.submitted} of its "
                    f"{len(segment.frames)} frames"
                )
            segment.finish()
        first = self.segments[0]
        for segment in self.segments[1:]:
            if segment.parameter_sets != first.parameter_sets:
                raise RuntimeError(
                    f"segment {segment.frames} of {self.path} has other H.264 parameter sets "
                    "than the first: the segments cannot be joined"
                )
        try:
            self._join()
        finally:
            for segment in self.segments:
                segment.path.unlink(missing_ok=True)

    def abort(self) -> None:
        """Stop without finishing the file; delete it and every temporary segment."""
        for segment in self.segments:
            with contextlib.suppress(av.error.FFmpegError, ValueError):  # deleted anyway
                segment.container.close()
            segment.path.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def _join(self) -> None:
        output = av.open(
            str(self.path),
            mode="w",
            format="mp4",
            options={"movflags": "+faststart+use_metadata_tags"},
        )
        try:
            for key, value in self.metadata.items():
                output.metadata[key] = value
            target: av.video.stream.VideoStream | None = None
            for segment in self.segments:
                with av.open(str(segment.path)) as part:
                    source = part.streams.video[0]
                    if target is None:
                        target = output.add_stream_from_template(source)
                    assert source.time_base is not None
                    shift = round(Fraction(segment.frames.start, self.fps) / source.time_base)
                    for packet in part.demux(source):
                        if packet.size == 0:  # the demuxer's end-of-stream marker
                            continue
                        if packet.pts is not None:
                            packet.pts += shift
                        if packet.dts is not None:
                            packet.dts += shift
                        packet.stream = target
                        output.mux(packet)
        finally:
            output.close()
