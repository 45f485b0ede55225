"""Normalisation: EXIF orientation, every colour mode to 8-bit RGB, cropping to an aspect."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.domain.errors import InvalidParams
from reelserve.domain.images import LoadedImage

from .helpers import data_url, decoded, encode

FIELD = "first_frame_image"
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def close_to(pixel: object, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def two_halves(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue."""
    im = Image.new(mode, size, RED if mode == "RGB" else (*RED, 255))
    im.paste(BLUE if mode == "RGB" else (*BLUE, 255), (size[0] // 2, 0, size[0], size[1]))
    return im


def saved(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, format=fmt, **options)
    return out.getvalue()


def test_exif_orientation_is_applied(intake: PillowImageIntake) -> None:
    stored = two_halves((400, 600))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    source = data_url(saved(stored, "JPEG", exif=exif, quality=95), "jpeg")

    image = intake.load(FIELD, source)

    assert (image.width, image.height) == (600, 400)
    rgb = decoded(image.png)
    assert rgb.size == (600, 400)
    assert close_to(rgb.getpixel((300, 50)), RED)  # the stored left side is now on top
    assert close_to(rgb.getpixel((300, 350)), BLUE)


def test_rgba_png_is_composited_on_white(intake: PillowImageIntake) -> None:
    im = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    im.paste((*RED, 255), (0, 0, 200, 400))
    im.paste((0, 0, 255, 128), (200, 0, 300, 400))  # half-transparent blue

    rgb = decoded(intake.load(FIELD, data_url(saved(im, "PNG"))).png)

    assert rgb.mode == "RGB"
    assert rgb.getpixel((100, 10)) == RED
    assert close_to(rgb.getpixel((250, 10)), (127, 127, 255), 2)
    assert rgb.getpixel((350, 10)) == WHITE


def test_palette_png_with_transparency(intake: PillowImageIntake) -> None:
    im = Image.new("P", (400, 400), 0)
    im.putpalette([*RED, *BLUE] + [0] * 762)
    im.paste(1, (200, 0, 400, 400))
    data = saved(im, "PNG", transparency=1)

    rgb = decoded(intake.load(FIELD, data_url(data)).png)

    assert rgb.getpixel((10, 10)) == RED
    assert rgb.getpixel((300, 10)) == WHITE


def test_palette_png_without_transparency(intake: PillowImageIntake) -> None:
    im = two_halves((400, 400)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)

    rgb = decoded(intake.load(FIELD, data_url(saved(im, "PNG"))).png)

    assert rgb.getpixel((10, 10)) == RED
    assert rgb.getpixel((390, 10)) == BLUE


@pytest.mark.parametrize(("value", "expected"), [(65535, 255), (32896, 128), (0, 0), (257, 1)])
def test_16_bit_grayscale_png_is_scaled_not_clipped(
    intake: PillowImageIntake, value: int, expected: int
) -> None:
    im = Image.fromarray(np.full((400, 400), value, dtype=np.uint16))
    data = saved(im, "PNG")
    assert data[24] == 16  # the PNG header says 16 bits per sample

    rgb = decoded(intake.load(FIELD, data_url(data)).png)

    assert rgb.getpixel((5, 5)) == (expected,) * 3


def test_cmyk_jpeg_becomes_rgb(intake: PillowImageIntake) -> None:
    data = encode((400, 400), fmt="JPEG", mode="CMYK", color=(0, 255, 255, 0), quality=95)

    image = intake.load(FIELD, data_url(data, "jpeg"))

    rgb = decoded(image.png)
    assert image.source_format == "JPEG"
    assert close_to(rgb.getpixel((200, 200)), RED)


@pytest.mark.parametrize(
    ("mode", "color", "expected"),
    [
        ("L", 100, (100, 100, 100)),
        ("LA", (100, 0), WHITE),
        ("1", 1, WHITE),
        ("RGB", BLUE, BLUE),
    ],
)
def test_other_png_modes(
    intake: PillowImageIntake, mode: str, color: object, expected: tuple[int, int, int]
) -> None:
    rgb = decoded(intake.load(FIELD, data_url(encode((400, 400), mode=mode, color=color))).png)

    assert rgb.getpixel((5, 5)) == expected


@pytest.mark.parametrize("lossless", [True, False])
def test_webp_with_alpha(intake: PillowImageIntake, lossless: bool) -> None:
    im = two_halves((400, 400), mode="RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 400, 100))
    data = saved(im, "WEBP", lossless=lossless, quality=95)

    image = intake.load(FIELD, data_url(data, "webp"))

    rgb = decoded(image.png)
    assert image.source_format == "WEBP"
    assert close_to(rgb.getpixel((10, 10)), WHITE)
    assert close_to(rgb.getpixel((10, 300)), RED)
    assert close_to(rgb.getpixel((390, 300)), BLUE)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_refused(intake: PillowImageIntake, fmt: str) -> None:
    noisy = Image.fromarray(np.random.default_rng(1).integers(0, 255, (400, 400, 3), np.uint8))
    data = saved(noisy, fmt)

    with pytest.raises(InvalidParams) as caught:
        intake.load(FIELD, data_url(data[: len(data) // 2]))

    assert caught.value.code == 2013
    assert (
        "truncated or corrupt" in caught.value.status_msg or "could not" in caught.value.status_msg
    )


def test_crop_to_aspect_keeps_the_centre(intake: PillowImageIntake) -> None:
    im = Image.new("RGB", (1000, 400), RED)
    im.paste(BLUE, (300, 0, 700, 400))
    image = intake.load("last_frame_image", data_url(saved(im, "PNG")))

    square = intake.crop_to_aspect(image, (1, 1))

    assert isinstance(square, LoadedImage)
    assert (square.width, square.height) == (400, 400)
    assert square.source_format == "PNG"
    rgb = decoded(square.png)
    assert rgb.size == (400, 400)
    assert rgb.getpixel((0, 200)) == BLUE and rgb.getpixel((399, 200)) == BLUE


def test_crop_to_a_taller_aspect(intake: PillowImageIntake) -> None:
    image = intake.load("last_frame_image", data_url(encode((800, 600))))

    tall = intake.crop_to_aspect(image, (9, 16))

    assert (tall.width, tall.height) == (338, 600)
    assert decoded(tall.png).size == (338, 600)


def test_crop_to_the_same_aspect_returns_the_image(intake: PillowImageIntake) -> None:
    image = intake.load("last_frame_image", data_url(encode((800, 600))))

    assert intake.crop_to_aspect(image, (4, 3)) is image


@pytest.mark.parametrize(
    ("size", "fmt", "expected"),
    [((3000, 2400), "PNG", (2700, 2160)), ((4400, 4400), "JPEG", (2160, 2160))],
)
def test_large_photos_are_scaled_to_a_short_side_of_2160(
    intake: PillowImageIntake, size: tuple[int, int], fmt: str, expected: tuple[int, int]
) -> None:
    image = intake.load(FIELD, data_url(encode(size, fmt=fmt, color=BLUE), fmt.lower()))

    assert (image.width, image.height) == expected
    rgb = decoded(image.png)
    assert rgb.size == expected
    assert close_to(rgb.getpixel((100, 100)), BLUE)


def test_scaling_can_be_turned_off(fetcher: HttpImageFetcher) -> None:
    intake = PillowImageIntake(fetcher, max_short_side=None)

    image = intake.load(FIELD, data_url(encode((3000, 2400))))

    assert (image.width, image.height) == (3000, 2400)


def test_an_upright_rgb_png_is_kept_byte_for_byte(intake: PillowImageIntake) -> None:
    sent = encode((800, 450), "PNG", "RGB", (10, 120, 200), compress_level=9)
    loaded = intake.load("first_frame_image", data_url(sent))
    assert loaded.png == sent  # no re-encode: the same pixels, ~0.1 s saved on a 1080P frame
    assert (loaded.width, loaded.height, loaded.source_format) == (800, 450, "PNG")


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_pngs_that_need_normalising_are_re_encoded(intake: PillowImageIntake, mode: str) -> None:
    color = {"RGBA": (10, 120, 200, 128), "L": 90, "P": 3}[mode]
    sent = encode((400, 320), "PNG", mode, color)
    loaded = intake.load("first_frame_image", data_url(sent))
    assert loaded.png != sent
    assert decoded(loaded.png).mode == "RGB"
