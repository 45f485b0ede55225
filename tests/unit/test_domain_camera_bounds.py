"""How far a camera plan may go (issue 16: 45 ``[Push in]`` made the renderer take 18 GB)."""

from __future__ import annotations

import pytest

from reelserve.domain import camera, rules
from reelserve.domain.camera import PlanLimits
from reelserve.domain.requests import GenerationRequest


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a cat", 1.0),
        ("[Push in]", 1.3),
        ("[Push in, Zoom in]", 1.3 * 1.4),
        ("[Push in] then [Pull out]", 1.3),  # back where it started: the range is one push
        ("[Pull out] then [Zoom out]", 1.3 * 1.4),  # shrinking counts as much as enlarging
        ("[Pan left] then [Shake] then [Static shot]", 1.0),
        ("[Tracking shot]", 1.06),
        ("[Zoom in] then [Zoom out] then [Zoom out]", 1.4 * 1.4),  # 1.4 down to 1/1.4
    ],
)
def test_magnification_range(prompt: str, expected: float) -> None:
    assert camera.magnification_range(camera.parse(prompt)) == pytest.approx(expected)


def test_a_modest_plan_breaks_no_limit() -> None:
    plan = camera.parse("[Push in] then [Pan left] then [Zoom in, Tilt up]")
    assert camera.plan_violations(plan, PlanLimits()) == []


def test_too_many_segments_names_the_count_and_the_limit() -> None:
    plan = camera.parse("[Pan left]" * 13)
    (violation,) = camera.plan_violations(plan, PlanLimits())
    assert violation.field == "prompt"
    assert "13 camera directives" in violation.message and "at most 12" in violation.message


def test_too_much_magnification_names_the_factor_and_the_limit() -> None:
    plan = camera.parse("[Push in, Zoom in]" * 5)  # 1.82^5 = 19.97
    (violation,) = camera.plan_violations(plan, PlanLimits())
    assert "magnify the picture 19.97 times" in violation.message
    assert "at most 16 times" in violation.message


def test_forty_five_push_ins_break_both_limits_at_validation() -> None:
    request = GenerationRequest(model="T2V-01", prompt="a lighthouse " + "[Push in]" * 45)
    (violation,) = rules.validate(request)
    assert violation.field == "prompt"
    assert "45 camera directives" in violation.message
    assert "at most 16 times" in violation.message


def test_the_limits_are_settings() -> None:
    request = GenerationRequest(model="T2V-01", prompt="[Push in]" * 3)
    assert rules.validate(request) == []
    tight = PlanLimits(max_segments=2, max_magnification=2.0)
    (violation,) = rules.validate(request, tight)
    assert "at most 2 are allowed" in violation.message
    assert "at most 2 times is allowed" in violation.message
