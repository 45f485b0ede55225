"""Mode detection (MINIMAX_API.md §2.1): the fields a request carries decide its mode."""

from __future__ import annotations

import itertools

import pytest

from reelserve.domain.requests import GenerationRequest, Mode, SubjectReference, detect_mode

SUBJECT = (SubjectReference(type="character", images=("https://example.com/face.png",)),)


def expected_mode(first: bool, last: bool, subject: bool) -> Mode:
    # §2.1: subject_reference → S2V; else last frame → FL2V; else first frame → I2V; else T2V.
    if subject:
        return Mode.S2V
    if last:
        return Mode.FL2V
    if first:
        return Mode.I2V
    return Mode.T2V


@pytest.mark.parametrize(
    ("first", "last", "subject", "prompt"),
    list(itertools.product([False, True], [False, True], [False, True], [None, "a fox"])),
)
def test_detect_mode_for_every_combination_of_fields(
    first: bool, last: bool, subject: bool, prompt: str | None
) -> None:
    request = GenerationRequest(
        model="MiniMax-Hailuo-02",
        prompt=prompt,
        first_frame_image="https://example.com/a.png" if first else None,
        last_frame_image="https://example.com/b.png" if last else None,
        subject_reference=SUBJECT if subject else None,
    )
    assert detect_mode(request) is expected_mode(first, last, subject)


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        # Presence decides, not content: an empty string or empty list still picks the mode (and
        # the rules then refuse the empty value, naming the field).
        ({"first_frame_image": ""}, Mode.I2V),
        ({"last_frame_image": ""}, Mode.FL2V),
        ({"subject_reference": ()}, Mode.S2V),
        ({"duration": 10, "resolution": "1080P"}, Mode.T2V),
        ({"callback_url": "https://example.com/cb", "aigc_watermark": True}, Mode.T2V),
    ],
)
def test_detect_mode_looks_at_presence(fields: dict[str, object], mode: Mode) -> None:
    assert detect_mode(GenerationRequest(model="m", **fields)) is mode  # type: ignore[arg-type]


def test_mode_values_and_image_use() -> None:
    assert [m.value for m in Mode] == ["t2v", "i2v", "fl2v", "s2v"]
    assert [m.uses_images for m in Mode] == [False, True, True, True]
    assert Mode("fl2v") is Mode.FL2V


def test_request_defaults_follow_the_spec() -> None:
    request = GenerationRequest(model="MiniMax-Hailuo-2.3")
    assert request.prompt_optimizer is True
    assert request.fast_pretreatment is False
    assert request.aigc_watermark is False
    assert request.duration is None and request.resolution is None
    assert request.extra == {}
    assert GenerationRequest(model="m").extra is not request.extra  # no shared default


def test_request_is_frozen() -> None:
    request = GenerationRequest(model="m")
    with pytest.raises(AttributeError):
        request.model = "n"  # type: ignore[misc]
