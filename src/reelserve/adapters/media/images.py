"""PillowImageIntake: read a first/last frame from a URL or a data URL, check it, normalise it.

Order matters for safety. The format is sniffed from the bytes (a data URL's label may lie) and
Pillow may only use its JPEG, PNG and WebP plugins, which closes the other plugin families and
their advisories. The header is read first and every §2.1.1 rule, plus a pixel cap, is checked
before any pixel is decoded, so a small file that declares a huge canvas costs nothing.

Transparent pixels are composited on **white**: a transparent logo or cut-out then looks the way a
browser shows it on a page, where black would turn dark line art invisible.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import threading
import warnings
from contextlib import nullcontext

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from reelserve.adapters.media.budget import DEFAULT_PIXELS, PixelBudget
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.geometry import crop_box_to_aspect
from reelserve.domain.images import LoadedImage
from reelserve.domain.rules import MAX_IMAGE_BYTES, image_violations
from reelserve.ports import ImageFetcher

MAX_PIXELS = 40_000_000  # a 20 MB JPEG can declare far more; 40 MP decodes in ~160 MB as RGBA
# Videos are at most 1080P. A short side of 2160 keeps twice that, so that even a last frame cropped
# from landscape to portrait still has 1080 px across. Larger photos are scaled down at intake:
# encoding a 12 MP PNG alone took 3 s on the CI machine.
MAX_SHORT_SIDE = 2160
ORIENTATION = 0x0112  # the EXIF tag
BACKGROUND = (255, 255, 255)
_FORMATS = ["JPEG", "PNG", "WEBP"]
_DATA_URL = re.compile(r"data:image/[\w.+-]+(;[\w.+-]+=[^;,]*)*;base64$", re.IGNORECASE)
_HEAD_CHARS = 256 * 1024  # base64 characters decoded from an oversized payload to read its header
_SIXTEEN_BIT = {"I", "I;16", "I;16L", "I;16B", "I;16N"}
# Names for formats we refuse, so that the message says "GIF" rather than "unknown".
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"GIF8", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"8BPS", "PSD"),
    (0, b"SIMPLE  =", "FITS"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (4, b"ftypavif", "AVIF"),
    (4, b"ftypheic", "HEIC"),
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
)
# warnings.catch_warnings() swaps process-wide state; one intake at a time may hold it.
_WARNINGS_LOCK = threading.Lock()


class PillowImageIntake:
    """The ImageIntake port with Pillow.

    ``max_pixels`` caps width × height before decoding. Frames whose short side is over
    ``max_short_side`` are scaled down to it, keeping the aspect (None keeps the full size); the
    returned width and height are those of the stored PNG. Decodes share one pixel budget
    (``decode_budget_pixels``), which bounds the memory that concurrent creates take.
    """

    def __init__(
        self,
        fetcher: ImageFetcher,
        *,
        max_pixels: int = MAX_PIXELS,
        max_short_side: int | None = MAX_SHORT_SIDE,
        decode_budget_pixels: int = DEFAULT_PIXELS,
    ) -> None:
        self._fetcher = fetcher
        self._max_pixels = max_pixels
        self._max_short_side = max_short_side
        self._budget = PixelBudget(decode_budget_pixels)

    def load(self, field: str, source: str | bytes) -> LoadedImage:
        data, nbytes = (
            (source, len(source)) if isinstance(source, bytes) else self._read(field, source)
        )
        return decode(
            field,
            data,
            nbytes=nbytes,
            max_pixels=self._max_pixels,
            max_short_side=self._max_short_side,
            budget=self._budget,
        )

    def crop_to_aspect(self, image: LoadedImage, aspect: tuple[int, int]) -> LoadedImage:
        box = crop_box_to_aspect((image.width, image.height), aspect)
        if box == (0, 0, image.width, image.height):
            return image
        with Image.open(io.BytesIO(image.png), formats=["PNG"]) as im:
            cropped = im.crop(box)
        return LoadedImage(
            png=encode_png(cropped),
            width=cropped.width,
            height=cropped.height,
            source_format=image.source_format,
        )

    def _read(self, field: str, source: str) -> tuple[bytes, int]:
        head = source[:8].lower()
        if head.startswith("data:"):
            return _from_data_url(field, source)
        if head.startswith(("http://", "https://")):
            try:
                data = self._fetcher.fetch(source, max_bytes=MAX_IMAGE_BYTES)
            except InvalidParams as exc:
                raise InvalidParams(
                    [
                        Violation(field=field, message=f"{field}: {v.message}")
                        for v in exc.violations
                    ]
                ) from exc
            return data, len(data)
        raise _invalid_url(field, "give an http(s) URL or a data:image/...;base64, URL")


def _invalid_url(field: str, why: str) -> InvalidParams:
    return InvalidParams([Violation(field=field, message=f"{field}: invalid image url ({why})")])


def _from_data_url(field: str, source: str) -> tuple[bytes, int]:
    """The decoded bytes (or, for an oversized payload, only its first part) and the full size.

    Offsets into ``source`` are used instead of slicing so that an oversized payload is never
    copied: the string may be tens of megabytes.
    """
    comma = source.find(",", 0, 256)
    if comma < 0 or not _DATA_URL.fullmatch(source, 0, comma):
        raise _invalid_url(field, "a data URL must look like data:image/<format>;base64,<data>")
    start = comma + 1
    size = (len(source) - start) * 3 // 4 - source.count("=", max(start, len(source) - 2))
    if size >= MAX_IMAGE_BYTES and any(c in source for c in " \n\r\t"):  # fast substring scans
        compact = "".join(source[start:].split())  # rare: wrapped base64 over the limit
        size = len(compact) * 3 // 4 - compact.count("=", max(0, len(compact) - 2))
        source, start = compact, 0
    if size >= MAX_IMAGE_BYTES:
        # Refused anyway: decode only the start, enough for the header, so that the other
        # rules are reported too without holding the whole oversized image.
        return _b64decode(field, source[start : start + _HEAD_CHARS]), size
    return _b64decode(field, source[start:]), size


def _b64decode(field: str, payload: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        pass
    try:  # some clients wrap base64 in lines; allow whitespace, nothing else
        return base64.b64decode("".join(payload.split()), validate=True)
    except binascii.Error as exc:
        raise _invalid_url(field, f"malformed base64 data: {exc}") from exc


def sniff(data: bytes) -> str | None:
    """The image format named by the file's magic bytes (None when unknown)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for offset, magic, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return name
    return None


def decode(
    field: str,
    data: bytes,
    *,
    nbytes: int | None = None,
    max_pixels: int = MAX_PIXELS,
    max_short_side: int | None = MAX_SHORT_SIDE,
    budget: PixelBudget | None = None,
) -> LoadedImage:
    """Check ``data`` against the rules and return it as an upright 8-bit RGB PNG.

    ``nbytes`` is the full size when ``data`` is only the start of an oversized image. Images
    whose short side is over ``max_short_side`` are scaled down to it (None: never). With a
    ``budget``, the pixels decoded (after JPEG's reduced decoding) are held in it meanwhile.
    """
    im, fmt, problems = _open_header(field, data, max_pixels)
    width, height = im.size if im is not None else (0, 0)
    size = len(data) if nbytes is None else nbytes
    violations = image_violations(field, fmt=fmt, width=width, height=height, nbytes=size)
    violations += problems
    if im is not None and width * height > max_pixels:
        violations.append(
            Violation(
                field=field,
                message=f"{field}: image is {width}x{height} ({width * height} pixels); "
                f"at most {max_pixels} pixels are accepted",
            )
        )
    if violations or im is None:
        raise InvalidParams(violations)
    with im:
        target = _shrunk(im.size, max_short_side)
        if target is not None:
            im.draft(None, target)  # JPEG decodes at 1/2, 1/4 or 1/8 scale: faster, less memory
        with budget.hold(im.width * im.height) if budget else nullcontext():
            return _decoded(field, im, fmt, data, size, max_short_side)


def _decoded(
    field: str,
    im: Image.Image,
    fmt: str | None,
    data: bytes,
    size: int,
    max_short_side: int | None,
) -> LoadedImage:
    """Decode the opened image, make it upright RGB within ``max_short_side``, as a PNG."""
    width, height = im.size
    try:
        im.load()
    except Exception as exc:  # any decoder failure on client bytes is the client's input
        msg = f"{field}: the {fmt} image is truncated or corrupt ({exc})"
        raise InvalidParams([Violation(field=field, message=msg)]) from exc
    rgb = to_rgb(_upright(im))
    target = _shrunk(rgb.size, max_short_side)
    if target is None and rgb is im and fmt == "PNG" and len(data) == size:
        # nothing to change: keep the PNG as sent (a re-encode gives the same pixels and
        # costs ~0.1 s for a 1080P frame; benchmarks/preview_vs_ffmpeg.py --parts)
        return LoadedImage(png=data, width=width, height=height, source_format="PNG")
    if target is not None:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return LoadedImage(
        png=encode_png(rgb), width=rgb.width, height=rgb.height, source_format=str(fmt)
    )


def _shrunk(size: tuple[int, int], max_short_side: int | None) -> tuple[int, int] | None:
    """The size scaled so that its short side is ``max_short_side``; None when already small."""
    width, height = size
    if max_short_side is None or min(width, height) <= max_short_side:
        return None
    scale = max_short_side / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open_header(
    field: str, data: bytes, max_pixels: int
) -> tuple[Image.Image | None, str | None, list[Violation]]:
    """Open without decoding pixels: (image or None, format, violations found on the way)."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            msg = f"{field}: image has too many pixels (at most {max_pixels} are accepted; {exc})"
            return None, sniff(data), [Violation(field=field, message=msg)]
        except UnidentifiedImageError:
            named = sniff(data)
            if named not in _FORMATS:  # refused by the format rule, with its name when known
                return None, named, []
            msg = f"{field}: the {named} image could not be read (corrupt header)"
            return None, named, [Violation(field=field, message=msg)]
        except Exception as exc:  # a header Pillow cannot parse
            msg = f"{field}: the image header could not be read ({exc})"
            return None, sniff(data), [Violation(field=field, message=msg)]
    # An MPO is a JPEG with extra pictures appended (some phone cameras); use the first picture.
    fmt = "JPEG" if im.format == "MPO" else im.format
    return im, fmt, []


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (``im`` itself when upright); a malformed EXIF block is
    ignored rather than refused."""
    try:
        if im.getexif().get(ORIENTATION, 1) == 1:
            return im
        turned = ImageOps.exif_transpose(im)
    except Exception:  # broken EXIF only loses the rotation hint
        return im
    return turned


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: 16-bit scaled down, transparency composited on white."""
    if im.mode in _SIXTEEN_BIT:
        wide = np.asarray(im.convert("I"), dtype=np.int64)
        im = Image.fromarray(((wide + 128) // 257).clip(0, 255).astype(np.uint8))
    elif im.mode == "F":
        im = Image.fromarray(np.asarray(im).clip(0, 255).astype(np.uint8))
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def encode_png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, format="PNG", compress_level=1)  # speed over size: the PNG is an internal handoff
    return out.getvalue()
