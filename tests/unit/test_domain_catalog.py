"""The model catalog against an independent transcription of MINIMAX_API.md §3, §9.1 and §11.1.

The expected tables below are written from the spec, not copied from ``catalog.py``: a change to the
catalog that drifts from the documented matrix must fail here.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import MappingProxyType

import pytest

from reelserve.domain import catalog, rules
from reelserve.domain.requests import GenerationRequest, Mode, SubjectReference

T2V, I2V, FL2V, S2V = Mode.T2V, Mode.I2V, Mode.FL2V, Mode.S2V

# §3 "Allowed (duration, resolution) pairs".
HAILUO = {"768P": {6, 10}, "1080P": {6}}
HAILUO_02_I2V = {"512P": {6, 10}, "768P": {6, 10}, "1080P": {6}}
SERIES_01 = {"720P": {6}}

EXPECTED_MATRIX: dict[tuple[str, Mode], dict[str, set[int]]] = {
    ("MiniMax-Hailuo-2.3", T2V): HAILUO,
    ("MiniMax-Hailuo-2.3", I2V): HAILUO,
    ("MiniMax-Hailuo-2.3-Fast", I2V): HAILUO,
    ("MiniMax-Hailuo-02", T2V): HAILUO,
    ("MiniMax-Hailuo-02", I2V): HAILUO_02_I2V,
    ("MiniMax-Hailuo-02", FL2V): HAILUO,
    ("T2V-01-Director", T2V): SERIES_01,
    ("T2V-01", T2V): SERIES_01,
    ("I2V-01-Director", I2V): SERIES_01,
    ("I2V-01-live", I2V): SERIES_01,
    ("I2V-01", I2V): SERIES_01,
    ("S2V-01", S2V): SERIES_01,  # "assume 6 s, 720P [3P]"
    ("video-01", T2V): SERIES_01,  # legacy, still accepted upstream
    ("video-01", I2V): SERIES_01,
}

MODEL_NAMES = (
    "MiniMax-Hailuo-2.3",
    "MiniMax-Hailuo-2.3-Fast",
    "MiniMax-Hailuo-02",
    "T2V-01-Director",
    "T2V-01",
    "I2V-01-Director",
    "I2V-01-live",
    "I2V-01",
    "S2V-01",
    "video-01",
)
DIALECT_MODELS = {"sora-2", "sora-2-pro", "MiniMax-H3"}  # tests/dialects/test_catalog.py
HAILUO_MODELS = {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-2.3-Fast", "MiniMax-Hailuo-02"}
CAMERA_MODELS = HAILUO_MODELS | {"T2V-01-Director", "I2V-01-Director"}  # §3 / §6

DURATIONS = (1, 5, 6, 7, 10, 15)
RESOLUTIONS = ("360P", "512P", "720P", "768P", "1080P", "4K")

# §9.1, USD per video.
EXPECTED_PRICES: dict[str, dict[tuple[str, int], str]] = {
    "MiniMax-Hailuo-2.3": {("768P", 6): "0.28", ("768P", 10): "0.56", ("1080P", 6): "0.49"},
    "MiniMax-Hailuo-2.3-Fast": {("768P", 6): "0.19", ("768P", 10): "0.32", ("1080P", 6): "0.33"},
    "MiniMax-Hailuo-02": {
        ("512P", 6): "0.10",
        ("512P", 10): "0.15",
        ("768P", 6): "0.28",
        ("768P", 10): "0.56",
        ("1080P", 6): "0.49",
    },
}

# §11.1: the Vtrix / SeaArt gateway ids of seed 002.
EXPECTED_ALIASES = {
    "minimax_hailuo_02": "MiniMax-Hailuo-02",
    "minimax_hailuo_02_i2v": "MiniMax-Hailuo-02",
    "minimax_hailuo_23_i2v": "MiniMax-Hailuo-2.3",
    "minimax_hailuo_23_fast_i2v": "MiniMax-Hailuo-2.3-Fast",
    "minimax_i2v_01": "I2V-01",
    "minimax_i2v_01_live": "I2V-01-live",
    "minimax_i2v_01_director": "I2V-01-Director",
    "minimax_t2v_01": "T2V-01",
    "minimax_t2v_01_director": "T2V-01-Director",
}


def request_for(model: str, mode: Mode, **fields: object) -> GenerationRequest:
    """A request of ``mode`` that breaks no rule except, perhaps, those of ``fields``."""
    by_mode: dict[Mode, dict[str, object]] = {
        T2V: {},
        I2V: {"first_frame_image": "https://example.com/first.png"},
        FL2V: {
            "first_frame_image": "https://example.com/first.png",
            "last_frame_image": "https://example.com/last.png",
        },
        S2V: {
            "subject_reference": (
                SubjectReference(type="character", images=("https://example.com/face.png",)),
            )
        },
    }
    images = by_mode[mode]
    return GenerationRequest(model=model, prompt="a red fox in the snow", **images, **fields)  # type: ignore[arg-type]


def test_the_catalog_holds_exactly_the_documented_models() -> None:
    assert set(catalog.MODELS) == set(MODEL_NAMES) | DIALECT_MODELS
    for name, spec in catalog.MODELS.items():
        assert spec.name == name


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_each_model_supports_exactly_its_documented_modes(name: str) -> None:
    spec = catalog.MODELS[name]
    expected = {mode for (model, mode) in EXPECTED_MATRIX if model == name}
    assert set(spec.modes) == expected
    for mode in Mode:
        assert spec.supports(mode) is (mode in expected)


@pytest.mark.parametrize(("name", "mode"), list(EXPECTED_MATRIX))
def test_each_matrix_matches_the_spec(name: str, mode: Mode) -> None:
    matrix = catalog.MODELS[name].matrix(mode)
    assert {res: set(durations) for res, durations in matrix.items()} == EXPECTED_MATRIX[
        (name, mode)
    ]


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_mode_duration_resolution(name: str, mode: Mode, resolution: str) -> None:
    matrix = EXPECTED_MATRIX.get((name, mode))
    for duration in DURATIONS:  # a loop, not a parameter: 1,440 test ids would slow the suite
        case = f"{name} {mode.value} {duration} s {resolution}"
        request = request_for(name, mode, duration=duration, resolution=resolution)
        found = rules.validate(request)
        messages = " | ".join(v.message for v in found)
        if matrix is None:
            assert [v.field for v in found] == ["model"], case
            assert name in messages and mode.value in messages, case
        elif mode is Mode.S2V:  # S2V has neither field: both are ignored, with a warning
            assert found == [], case
            assert len(rules.resolve(request).warnings) == 2, case
        elif resolution not in matrix:
            # the duration is judged against every resolution of the mode, in the same answer
            any_duration = any(duration in allowed for allowed in matrix.values())
            fields = ["resolution"] if any_duration else ["resolution", "duration"]
            assert [v.field for v in found] == fields, case
            assert repr(resolution) in messages, case
            assert ", ".join(matrix) in messages, case  # the allowed values are named
        elif duration not in matrix[resolution]:
            assert [v.field for v in found] == ["duration"], case
            assert repr(duration) in messages and resolution in messages, case
        else:
            assert found == [], case
            resolved = rules.resolve(request)
            assert (resolved.duration, resolved.resolution) == (duration, resolution), case
            assert resolved.frame_count == duration * 25, case


DEFAULT_RESOLUTION = {name: "768P" if name in HAILUO_MODELS else "720P" for name in MODEL_NAMES}


@pytest.mark.parametrize(("name", "mode"), list(EXPECTED_MATRIX))
def test_defaults_are_6_seconds_at_the_documented_resolution(name: str, mode: Mode) -> None:
    spec = catalog.MODELS[name]
    assert spec.default_resolution == DEFAULT_RESOLUTION[name]
    assert catalog.default_resolution(spec, mode) == DEFAULT_RESOLUTION[name]
    resolved = rules.resolve(request_for(name, mode))
    assert resolved.duration == catalog.DEFAULT_DURATION == 6
    assert resolved.resolution == DEFAULT_RESOLUTION[name]
    assert resolved.frame_count == 6 * catalog.FPS == 150


def test_default_resolution_falls_back_to_the_first_allowed_one() -> None:
    # No shipped model needs this, but a model whose default is missing from a mode's matrix
    # must still resolve to a resolution that mode allows.
    spec = catalog.ModelSpec(
        name="x",
        modes=MappingProxyType({I2V: MappingProxyType({"512P": (6,), "768P": (6,)})}),
        default_resolution="1080P",
        camera_directives=False,
        prices=MappingProxyType({}),
    )
    assert catalog.default_resolution(spec, I2V) == "512P"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_camera_directive_support(name: str) -> None:
    assert catalog.MODELS[name].camera_directives is (name in CAMERA_MODELS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_only_video_01_is_legacy(name: str) -> None:
    assert catalog.MODELS[name].legacy is (name == "video-01")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_prices(name: str) -> None:
    spec = catalog.MODELS[name]
    assert spec.prices_verified is (name in EXPECTED_PRICES)
    for resolution, duration in itertools.product(RESOLUTIONS, DURATIONS):
        expected = EXPECTED_PRICES.get(name, {}).get((resolution, duration), "0")
        assert spec.price(resolution, duration) == Decimal(expected), (resolution, duration)


@pytest.mark.parametrize(("name", "mode"), list(EXPECTED_MATRIX))
def test_every_allowed_combination_of_a_priced_model_has_a_price(name: str, mode: Mode) -> None:
    spec = catalog.MODELS[name]
    for resolution, durations in spec.matrix(mode).items():
        for duration in durations:
            price = spec.price(resolution, duration)
            assert (price > 0) is spec.prices_verified


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize(
    "spelling",
    [str, str.lower, str.upper, str.swapcase, lambda s: f"  {s}  ", lambda s: f"\t{s.upper()}\n"],
)
def test_lookup_of_a_model_name_in_any_case(name: str, spelling: object) -> None:
    assert callable(spelling)
    spec = catalog.lookup(spelling(name))
    assert spec is catalog.MODELS[name]


@pytest.mark.parametrize(("alias", "canonical"), list(EXPECTED_ALIASES.items()))
def test_every_seed_002_alias_resolves(alias: str, canonical: str) -> None:
    assert dict(catalog.ALIASES) == EXPECTED_ALIASES
    assert catalog.lookup(alias) is catalog.MODELS[canonical]
    assert catalog.lookup(alias.upper()) is catalog.MODELS[canonical]
    assert catalog.lookup(f" {alias} ") is catalog.MODELS[canonical]


def test_an_alias_request_is_validated_against_its_model() -> None:
    assert rules.validate(request_for("minimax_hailuo_02_i2v", I2V, resolution="512P")) == []
    found = rules.validate(request_for("minimax_hailuo_23_fast_i2v", T2V))
    assert [v.field for v in found] == ["first_frame_image"]
    assert "minimax_hailuo_23_fast_i2v" in found[0].message


@pytest.mark.parametrize("alias", [a for a in catalog.ALIASES if "i2v" in a])
def test_an_image_to_video_alias_without_an_image_is_refused(alias: str) -> None:
    """Seed 002: ``minimax_hailuo_02_i2v`` names the mode; its model also makes t2v, but not
    under this name (issue 17 §6)."""
    found = rules.validate(request_for(alias, T2V))
    assert [v.field for v in found] == ["first_frame_image"]
    assert found[0].message == (
        f"first_frame_image: is required for model {alias!r} (an image-to-video model)"
    )
    assert rules.validate(request_for("minimax_hailuo_02", T2V)) == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "MiniMax-Hailuo-03",
        "MiniMax-Hailuo",
        "Hailuo-02",
        "minimax_hailuo_2.3",
        "MiniMax-H4",
        "minimax_hailuo_02_t2v",
        "video-02",
        "MiniMax-Hailuo-02x",
    ],
)
def test_unknown_names(name: str) -> None:
    assert catalog.lookup(name) is None
    found = rules.validate(request_for(name, T2V))
    assert [v.field for v in found] == ["model"]
    assert repr(name) in found[0].message
    assert "MiniMax-Hailuo-2.3" in found[0].message  # the known models are listed


def test_constants() -> None:
    assert catalog.FPS == 25
    assert catalog.RESOLUTIONS == ("512P", "720P", "768P", "1080P")
    assert catalog.DEFAULT_DURATION == 6


def test_the_tables_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        catalog.MODELS["x"] = catalog.MODELS["T2V-01"]  # type: ignore[index]
    with pytest.raises(TypeError):
        catalog.ALIASES["x"] = "T2V-01"  # type: ignore[index]
    with pytest.raises(TypeError):
        catalog.MODELS["T2V-01"].matrix(T2V)["4K"] = (6,)  # type: ignore[index]
