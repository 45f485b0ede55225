"""Request rules (MINIMAX_API.md §2.1, §2.1.1, §3, §7): every violation, its field and its words."""

from __future__ import annotations

import pytest

from reelserve.domain import rules
from reelserve.domain.camera import CameraMove
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.requests import GenerationRequest, Mode, SubjectReference

URL = "https://example.com/frame.png"
FACE = SubjectReference(type="character", images=("https://example.com/face.png",))


def req(**fields: object) -> GenerationRequest:
    fields.setdefault("model", "MiniMax-Hailuo-02")
    return GenerationRequest(**fields)  # type: ignore[arg-type]


def fields_of(found: list[Violation]) -> list[str]:
    return [v.field for v in found]


# --- one rule at a time -----------------------------------------------------------------------

# (request fields, the one violated field, words the message must contain)
SINGLE_VIOLATIONS: list[tuple[dict[str, object], str, tuple[str, ...]]] = [
    ({"model": "veo-3", "prompt": "x"}, "model", ("unsupported model", "'veo-3'")),
    (
        {"model": "MiniMax-Hailuo-2.3-Fast", "prompt": "x"},
        "model",
        ("'MiniMax-Hailuo-2.3-Fast'", "text-to-video", "i2v"),
    ),
    (
        {"model": "T2V-01", "first_frame_image": URL},
        "model",
        ("'T2V-01'", "image-to-video", "first_frame_image", "t2v"),
    ),
    (
        {"model": "MiniMax-Hailuo-2.3", "first_frame_image": URL, "last_frame_image": URL},
        "model",
        ("'MiniMax-Hailuo-2.3'", "fl2v", "last_frame_image"),
    ),
    (
        {"model": "MiniMax-Hailuo-02", "subject_reference": (FACE,)},
        "model",
        ("'MiniMax-Hailuo-02'", "subject_reference", "s2v"),
    ),
    (
        {"prompt": "x", "resolution": "720P"},
        "resolution",
        ("resolution", "'720P'", "MiniMax-Hailuo-02", "t2v", "768P, 1080P"),
    ),
    (
        {"prompt": "x", "resolution": "768p"},  # the enum is exact
        "resolution",
        ("resolution", "'768p'"),
    ),
    (
        {"prompt": "x", "resolution": "512P"},  # 512P is Hailuo-02 I2V only
        "resolution",
        ("resolution", "'512P'", "t2v"),
    ),
    (
        {"first_frame_image": URL, "last_frame_image": URL, "resolution": "512P"},
        "resolution",
        ("resolution", "'512P'", "fl2v", "768P, 1080P"),
    ),
    (
        {"prompt": "x", "resolution": "1080P", "duration": 10},
        "duration",
        ("duration", "10", "1080P", "allowed: 6"),
    ),
    (
        {"model": "T2V-01", "prompt": "x", "duration": 10},
        "duration",
        ("duration", "10", "720P", "T2V-01"),
    ),
    ({"prompt": "x", "duration": 7}, "duration", ("duration", "7", "allowed: 6, 10")),
    ({"prompt": "x", "duration": 0}, "duration", ("duration", "0")),
    ({"prompt": "x", "duration": -6}, "duration", ("duration", "-6")),
    ({}, "prompt", ("prompt", "required")),
    ({"prompt": ""}, "prompt", ("prompt", "required")),
    ({"prompt": " \n\t "}, "prompt", ("prompt", "required")),
    ({"prompt": "x" * 2001}, "prompt", ("prompt", "2001", "2000")),
    ({"first_frame_image": URL, "prompt": "é" * 2001}, "prompt", ("prompt", "2001")),
    (
        {"last_frame_image": URL},
        "first_frame_image",
        ("first_frame_image", "required", "last_frame_image"),
    ),
    ({"first_frame_image": ""}, "first_frame_image", ("first_frame_image", "empty")),
    ({"first_frame_image": "  "}, "first_frame_image", ("first_frame_image", "empty")),
    (
        {"first_frame_image": URL, "last_frame_image": ""},
        "last_frame_image",
        ("last_frame_image", "empty"),
    ),
    (
        {"model": "S2V-01", "subject_reference": ()},
        "subject_reference",
        ("subject_reference", "exactly 1", "got 0"),
    ),
    (
        {"model": "S2V-01", "subject_reference": (FACE, FACE)},
        "subject_reference",
        ("subject_reference", "exactly 1", "got 2"),
    ),
    (
        {"model": "S2V-01", "subject_reference": (SubjectReference(type="object", images=(URL,)),)},
        "subject_reference[0].type",
        ("subject_reference[0].type", "'object'", "'character'"),
    ),
    (
        {"model": "S2V-01", "subject_reference": (SubjectReference(type="character", images=()),)},
        "subject_reference[0].image",
        ("subject_reference[0].image", "exactly 1 image", "got 0"),
    ),
    (
        {
            "model": "S2V-01",
            "subject_reference": (SubjectReference(type="character", images=(URL, URL)),),
        },
        "subject_reference[0].image",
        ("subject_reference[0].image", "got 2"),
    ),
]


@pytest.mark.parametrize(("fields", "field", "words"), SINGLE_VIOLATIONS)
def test_each_violation_names_its_field_and_value(
    fields: dict[str, object], field: str, words: tuple[str, ...]
) -> None:
    found = rules.validate(req(**fields))
    assert fields_of(found) == [field]
    assert found[0].message.startswith(field) or field in found[0].message
    for word in words:
        assert word in found[0].message
    with pytest.raises(InvalidParams) as caught:
        rules.resolve(req(**fields))
    assert caught.value.violations == tuple(found)
    assert caught.value.code == 2013
    assert caught.value.status_msg == f"invalid params, {found[0].message}"


VALID: list[dict[str, object]] = [
    {"prompt": "x"},
    {"prompt": "x" * 2000},  # the limit itself is allowed
    {"prompt": "é" * 2000},  # characters, not bytes
    {"first_frame_image": URL},  # the prompt is optional for image modes
    {"first_frame_image": URL, "prompt": ""},
    {"first_frame_image": URL, "last_frame_image": URL},
    {"first_frame_image": URL, "resolution": "512P", "duration": 10},
    {"prompt": "x", "resolution": "1080P", "duration": 6},
    {"prompt": "x", "resolution": "768P", "duration": 10},
    {"model": "S2V-01", "subject_reference": (FACE,)},
    {"model": "S2V-01", "subject_reference": (FACE,), "prompt": "she winks"},
    {"model": "minimax_hailuo_02_i2v", "first_frame_image": URL},
    {"model": "video-01", "prompt": "x"},
    {"model": "I2V-01-live", "first_frame_image": URL, "callback_url": "https://e.com/cb"},
]


@pytest.mark.parametrize("fields", VALID)
def test_valid_requests(fields: dict[str, object]) -> None:
    request = req(**fields)
    assert rules.validate(request) == []
    resolved = rules.resolve(request)
    assert resolved.request is request
    assert resolved.spec.supports(resolved.mode)
    assert resolved.duration in resolved.spec.matrix(resolved.mode)[resolved.resolution]


# --- several at once --------------------------------------------------------------------------


def test_every_violation_is_reported_at_once() -> None:
    request = req(
        model="MiniMax-Hailuo-02",
        prompt="x" * 2001,
        last_frame_image=" ",
        resolution="4K",
    )
    found = rules.validate(request)
    assert fields_of(found) == ["resolution", "prompt", "first_frame_image", "last_frame_image"]
    with pytest.raises(InvalidParams) as caught:
        rules.resolve(request)
    message = caught.value.status_msg
    assert message.startswith("invalid params, ")
    assert message == "invalid params, " + "; ".join(v.message for v in found)


def test_an_unknown_model_does_not_hide_the_other_violations() -> None:
    found = rules.validate(req(model="nope", duration=-1, prompt=None))
    assert fields_of(found) == ["model", "duration", "prompt"]


def test_s2v_reports_every_bad_subject() -> None:
    bad = SubjectReference(type="object", images=())
    found = rules.validate(req(model="S2V-01", subject_reference=(bad, FACE, bad)))
    assert fields_of(found) == [
        "subject_reference",
        "subject_reference[0].type",
        "subject_reference[0].image",
        "subject_reference[2].type",
        "subject_reference[2].image",
    ]


def test_a_non_positive_duration_is_reported_once() -> None:
    found = rules.validate(req(prompt="x", duration=0))
    assert fields_of(found) == ["duration"]


def test_fl2v_without_a_first_frame_on_a_model_without_fl2v() -> None:
    found = rules.validate(req(model="MiniMax-Hailuo-2.3", last_frame_image=URL))
    assert fields_of(found) == ["model", "first_frame_image"]


# --- resolve ----------------------------------------------------------------------------------


def test_resolve_fills_the_defaults_and_parses_the_camera_plan() -> None:
    resolved = rules.resolve(
        req(model="minimax_hailuo_23_i2v", first_frame_image=URL, prompt="a cat [Push in] [Zoom]")
    )
    assert resolved.spec.name == "MiniMax-Hailuo-2.3"
    assert resolved.mode is Mode.I2V
    assert (resolved.duration, resolved.resolution, resolved.frame_count) == (6, "768P", 150)
    assert resolved.plan.moves == (CameraMove.PUSH_IN,)
    assert resolved.plan.prompt == "a cat [Zoom]"
    assert resolved.warnings == resolved.plan.warnings
    assert len(resolved.warnings) == 1 and "'Zoom'" in resolved.warnings[0]


def test_resolve_without_a_prompt_has_an_empty_plan() -> None:
    resolved = rules.resolve(req(first_frame_image=URL))
    assert resolved.plan.is_empty and resolved.plan.prompt == "" and resolved.warnings == ()


def test_resolve_keeps_an_explicit_duration_and_resolution() -> None:
    resolved = rules.resolve(req(first_frame_image=URL, duration=10, resolution="512P"))
    assert (resolved.duration, resolved.resolution, resolved.frame_count) == (10, "512P", 250)


# --- images (§2.1.1) --------------------------------------------------------------------------

MB20 = 20 * 1024 * 1024

# (fmt, width, height, nbytes, the words of each expected violation)
IMAGE_CASES: list[tuple[str | None, int, int, int, list[tuple[str, ...]]]] = [
    ("JPEG", 1280, 720, 100_000, []),
    ("PNG", 1280, 720, 100_000, []),
    ("WEBP", 1280, 720, 100_000, []),
    ("jpeg", 1280, 720, 100_000, []),  # a decoder's spelling, not a label: case does not matter
    ("JPG", 1280, 720, 100_000, []),
    ("MPO", 1280, 720, 100_000, []),  # Pillow's name for many camera JPEGs
    ("GIF", 1280, 720, 100_000, [("format GIF", "JPG, PNG or WebP")]),
    ("BMP", 1280, 720, 100_000, [("format BMP",)]),
    (None, 1280, 720, 100_000, [("format unknown",)]),
    ("", 1280, 720, 100_000, [("format unknown",)]),
    # size < 20 MB
    ("PNG", 1280, 720, MB20 - 1, []),
    ("PNG", 1280, 720, MB20, [(str(MB20), "20 MB")]),
    ("PNG", 1280, 720, MB20 + 1, [(str(MB20 + 1),)]),
    # short side > 300 px
    ("PNG", 301, 301, 1000, []),
    ("PNG", 300, 300, 1000, [("300x300", "300px")]),
    ("PNG", 700, 300, 1000, [("700x300", "short side")]),
    ("PNG", 300, 700, 1000, [("300x700", "short side")]),
    ("PNG", 301, 700, 1000, []),
    ("PNG", 1, 1, 1000, [("1x1",)]),
    # aspect ratio between 2:5 and 5:2, both ends included
    ("PNG", 400, 1000, 1000, []),
    ("PNG", 1000, 400, 1000, []),
    ("PNG", 602, 1505, 1000, []),
    ("PNG", 1505, 602, 1000, []),
    ("PNG", 399, 1000, 1000, [("399x1000", "2:5 and 5:2", "0.399")]),
    ("PNG", 1001, 400, 1000, [("1001x400", "2:5 and 5:2", "2.502")]),
    ("PNG", 4000, 301, 1000, [("4000x301", "aspect")]),
    # unknown dimensions (0) skip the pixel rules; the others still apply
    ("PNG", 0, 0, 1000, []),
    ("PNG", 0, 720, 1000, []),
    (None, 0, 0, MB20, [("format unknown",), ("20 MB",)]),
    # everything wrong at once
    (
        "GIF",
        200,
        1000,
        MB20 * 2,
        [("format GIF",), (str(MB20 * 2),), ("200x1000", "300px"), ("200x1000", "aspect")],
    ),
]


@pytest.mark.parametrize(("fmt", "width", "height", "nbytes", "expected"), IMAGE_CASES)
def test_image_violations(
    fmt: str | None, width: int, height: int, nbytes: int, expected: list[tuple[str, ...]]
) -> None:
    found = rules.image_violations(
        "first_frame_image", fmt=fmt, width=width, height=height, nbytes=nbytes
    )
    assert len(found) == len(expected), found
    for violation, words in zip(found, expected, strict=True):
        assert violation.field == "first_frame_image"
        assert violation.message.startswith("first_frame_image: ")
        for word in words:
            assert word in violation.message


def test_image_violations_name_the_field_they_were_given() -> None:
    found = rules.image_violations(
        "subject_reference[0].image", fmt="GIF", width=10, height=10, nbytes=1
    )
    assert {v.field for v in found} == {"subject_reference[0].image"}
    assert all(v.message.startswith("subject_reference[0].image: ") for v in found)


def test_rule_constants() -> None:
    assert rules.MAX_PROMPT_CHARS == 2000
    assert rules.MAX_IMAGE_BYTES == 20 * 1024 * 1024
    assert rules.MIN_SHORT_SIDE == 300
    assert rules.IMAGE_FORMATS == ("JPEG", "PNG", "WEBP")
