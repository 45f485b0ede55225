"""Storyboard palettes and props, picked from a few words of the prompt.

The first matching word picks the palette (light and season before place: "a city at night" is a
night scene); water, skyline and trees are added whenever the prompt mentions them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    sky_top: RGB
    horizon: RGB
    land: tuple[RGB, ...]  # far to near
    sun: RGB
    stars: bool = False
    water: bool = False
    city: bool = False
    trees: bool = False


THEMES: dict[str, Theme] = {
    "night": Theme(
        "night",
        (8, 12, 40),
        (48, 56, 110),
        ((40, 44, 88), (28, 30, 64), (16, 18, 40), (8, 9, 22)),
        (236, 236, 220),
        stars=True,
    ),
    "sunset": Theme(
        "sunset",
        (60, 40, 110),
        (250, 150, 80),
        ((150, 80, 110), (105, 55, 90), (70, 35, 65), (40, 20, 40)),
        (255, 210, 120),
    ),
    "sea": Theme(
        "sea",
        (70, 140, 220),
        (200, 225, 245),
        ((120, 150, 170), (30, 90, 150), (20, 70, 125), (12, 50, 95)),
        (255, 245, 200),
        water=True,
    ),
    "snow": Theme(
        "snow",
        (120, 160, 210),
        (230, 238, 248),
        ((190, 205, 225), (215, 225, 238), (235, 240, 248), (250, 252, 255)),
        (255, 250, 235),
    ),
    "desert": Theme(
        "desert",
        (90, 150, 220),
        (245, 220, 180),
        ((215, 170, 120), (205, 145, 90), (185, 120, 70), (160, 95, 55)),
        (255, 240, 200),
    ),
    "forest": Theme(
        "forest",
        (110, 170, 220),
        (215, 235, 220),
        ((110, 150, 130), (60, 115, 80), (35, 85, 55), (20, 55, 35)),
        (255, 245, 210),
        trees=True,
    ),
    "city": Theme(
        "city",
        (40, 60, 110),
        (235, 160, 120),
        ((95, 90, 120), (60, 60, 90), (35, 35, 60), (20, 20, 35)),
        (255, 220, 170),
        city=True,
    ),
    "day": Theme(
        "day",
        (80, 150, 230),
        (205, 230, 250),
        ((140, 170, 190), (95, 150, 110), (60, 120, 75), (35, 90, 50)),
        (255, 248, 215),
    ),
}

_CITY = ("city", "street", "building", "skyline", "town", "urban", "城市", "街")
_SEA = ("sea", "ocean", "beach", "wave", "lake", "river", "water", "海", "湖", "河")
_FOREST = ("forest", "tree", "wood", "jungle", "garden", "森林", "树")
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("night", ("night", "moon", "star", "dark", "夜", "月", "星")),
    ("sunset", ("sunset", "sunrise", "dusk", "dawn", "evening", "golden hour", "黄昏", "日落")),
    ("snow", ("snow", "winter", "ice", "glacier", "雪", "冬")),
    ("desert", ("desert", "sand", "dune", "沙漠")),
    ("city", _CITY),
    ("sea", _SEA),
    ("forest", _FOREST),
)


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def theme_for(prompt: str) -> Theme:
    lowered = prompt.lower()
    name = next((n for n, words in KEYWORDS if _mentions(lowered, words)), "day")
    return dataclasses.replace(
        THEMES[name],
        water=_mentions(lowered, _SEA),
        city=_mentions(lowered, _CITY),
        trees=_mentions(lowered, _FOREST),
    )
