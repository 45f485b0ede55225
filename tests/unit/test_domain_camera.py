"""The ``[camera]`` directive parser (MINIMAX_API.md §6) and the seeds' spellings."""

from __future__ import annotations

import pytest

from reelserve.domain import camera
from reelserve.domain.camera import CameraMove as M

# §6, written out again from the spec: official English name, official Chinese name.
OFFICIAL: list[tuple[str, str, M]] = [
    ("Truck left", "左移", M.TRUCK_LEFT),
    ("Truck right", "右移", M.TRUCK_RIGHT),
    ("Pan left", "左摇", M.PAN_LEFT),
    ("Pan right", "右摇", M.PAN_RIGHT),
    ("Push in", "推进", M.PUSH_IN),
    ("Pull out", "拉远", M.PULL_OUT),
    ("Pedestal up", "上升", M.PEDESTAL_UP),
    ("Pedestal down", "下降", M.PEDESTAL_DOWN),
    ("Tilt up", "上摇", M.TILT_UP),
    ("Tilt down", "下摇", M.TILT_DOWN),
    ("Zoom in", "变焦推近", M.ZOOM_IN),
    ("Zoom out", "变焦拉远", M.ZOOM_OUT),
    ("Shake", "晃动", M.SHAKE),
    ("Tracking shot", "跟随", M.TRACKING_SHOT),
    ("Static shot", "固定", M.STATIC_SHOT),
]

# The seeds' machine-translated spellings (seed 001 kkiai, seed 002 Vtrix) and synonyms.
ALIASES: list[tuple[str, M]] = [
    ("tilt left", M.PAN_LEFT),
    ("tilt right", M.PAN_RIGHT),
    ("pull back", M.PULL_OUT),
    ("push out", M.PULL_OUT),
    ("rise", M.PEDESTAL_UP),
    ("lower", M.PEDESTAL_DOWN),
    ("follow", M.TRACKING_SHOT),
    ("tracking", M.TRACKING_SHOT),
    ("static", M.STATIC_SHOT),
    ("fixed", M.STATIC_SHOT),
    ("dolly in", M.PUSH_IN),
    ("dolly out", M.PULL_OUT),
    ("move left", M.TRUCK_LEFT),
    ("move right", M.TRUCK_RIGHT),
]

# Every bracket of seed 001's and seed 002's vocabulary lists.
SEED_001 = (
    "[Pan Left], [Pan Right], [Push In], [Pull Out], [Rise], [Lower], [Tilt Up], [Tilt Down], "
    "[Zoom In], [Zoom Out], [Shake], [Follow], [Static]"
)
SEED_002 = (
    "[pan left], [pan right] [tilt left], [tilt right] [push in], [pull back] [rise], [lower] "
    "[tilt up], [tilt down] [zoom in], [zoom out] [shake], [follow], [static]"
)


def test_there_are_15_official_moves() -> None:
    assert len(camera.CameraMove) == 15 == len(OFFICIAL)
    assert {move for _, _, move in OFFICIAL} == set(camera.CameraMove)
    assert {english: move.value for english, _, move in OFFICIAL} == {
        m.value: m.value for m in camera.CameraMove
    }
    assert {zh: move for _, zh, move in OFFICIAL} == camera.CHINESE


@pytest.mark.parametrize(("english", "chinese", "move"), OFFICIAL)
def test_every_official_name(english: str, chinese: str, move: M) -> None:
    for spelling in (
        english,
        english.lower(),
        english.upper(),
        english.swapcase(),
        f"  {english}  ",
        english.replace(" ", "   "),
        english.replace(" ", "\t"),
        chinese,
        f" {chinese} ",
    ):
        assert camera.lookup(spelling) is move, spelling
        plan = camera.parse(f"a fox [{spelling}] runs")
        assert plan.moves == (move,)
        assert plan.prompt == "a fox runs"
        assert plan.warnings == ()


@pytest.mark.parametrize(("alias", "move"), ALIASES)
def test_every_alias(alias: str, move: M) -> None:
    assert dict(camera.ALIASES) == dict(ALIASES)
    for spelling in (alias, alias.title(), alias.upper(), f" {alias} "):
        assert camera.lookup(spelling) is move
        assert camera.parse(f"[{spelling}]").moves == (move,)


def test_an_official_name_wins_over_a_seed_translation() -> None:
    # Seed 002 writes 左移 (Truck left) as "[pan left]"; the official meaning wins.
    assert camera.lookup("pan left") is M.PAN_LEFT


@pytest.mark.parametrize(
    ("vocabulary", "count"),
    [(SEED_001, 13), (SEED_002, 15)],
)
def test_every_seed_vocabulary_bracket_is_recognised(vocabulary: str, count: int) -> None:
    plan = camera.parse(vocabulary)
    assert plan.warnings == ()
    assert len(plan.segments) == count
    assert "[" not in plan.prompt


@pytest.mark.parametrize(
    "name", ["", " ", "pan", "left", "zoom", "pan-left", "panleft", "tilt", "Truck", "推", "dolly"]
)
def test_unknown_names(name: str) -> None:
    assert camera.lookup(name) is None


@pytest.mark.parametrize(
    ("bracket", "moves"),
    [
        ("[Pan left, Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left,Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),  # §6's own spelling
        ("[左摇,上升]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[左摇，上升]", (M.PAN_LEFT, M.PEDESTAL_UP)),  # full-width comma
        ("[左摇、上升]", (M.PAN_LEFT, M.PEDESTAL_UP)),  # enumeration comma
        ("[Pan left; Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left；上升]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left / Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left + Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left and Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pan left & Pedestal up]", (M.PAN_LEFT, M.PEDESTAL_UP)),
        ("[Pedestal up, Pan left]", (M.PEDESTAL_UP, M.PAN_LEFT)),  # order kept
        ("[Pan left, pan left, PAN LEFT]", (M.PAN_LEFT,)),  # duplicates once
        ("[Pan left, 左摇]", (M.PAN_LEFT,)),
        ("[Pan left, , Pedestal up,]", (M.PAN_LEFT, M.PEDESTAL_UP)),  # empty items ignored
        ("[rise, Zoom in, 晃动]", (M.PEDESTAL_UP, M.ZOOM_IN, M.SHAKE)),
    ],
)
def test_combined_moves_act_together(bracket: str, moves: tuple[M, ...]) -> None:
    plan = camera.parse(f"a fox {bracket} runs")
    assert len(plan.segments) == 1
    assert plan.segments[0].moves == moves
    assert plan.segments[0].source == bracket
    assert plan.segments[0].position == len("a fox ")
    assert plan.prompt == "a fox runs"
    assert plan.warnings == ()


def test_brackets_in_sequence_keep_order_and_positions() -> None:
    prompt = "A [Push in] then B [Pan left, Tilt up] and C [固定]"
    plan = camera.parse(prompt)
    assert [s.moves for s in plan.segments] == [
        (M.PUSH_IN,),
        (M.PAN_LEFT, M.TILT_UP),
        (M.STATIC_SHOT,),
    ]
    assert [s.position for s in plan.segments] == [
        prompt.index("[Push in]"),
        prompt.index("[Pan left"),
        prompt.index("[固定]"),
    ]
    assert [prompt[s.position : s.position + len(s.source)] for s in plan.segments] == [
        s.source for s in plan.segments
    ]
    assert plan.moves == (M.PUSH_IN, M.PAN_LEFT, M.TILT_UP, M.STATIC_SHOT)
    assert plan.prompt == "A then B and C"
    assert not plan.is_empty


def test_seed_001_prompt() -> None:
    prompt = "A man picks up a book [Pedestal up], then reads [Static shot]."
    plan = camera.parse(prompt)
    assert [s.moves for s in plan.segments] == [(M.PEDESTAL_UP,), (M.STATIC_SHOT,)]
    assert [s.position for s in plan.segments] == [22, prompt.index("[Static shot]")]
    assert plan.prompt == "A man picks up a book, then reads."
    assert plan.warnings == ()
    assert camera.describe(plan) == "the camera rises, then holds still"


def test_seed_003_prompt() -> None:
    prompt = (
        "A girl climbs onto the horse [右移], then pulls the horse's head and turns, "
        "galloping away [拉远]."
    )
    plan = camera.parse(prompt)
    assert [s.moves for s in plan.segments] == [(M.TRUCK_RIGHT,), (M.PULL_OUT,)]
    assert plan.prompt == (
        "A girl climbs onto the horse, then pulls the horse's head and turns, galloping away."
    )
    assert camera.describe(plan) == "the camera moves right, then pulls out"


def test_chinese_prompt_with_full_width_punctuation() -> None:
    plan = camera.parse("女孩走向镜头[推进]，然后转身[左摇，上升]。")
    assert plan.moves == (M.PUSH_IN, M.PAN_LEFT, M.PEDESTAL_UP)
    assert plan.prompt == "女孩走向镜头，然后转身。"


@pytest.mark.parametrize(
    ("prompt", "kept", "unknown"),
    [
        ("a fox [hello world] runs", "a fox [hello world] runs", ["'hello world'"]),
        ("a fox [Zoom] runs", "a fox [Zoom] runs", ["'Zoom'"]),
        ("[Push out typo] x", "[Push out typo] x", ["'Push out typo'"]),
        ("[wobble, spin]", "[wobble, spin]", ["'wobble'", "'spin'"]),
        ("[旋转]", "[旋转]", ["'旋转'"]),
    ],
)
def test_unknown_text_stays_in_the_prompt_with_a_warning(
    prompt: str, kept: str, unknown: list[str]
) -> None:
    plan = camera.parse(prompt)
    assert plan.is_empty and plan.moves == ()
    assert plan.prompt == kept
    assert len(plan.warnings) == 1
    warning = plan.warnings[0]
    assert warning.startswith("prompt: unknown camera directive")
    assert all(name in warning for name in unknown)
    assert "kept as text" in warning


def test_mixed_known_and_unknown_in_one_bracket() -> None:
    plan = camera.parse("a fox [Pan left, wobble, Pedestal up] runs")
    assert plan.moves == (M.PAN_LEFT, M.PEDESTAL_UP)
    assert plan.segments[0].source == "[Pan left, wobble, Pedestal up]"
    assert plan.prompt == "a fox [wobble] runs"  # only the unknown part stays
    assert len(plan.warnings) == 1 and "'wobble'" in plan.warnings[0]
    assert "[Pan left, wobble, Pedestal up]" in plan.warnings[0]


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "a fox runs",
        "a fox [ runs",  # unclosed
        "a fox ] runs [",
        "an empty [] bracket",
        "separators only [ , ; ] here",
        "a list [1] of [2]",
    ],
)
def test_prompts_without_directives(prompt: str) -> None:
    plan = camera.parse(prompt)
    assert plan.is_empty
    assert plan.prompt == prompt.strip()
    assert all("unknown camera directive" in w for w in plan.warnings)


def test_text_around_no_directive_is_kept_as_written() -> None:
    prompt = "Line one,\n  line two . Wait , what [foo]  ?"
    assert camera.parse(prompt).prompt == prompt
    assert camera.parse(f"  {prompt}\n").prompt == prompt


def test_empty_brackets_are_plain_text_without_a_warning() -> None:
    plan = camera.parse("an empty [] bracket [ , ]")
    assert plan.prompt == "an empty [] bracket [ , ]"
    assert plan.warnings == ()


def test_more_than_three_combined_moves_is_a_warning_not_an_error() -> None:
    bracket = "[Pan left, Pedestal up, Zoom in, Shake]"
    plan = camera.parse(f"a fox {bracket}")
    assert plan.moves == (M.PAN_LEFT, M.PEDESTAL_UP, M.ZOOM_IN, M.SHAKE)
    assert len(plan.warnings) == 1
    assert bracket in plan.warnings[0]
    assert "4 camera moves" in plan.warnings[0]
    assert "at most 3" in plan.warnings[0]
    assert camera.parse("[Pan left, Pedestal up, Zoom in]").warnings == ()


def test_warnings_come_in_prompt_order() -> None:
    plan = camera.parse("[foo] [Pan left, Tilt up, Zoom in, Shake] [bar]")
    assert len(plan.warnings) == 3
    assert "'foo'" in plan.warnings[0]
    assert "4 camera moves" in plan.warnings[1]
    assert "'bar'" in plan.warnings[2]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("  [Push in]  a fox  [Shake] , runs [Static] !", "a fox, runs!"),
        ("a [Push in][Shake] b", "a b"),
        ("a [Push in] [Shake]   b", "a b"),
        ("a [Push in] [foo] b", "a [foo] b"),
        ("a [Push in][foo]", "a [foo]"),
        ("a[Push in]b", "ab"),  # no space was there, none is added
        ("走路[推进]，然后[拉远]。", "走路。"),  # the dangling 然后 goes too
        ("走路 [推进] 然后", "走路 然后"),
        ("[Push in]", ""),
        ("[Push in]\n\nA fox.\n\nIt runs.", "A fox.\n\nIt runs."),
        ("A fox [Pan left, wobble] runs.", "A fox [wobble] runs."),
    ],
)
def test_spaces_are_tidied_only_where_a_directive_was_cut(prompt: str, expected: str) -> None:
    assert camera.parse(prompt).prompt == expected


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("", ""),
        ("a fox", ""),
        ("[Truck left]", "the camera moves left"),
        ("[Truck right]", "the camera moves right"),
        ("[Pan left]", "the camera pans left"),
        ("[Pan right]", "the camera pans right"),
        ("[Push in]", "the camera slowly pushes in"),
        ("[Pull out]", "the camera pulls out"),
        ("[Pedestal up]", "the camera rises"),
        ("[Pedestal down]", "the camera descends"),
        ("[Tilt up]", "the camera tilts up"),
        ("[Tilt down]", "the camera tilts down"),
        ("[Zoom in]", "the camera zooms in"),
        ("[Zoom out]", "the camera zooms out"),
        ("[Shake]", "the camera shakes"),
        ("[Tracking shot]", "the camera follows the subject"),
        ("[Static shot]", "the camera holds still"),
        ("[Pan left, Pedestal up]", "the camera pans left while rising"),
        ("[左摇,上升,变焦推近]", "the camera pans left while rising and zooming in"),
        ("a [Push in], then b [Pan left]", "the camera slowly pushes in, then pans left"),
        (
            "[Tracking shot] [Pan right, Pedestal down] [Static shot]",
            "the camera follows the subject, then pans right while descending, then holds still",
        ),
        ("[Shake, Push in]", "the camera shakes while slowly pushing in"),
    ],
)
def test_describe_reads_as_english(prompt: str, expected: str) -> None:
    assert camera.describe(camera.parse(prompt)) == expected


@pytest.mark.parametrize(
    ("move", "gerund"),
    [
        (M.TRUCK_LEFT, "moving left"),
        (M.TRUCK_RIGHT, "moving right"),
        (M.PAN_LEFT, "panning left"),
        (M.PAN_RIGHT, "panning right"),
        (M.PUSH_IN, "slowly pushing in"),
        (M.PULL_OUT, "pulling out"),
        (M.PEDESTAL_UP, "rising"),
        (M.PEDESTAL_DOWN, "descending"),
        (M.TILT_UP, "tilting up"),
        (M.TILT_DOWN, "tilting down"),
        (M.ZOOM_IN, "zooming in"),
        (M.ZOOM_OUT, "zooming out"),
        (M.SHAKE, "shaking"),
        (M.TRACKING_SHOT, "following the subject"),
    ],
)
def test_describe_joins_a_combined_move_as_a_gerund(move: M, gerund: str) -> None:
    plan = camera.parse(f"[Static shot, {move.value}]")
    assert camera.describe(plan) == f"the camera holds still while {gerund}"
    plan = camera.parse(f"[{move.value}, Static shot]")
    assert camera.describe(plan).endswith(" while holding still")


def test_normalise() -> None:
    assert camera.normalise("  Pan \t  LEFT \n") == "pan left"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("A lighthouse at dusk, then [Pan left]", "A lighthouse at dusk"),
        ("A lighthouse at dusk, then [Pan left].", "A lighthouse at dusk."),
        ("A man walks then [Push in] and then [Pan left]", "A man walks"),
        ("a cat and [Zoom in]", "a cat"),
        ("[Push in] then a lighthouse", "a lighthouse"),
        ("海边的灯塔，然后[左摇]", "海边的灯塔"),
        ("A [Push in] then B [Pan left]", "A then B"),  # joins two scenes: kept
        ("A lighthouse, then", "A lighthouse, then"),  # no directive cut: the client's text
        ("Athen [Pan left]", "Athen"),
    ],
)
def test_a_connector_left_dangling_by_a_cut_directive_goes_with_it(
    prompt: str, expected: str
) -> None:
    assert camera.parse(prompt).prompt == expected
