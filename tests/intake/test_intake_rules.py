"""The §2.1.1 image rules, checked on real files given as data URLs."""

from __future__ import annotations

import base64

import pytest

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.domain.errors import InvalidParams
from reelserve.domain.rules import MAX_IMAGE_BYTES

from .helpers import data_url, decoded, encode

FIELD = "first_frame_image"


def refused(intake: PillowImageIntake, source: str) -> InvalidParams:
    with pytest.raises(InvalidParams) as caught:
        intake.load(FIELD, source)
    assert caught.value.code == 2013
    assert all(v.field == FIELD and v.message.startswith(FIELD) for v in caught.value.violations)
    return caught.value


def padded(data: bytes, total: int) -> bytes:
    """The image followed by junk up to ``total`` bytes: decoders stop at the end marker."""
    return data + b"\0" * (total - len(data))


@pytest.mark.parametrize(
    ("fmt", "label"), [("PNG", "jpeg"), ("JPEG", "png"), ("WEBP", "gif"), ("PNG", "x-whatever")]
)
def test_format_comes_from_the_content_not_the_label(
    intake: PillowImageIntake, fmt: str, label: str
) -> None:
    image = intake.load(FIELD, data_url(encode(fmt=fmt), label=label))

    assert image.source_format == fmt
    assert (image.width, image.height) == (640, 480)
    assert decoded(image.png).mode == "RGB"


def test_gif_is_refused_even_when_labelled_png(intake: PillowImageIntake) -> None:
    error = refused(intake, data_url(encode(fmt="GIF"), label="png"))

    assert "image format GIF is not supported" in error.status_msg


@pytest.mark.parametrize(("fmt", "name"), [("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO")])
def test_other_pillow_formats_are_refused(intake: PillowImageIntake, fmt: str, name: str) -> None:
    size = (256, 256) if fmt == "ICO" else (640, 480)
    error = refused(intake, data_url(encode(size, fmt=fmt)))

    assert f"image format {name} is not supported" in error.status_msg


def test_bytes_that_are_no_image_are_refused(intake: PillowImageIntake) -> None:
    error = refused(intake, data_url(b"hello, this is not an image" * 10))

    assert "image format unknown is not supported" in error.status_msg


@pytest.mark.parametrize(
    "source",
    [
        base64.b64encode(encode()).decode(),  # bare base64, no data: prefix
        "data:image/png," + base64.b64encode(encode()).decode(),  # not base64-flagged
        "data:text/plain;base64," + base64.b64encode(encode()).decode(),
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "",
    ],
)
def test_sources_that_are_not_image_urls_are_refused(
    intake: PillowImageIntake, source: str
) -> None:
    error = refused(intake, source)

    assert "invalid image url" in error.status_msg


def test_malformed_base64_is_refused(intake: PillowImageIntake) -> None:
    error = refused(intake, "data:image/png;base64,iVBORw0KGgo*&^%")

    assert "invalid image url (malformed base64" in error.status_msg


def test_base64_wrapped_in_lines_is_accepted(intake: PillowImageIntake) -> None:
    text = base64.encodebytes(encode()).decode()  # 76-character lines

    assert intake.load(FIELD, "data:image/png;base64," + text).width == 640


@pytest.mark.parametrize(("size", "ok"), [((300, 500), False), ((301, 500), True)])
def test_the_short_side_must_be_over_300(
    intake: PillowImageIntake, size: tuple[int, int], ok: bool
) -> None:
    for w, h in (size, size[::-1]):
        source = data_url(encode((w, h)))
        if ok:
            assert (intake.load(FIELD, source).width, intake.load(FIELD, source).height) == (w, h)
        else:
            error = refused(intake, source)
            assert "minimum pixel on the short side of the image: 300px" in error.status_msg
            assert f"{w}x{h}" in error.status_msg


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        ((400, 1000), True),  # 2:5 exactly
        ((1000, 400), True),  # 5:2 exactly
        ((400, 1001), False),
        ((1001, 400), False),
        ((320, 1600), False),
    ],
)
def test_the_aspect_must_be_between_2_5_and_5_2(
    intake: PillowImageIntake, size: tuple[int, int], ok: bool
) -> None:
    source = data_url(encode(size))
    if ok:
        assert (intake.load(FIELD, source).width, intake.load(FIELD, source).height) == size
    else:
        assert "aspect ratio must be between 2:5 and 5:2" in refused(intake, source).status_msg


@pytest.mark.parametrize(("total", "ok"), [(MAX_IMAGE_BYTES - 1, True), (MAX_IMAGE_BYTES, False)])
def test_the_file_must_be_under_20_mb(intake: PillowImageIntake, total: int, ok: bool) -> None:
    source = data_url(padded(encode(fmt="JPEG"), total), label="jpeg")
    if ok:
        assert intake.load(FIELD, source).source_format == "JPEG"
    else:
        error = refused(intake, source)
        assert f"image is {MAX_IMAGE_BYTES} bytes; it must be under" in error.status_msg


def test_a_huge_data_url_is_refused_without_decoding(intake: PillowImageIntake) -> None:
    source = "data:image/png;base64," + "A" * (60 * 1024 * 1024)

    assert "it must be under" in refused(intake, source).status_msg


def test_every_violation_is_reported_at_once(intake: PillowImageIntake) -> None:
    source = data_url(padded(encode((200, 1000)), MAX_IMAGE_BYTES + 10))

    error = refused(intake, source)

    messages = [v.message for v in error.violations]
    assert len(messages) == 3, messages
    assert any("under 20971520 bytes" in m for m in messages)
    assert any("minimum pixel on the short side" in m for m in messages)
    assert any("aspect ratio" in m for m in messages)


def test_format_and_size_are_reported_together(intake: PillowImageIntake) -> None:
    error = refused(intake, data_url(padded(encode(fmt="GIF"), MAX_IMAGE_BYTES)))

    assert len(error.violations) == 2
