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
_NO_PRICE = _p({})  # 01-series: no current public price (UNVERIFIED); charged 0


def _spec(
    name: str,
    modes: dict[Mode, Matrix],
    *,
    default_resolution: str,
    camera: bool,
    prices: Mapping[tuple[str, int], Decimal],
    legacy: bool = False,
) -> ModelSpec:
    return ModelSpec(
        name=name,
        modes=MappingProxyType(modes),
        default_resolution=default_resolution,
        camera_directives=camera,
        prices=prices,
        prices_verified=bool(prices),
        legacy=legacy,
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


def default_resolution(spec: ModelSpec, mode: Mode) -> str:
    matrix = spec.matrix(mode)
    return spec.default_resolution if spec.default_resolution in matrix else next(iter(matrix))
