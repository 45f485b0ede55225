"""The dialect models in the catalog, exact sizes, and V2's content[] rules (pure domain)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reelserve.domain import catalog, content, rules, sizes
from reelserve.domain.requests import GenerationRequest, Mode


def test_sora_models_have_openais_seconds_sizes_and_prices() -> None:
    sora, pro = catalog.MODELS["sora-2"], catalog.MODELS["sora-2-pro"]
    assert dict(sizes.sizes_of(sora)) == {"720x1280": "720P", "1280x720": "720P"}
    assert sizes.sizes_of(pro)["1792x1024"] == "1024P"
    assert sora.matrix(Mode.T2V) == {"720P": (4, 8, 12)}
    assert (sora.price("720P", 8), pro.price("1024P", 12)) == (Decimal("0.80"), Decimal("6.00"))
    assert sora.default_duration == 4 and catalog.served_in(sora, "minimax_v1")


def test_h3_is_v2_only_24_fps_4_to_15_s_at_768p_and_2k() -> None:
    h3 = catalog.MODELS["MiniMax-H3"]
    assert (h3.fps, h3.default_duration) == (24, 5)
    assert h3.matrix(Mode.I2V) == {"768P": tuple(range(4, 16)), "2K": tuple(range(4, 16))}
    assert catalog.served_in(h3, "minimax_v2") and not catalog.served_in(h3, "openai")
    assert not h3.prices_verified  # no public price: the figures are placeholders


def test_catalog_models_offer_their_t2v_sizes_both_ways() -> None:
    offered = sizes.sizes_of(catalog.MODELS["MiniMax-Hailuo-02"])
    assert offered["1366x768"] == offered["768x1366"] == "768P"
    assert offered["1920x1080"] == "1080P"


@pytest.mark.parametrize(
    ("resolution", "ratio", "size"),
    [
        ("768P", "16:9", (1366, 768)),
        ("768P", "9:16", (768, 1366)),
        ("768P", "1:1", (768, 768)),
        ("2K", "21:9", (3360, 1440)),
        ("2K", "3:4", (1440, 1920)),
        ("768P", "adaptive", None),
    ],
)
def test_ratio_sizes(resolution: str, ratio: str, size: tuple[int, int] | None) -> None:
    assert sizes.ratio_size(resolution, ratio) == size


@pytest.mark.parametrize("text", ["1280x720", " 720x1280 "])
def test_parse_size(text: str) -> None:
    assert sizes.parse_size(text) in ((1280, 720), (720, 1280))


@pytest.mark.parametrize("text", ["1280*720", "0x720", "x", "1280x720x3", "١٢٨٠x720"])
def test_parse_size_refuses(text: str) -> None:
    assert sizes.parse_size(text) is None


def test_h3_durations_pass_the_shared_rules() -> None:
    ok = GenerationRequest(model="MiniMax-H3", prompt="x", duration=15, resolution="2K")
    assert rules.validate(ok) == []
    bad = GenerationRequest(model="MiniMax-H3", prompt="x", duration=16, resolution="2K")
    assert [v.field for v in rules.validate(bad)] == ["duration"]


T = content.Item(kind="text", role=None, text="go")


def img(role: str | None = None) -> content.Item:
    return content.Item(kind="image_url", role=role)


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ([T, img()], None),  # a lone image is a first frame
        ([T, img("last_frame")], None),  # a last frame alone is allowed
        ([T, *[img("reference_image")] * 9], None),
        ([img()], "exactly one text item, got 0"),
        ([T, T], "exactly one text item, got 2"),
        ([content.Item(kind="text", role=None, text="x" * 7001)], "7001 characters"),
        ([T, img(), img()], "content[1].role: is required"),
        ([T, img("first_frame"), img("first_frame")], "at most one first_frame"),
        ([T, *[img("reference_image")] * 10], "at most 9 reference_image"),
        ([T, img("first_frame"), img("reference_image")], "cannot be mixed"),
        ([T, content.Item(kind="audio_url", role=None)], "reference_audio needs"),
        ([T, content.Item(kind="video_url", role="first_frame")], "not allowed for video_url"),
        (
            [
                T,
                *[img("reference_image")] * 9,
                *[content.Item(kind="video_url", role=None)] * 3,
                content.Item(kind="audio_url", role=None),
            ],
            "at most 12 references in all, got 13",
        ),
    ],
)
def test_content_rules(items: list[content.Item], words: str | None) -> None:
    found = content.validate(items)
    if words is None:
        assert found == []
    else:
        assert any(words in v.message for v in found), found
