"""Properties of the request rules over arbitrary requests (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelserve.domain import camera, catalog, rules
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.requests import GenerationRequest, SubjectReference

# No example database: the unit tests leave no files behind in the working tree.
PROPERTY = settings(max_examples=200, database=None, suppress_health_check=[HealthCheck.too_slow])

names = st.sampled_from([*catalog.MODELS, *catalog.ALIASES, "T2V-01".lower(), "nope", ""])
models = st.one_of(names, st.text(max_size=30))
images = st.one_of(
    st.none(), st.sampled_from(["", " ", "https://example.com/a.png", "data:image/png;base64,AA"])
)
prompts = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(["x" * 1999, "x" * 2000, "x" * 2001, "[Pan left] " * 200]),
    st.lists(
        st.sampled_from(["a fox", "[Push in]", "[左摇,上升]", "[zoom]", ",", "[", "]", " "]),
        max_size=12,
    ).map("".join),
)
subjects = st.one_of(
    st.none(),
    st.lists(
        st.builds(
            SubjectReference,
            type=st.sampled_from(["character", "object", ""]),
            images=st.lists(st.just("https://example.com/face.png"), max_size=3).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
)
requests = st.builds(
    GenerationRequest,
    model=models,
    prompt=prompts,
    duration=st.one_of(st.none(), st.integers(min_value=-20, max_value=20)),
    resolution=st.one_of(st.none(), st.sampled_from([*catalog.RESOLUTIONS, "4K", "768p"])),
    first_frame_image=images,
    last_frame_image=images,
    subject_reference=subjects,
)


@PROPERTY
@given(requests)
def test_validate_never_raises_and_every_message_names_its_field(
    request: GenerationRequest,
) -> None:
    found = rules.validate(request)
    assert all(isinstance(v, Violation) for v in found)
    for violation in found:
        assert violation.field
        assert violation.field in violation.message
    # One violation per field: clients map them to form fields.
    assert len({v.field for v in found}) == len(found)


@PROPERTY
@given(requests)
def test_resolve_succeeds_exactly_when_validate_finds_nothing(request: GenerationRequest) -> None:
    found = rules.validate(request)
    try:
        resolved = rules.resolve(request)
    except InvalidParams as error:
        assert found
        assert list(error.violations) == found
        assert error.status_msg.startswith("invalid params, ")
    else:
        assert found == []
        matrix = resolved.spec.matrix(resolved.mode)
        assert resolved.duration in matrix[resolved.resolution]
        assert resolved.frame_count == resolved.duration * catalog.FPS
        assert resolved.plan == camera.parse(request.prompt or "")


@PROPERTY
@given(
    st.sampled_from(["first_frame_image", "last_frame_image", "subject_reference[0].image"]),
    st.one_of(st.none(), st.text(max_size=6), st.sampled_from(rules.IMAGE_FORMATS)),
    st.integers(min_value=-10, max_value=100_000),
    st.integers(min_value=-10, max_value=100_000),
    st.integers(min_value=0, max_value=100 * 1024 * 1024),
)
def test_image_violations_never_raise_and_name_the_field(
    field: str, fmt: str | None, width: int, height: int, nbytes: int
) -> None:
    found = rules.image_violations(field, fmt=fmt, width=width, height=height, nbytes=nbytes)
    assert all(v.field == field and v.message.startswith(field + ": ") for v in found)
    accepted = (
        fmt in rules.IMAGE_FORMATS
        and nbytes < rules.MAX_IMAGE_BYTES
        and width > 300
        and height > 300
        and 2 * height <= 5 * width
        and 2 * width <= 5 * height
    )
    if accepted:
        assert found == []
    if width > 0 and height > 0 and found == []:
        assert min(width, height) > 300 and 2 / 5 <= width / height <= 5 / 2
