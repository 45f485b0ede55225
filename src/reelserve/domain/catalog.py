"""The model catalog: names, aliases, modes, the duration × resolution matrix, defaults, prices.

Source: MINIMAX_API.md §3 (models and matrix), §9.1 (USD prices), §11.1 (gateway ids of seed 002).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from reelserve.domain.requests import Mode

FPS = 25  # MINIMAX_API.md §4: 25 fps (UNVERIFIED upstream; every observed clip is 25 fps)
RESOLUTIONS = ("512P", "720P", "768P", "1080P")
DEFAULT_DURATION = 6
PROMPT_CHARS = 2000  # MINIMAX_API.md §2: the v1 models' prompt limit
V2_PROMPT_CHARS = 7000  # DIALECTS.md §2: a V2 text item

Matrix = Mapping[str, tuple[int, ...]]  # resolution -> allowed durations


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    name: str
    modes: Mapping[Mode, Matrix]
    default_resolution: str
    camera_directives: bool
    prices: Mapping[tuple[str, int], Decimal]  # (resolution, duration) -> USD per video
    prices_verified: bool = True
    legacy: bool = False
    fps: int = FPS
    default_duration: int = DEFAULT_DURATION
    sizes: tuple[str, ...] = ()  # exact "WxH" output sizes (OpenAI's models); () = by geometry
    dialects: frozenset[str] | None = None  # the only wire dialects that serve it; None = all
    max_prompt_chars: int = PROMPT_CHARS
    last_frame_alone: bool = False  # fl2v may come without a first frame (V2: DIALECTS.md §2)

    def supports(self, mode: Mode) -> bool:
        return mode in self.modes

    def matrix(self, mode: Mode) -> Matrix:
        return self.modes[mode]

    def price(self, resolution: str, duration: int) -> Decimal:
        return self.prices.get((resolution, duration), Decimal("0"))


def _m(table: dict[str, tuple[int, ...]]) -> Matrix:
    return MappingProxyType(table)


def _p(table: dict[tuple[str, int], str]) -> Mapping[tuple[str, int], Decimal]:
    return MappingProxyType({k: Decimal(v) for k, v in table.items()})


_HAILUO = _m({"768P": (6, 10), "1080P": (6,)})
_HAILUO_02_I2V = _m({"512P": (6, 10), "768P": (6, 10), "1080P": (6,)})
_SERIES_01 = _m({"720P": (6,)})
_S2V = _m({"720P": (6,)})  # S2V has no duration/resolution fields; assume 6 s, 720P [3P]

_PRICE_23 = _p({("768P", 6): "0.28", ("768P", 10): "0.56", ("1080P", 6): "0.49"})
_PRICE_23_FAST = _p({("768P", 6): "0.19", ("768P", 10): "0.32", ("1080P", 6): "0.33"})
_PRICE_02 = _p(
    {
        ("512P", 6): "0.10",
        ("512P", 10): "0.15",
        ("768P", 6): "0.28",
        ("768P", 10): "0.56",
        ("1080P", 6): "0.49",
    }
)


def _per_second(matrix: Matrix, usd: Mapping[str, str]) -> Mapping[tuple[str, int], Decimal]:
    return MappingProxyType(
        {(res, d): Decimal(usd[res]) * d for res, durations in matrix.items() for d in durations}
    )


# OpenAI's Videos models (DIALECTS.md §1): seconds 4/8/12; "1024P" names the 1024x1792 sizes.
_SORA = _m({"720P": (4, 8, 12)})
_SORA_PRO = _m({"720P": (4, 8, 12), "1024P": (4, 8, 12)})
_PRICE_SORA = _per_second(_SORA, {"720P": "0.10"})  # OpenAI's list price per second
_PRICE_SORA_PRO = _per_second(_SORA_PRO, {"720P": "0.30", "1024P": "0.50"})
SORA_SIZES = ("720x1280", "1280x720")
SORA_PRO_SIZES = (*SORA_SIZES, "1024x1792", "1792x1024")
# MiniMax-H3 (DIALECTS.md §2): V2 only, 4–15 s at 768P or 2K, 24 fps. No public price found:
# the figures are placeholders (prices_verified is False).
_H3 = _m({"768P": tuple(range(4, 16)), "2K": tuple(range(4, 16))})
_PRICE_H3 = _per_second(_H3, {"768P": "0.05", "2K": "0.10"})
H3_RATIOS = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
V2_DIALECT = "minimax_v2"
_NO_PRICE = _p({})  # 01-series: no current public price (UNVERIFIED); charged 0


def _spec(
    name: str,
    modes: dict[Mode, Matrix],
    *,
    default_resolution: str,
    camera: bool,
    prices: Mapping[tuple[str, int], Decimal],
    legacy: bool = False,
    **more: object,
) -> ModelSpec:
    return ModelSpec(
        name=name,
        modes=MappingProxyType(modes),
        default_resolution=default_resolution,
        camera_directives=camera,
        prices=prices,
        prices_verified=bool(prices),
        legacy=legacy,
        **more,  # type: ignore[arg-type]
    )


MODELS: Mapping[str, ModelSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec(
                "MiniMax-Hailuo-2.3",
                {Mode.T2V: _HAILUO, Mode.I2V: _HAILUO},
                default_resolution="768P",
                camera=True,
                prices=_PRICE_23,
            ),
            _spec(
                "MiniMax-Hailuo-2.3-Fast",
                {Mode.I2V: _HAILUO},
                default_resolution="768P",
                camera=True,
                prices=_PRICE_23_FAST,
            ),
            _spec(
                "MiniMax-Hailuo-02",
                {Mode.T2V: _HAILUO, Mode.I2V: _HAILUO_02_I2V, Mode.FL2V: _HAILUO},
                default_resolution="768P",
                camera=True,
                prices=_PRICE_02,
            ),
            _spec(
                "T2V-01-Director",
                {Mode.T2V: _SERIES_01},
                default_resolution="720P",
                camera=True,
                prices=_NO_PRICE,
            ),
            _spec(
                "T2V-01",
                {Mode.T2V: _SERIES_01},
                default_resolution="720P",
                camera=False,
                prices=_NO_PRICE,
            ),
            _spec(
                "I2V-01-Director",
                {Mode.I2V: _SERIES_01},
                default_resolution="720P",
                camera=True,
                prices=_NO_PRICE,
            ),
            _spec(
                "I2V-01-live",
                {Mode.I2V: _SERIES_01},
                default_resolution="720P",
                camera=False,
                prices=_NO_PRICE,
            ),
            _spec(
                "I2V-01",
                {Mode.I2V: _SERIES_01},
                default_resolution="720P",
                camera=False,
                prices=_NO_PRICE,
            ),
            _spec(
                "S2V-01",
                {Mode.S2V: _S2V},
                default_resolution="720P",
                camera=False,
                prices=_NO_PRICE,
            ),
            _spec(
                "sora-2",
                {Mode.T2V: _SORA, Mode.I2V: _SORA},
                default_resolution="720P",
                camera=False,
                prices=_PRICE_SORA,
                default_duration=4,
                sizes=SORA_SIZES,
            ),
            _spec(
                "sora-2-pro",
                {Mode.T2V: _SORA_PRO, Mode.I2V: _SORA_PRO},
                default_resolution="720P",
                camera=False,
                prices=_PRICE_SORA_PRO,
                default_duration=4,
                sizes=SORA_PRO_SIZES,
            ),
            ModelSpec(
                name="MiniMax-H3",
                modes=MappingProxyType({Mode.T2V: _H3, Mode.I2V: _H3, Mode.FL2V: _H3}),
                default_resolution="768P",
                camera_directives=False,
                prices=_PRICE_H3,
                prices_verified=False,
                fps=24,
                default_duration=5,
                dialects=frozenset({V2_DIALECT}),
                max_prompt_chars=V2_PROMPT_CHARS,
                last_frame_alone=True,
            ),
            # Removed from current docs but still accepted upstream (MINIMAX_API.md §3 [OBS]).
            _spec(
                "video-01",
                {Mode.T2V: _SERIES_01, Mode.I2V: _SERIES_01},
                default_resolution="720P",
                camera=False,
                prices=_NO_PRICE,
                legacy=True,
            ),
        )
    }
)

# Seed 002 (Vtrix / SeaArt gateway) model ids, MINIMAX_API.md §11.1.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
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
)

_BY_LOWER = {name.lower(): name for name in (*MODELS, *ALIASES)}


def lookup(name: str) -> ModelSpec | None:
    """The model for a public name or alias; exact match first, then case-insensitive."""
    canonical = name if name in MODELS or name in ALIASES else _BY_LOWER.get(name.strip().lower())
    if canonical is None:
        return None
    return MODELS[ALIASES.get(canonical, canonical)]


def served_in(spec: ModelSpec, dialect: str) -> bool:
    return spec.dialects is None or dialect in spec.dialects


def default_resolution(spec: ModelSpec, mode: Mode) -> str:
    matrix = spec.matrix(mode)
    return spec.default_resolution if spec.default_resolution in matrix else next(iter(matrix))
