"""Request rules as small pure functions. ``validate`` returns every violation, not the first.

Each message names the field and the value, in MiniMax's ``invalid params, <detail>`` style.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelserve.domain import camera, catalog
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.requests import GenerationRequest, ImageSource, Mode, detect_mode

MAX_PROMPT_CHARS = catalog.PROMPT_CHARS  # a model may allow more (ModelSpec.max_prompt_chars)
# A fixed seed (reelserve extension) is stored in a 64-bit signed column (PostgreSQL BIGINT,
# SQLite INTEGER), and numpy and torch take any value in it; 0 (what typed clients send for
# "unset") means random.
MIN_SEED = 0
MAX_SEED = 2**63 - 1
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # "size < 20 MB"
MIN_SHORT_SIDE = 300  # "short side > 300 px" (so 300 itself is refused)
MIN_ASPECT = 2 / 5
MAX_ASPECT = 5 / 2
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
# Decoders' other names for these formats: Pillow opens many camera and phone JPEGs as "MPO"
# (a JPEG with a second, multi-picture image appended), and "JPG" is the common file-name spelling.
_FORMAT_SYNONYMS = {"JPG": "JPEG", "MPO": "JPEG"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedRequest:
    """A request that passed every rule, with the defaults filled in."""

    request: GenerationRequest
    spec: catalog.ModelSpec
    mode: Mode
    duration: int
    resolution: str
    plan: camera.CameraPlan
    notes: tuple[str, ...] = ()  # fields read but ignored, said back to the client

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.notes + self.plan.warnings

    @property
    def frame_count(self) -> int:
        return self.duration * catalog.FPS


def _model_rules(request: GenerationRequest, mode: Mode) -> list[Violation]:
    spec = catalog.lookup(request.model)
    if spec is None:
        known = ", ".join(catalog.MODELS)
        return [
            Violation(
                field="model",
                message=f"unsupported model: {shown(request.model)} (known models: {known})",
            )
        ]
    if mode is Mode.T2V and _names_image_model(request.model):
        return [
            Violation(
                field="first_frame_image",
                message=f"first_frame_image: is required for model {shown(request.model)} "
                "(an image-to-video model)",
            )
        ]
    if not spec.supports(mode):
        modes = ", ".join(m.value for m in spec.modes)
        return [
            Violation(
                field="model",
                message=f"model {shown(request.model)} does not support "
                f"{_MODE_WORDS[mode]} (it supports: {modes})",
            )
        ]
    return []


def shown(value: str, limit: int = 80) -> str:
    """``value`` quoted for a message, clipped: a client's 5 MB string is not echoed whole."""
    text = repr(value) if len(value) <= limit else repr(value[: limit - 3]) + "..."
    return text


def _names_image_model(name: str) -> bool:
    """Seed 002's gateway ids name the mode (``minimax_hailuo_02_i2v``): no image, no video."""
    lowered = name.strip().lower()
    return lowered in catalog.ALIASES and "i2v" in lowered.split("_")


_MODE_WORDS = {
    Mode.T2V: "text-to-video (t2v)",
    Mode.I2V: "image-to-video (i2v, first_frame_image)",
    Mode.FL2V: "first-and-last-frame video (fl2v, last_frame_image)",
    Mode.S2V: "subject-reference video (s2v, subject_reference)",
}


def _matrix_rules(
    request: GenerationRequest, spec: catalog.ModelSpec, mode: Mode
) -> list[Violation]:
    if mode is Mode.S2V:
        return []  # S2V has neither field; _ignored() says so
    matrix = spec.matrix(mode)
    resolution = request.resolution or catalog.default_resolution(spec, mode)
    duration = catalog.DEFAULT_DURATION if request.duration is None else request.duration
    found: list[Violation] = []
    if resolution not in matrix:
        found.append(
            Violation(
                field="resolution",
                message=f"resolution: {shown(resolution)} is not allowed "
                f"for {spec.name} {mode.value} (allowed: {', '.join(matrix)})",
            )
        )
        # Judge the duration against every resolution, so that both mistakes show at once.
        durations = sorted({d for allowed in matrix.values() for d in allowed})
        if duration not in durations:
            found.append(
                Violation(
                    field="duration",
                    message=f"duration: {duration!r} is not allowed for {spec.name} "
                    f"{mode.value} (allowed: {', '.join(map(str, durations))})",
                )
            )
    elif duration not in matrix[resolution]:
        allowed = ", ".join(str(d) for d in matrix[resolution])
        found.append(
            Violation(
                field="duration",
                message=f"duration: {duration!r} is not allowed for "
                f"{spec.name} {mode.value} at {resolution} (allowed: {allowed})",
            )
        )
    return found


def _ignored(request: GenerationRequest, mode: Mode) -> tuple[str, ...]:
    if mode is not Mode.S2V:
        return ()
    given = [name for name in ("duration", "resolution") if getattr(request, name) is not None]
    return tuple(
        f"{name}: ignored for subject-reference video (S2V-01 makes 6 s at 720P)" for name in given
    )


def _prompt_rules(
    request: GenerationRequest, spec: catalog.ModelSpec | None, mode: Mode
) -> list[Violation]:
    prompt = request.prompt
    if mode is Mode.T2V and (prompt is None or not prompt.strip()):
        return [Violation(field="prompt", message="prompt: is required for text-to-video")]
    limit = spec.max_prompt_chars if spec is not None else MAX_PROMPT_CHARS
    if prompt is not None and len(prompt) > limit:
        return [
            Violation(
                field="prompt",
                message=f"prompt: {len(prompt)} characters is over the limit of {limit}",
            )
        ]
    return []


def _image_presence_rules(
    request: GenerationRequest, spec: catalog.ModelSpec | None, mode: Mode
) -> list[Violation]:
    found: list[Violation] = []
    last_alone = spec is not None and spec.last_frame_alone
    if mode is Mode.FL2V and request.first_frame_image is None and not last_alone:
        found.append(
            Violation(
                field="first_frame_image",
                message="first_frame_image: is required "
                "with last_frame_image (first-and-last-frame video)",
            )
        )
    if mode is Mode.S2V:
        refs = request.subject_reference or ()
        if len(refs) != 1:
            found.append(
                Violation(
                    field="subject_reference",
                    message=f"subject_reference: must hold exactly 1 subject, got {len(refs)}",
                )
            )
        for i, ref in enumerate(refs):
            if ref.type != "character":
                found.append(
                    Violation(
                        field=f"subject_reference[{i}].type",
                        message=f"subject_reference[{i}].type: "
                        f"{shown(ref.type)} is not 'character'",
                    )
                )
            if len(ref.images) != 1:
                found.append(
                    Violation(
                        field=f"subject_reference[{i}].image",
                        message=f"subject_"
                        f"reference[{i}].image: must hold exactly 1 image, "
                        f"got {len(ref.images)}",
                    )
                )
    for name in ("first_frame_image", "last_frame_image"):
        value = getattr(request, name)
        if value is not None and not value.strip():
            found.append(Violation(field=name, message=f"{name}: must not be empty"))
        elif value is not None:
            found += image_source_violations(name, value)
    return found


def image_source_violations(field: str, source: ImageSource) -> list[Violation]:
    """The form of an image reference, checked before anything is fetched or decoded (an
    uploaded file's bytes are the decoder's to judge)."""
    if isinstance(source, bytes):
        return []
    head = source[:8].lower()
    if head.startswith(("http://", "https://")):
        return []
    if not head.startswith("data:"):
        why = "give an http(s) URL or a data:image/...;base64, URL"
    elif not source.isascii():
        at = next(i for i, c in enumerate(source) if not c.isascii())
        why = f"a data URL holds only ASCII; {source[at]!a} at position {at}"
    else:
        return []  # the decoder judges the rest
    return [Violation(field=field, message=f"{field}: invalid image url ({why})")]


def validate(
    request: GenerationRequest, plan_limits: camera.PlanLimits = camera.PlanLimits.DEFAULT
) -> list[Violation]:
    """Every rule the request breaks (empty when it is valid). Images are checked on intake."""
    mode = detect_mode(request)
    found = _model_rules(request, mode)
    spec = catalog.lookup(request.model)
    if not found and spec is not None:
        found += _matrix_rules(request, spec, mode)
    # A known model's matrix already refuses a non-positive duration; say it once per field.
    duration_reported = any(v.field == "duration" for v in found)
    duration = None if mode is Mode.S2V else request.duration
    if duration is not None and duration <= 0 and not duration_reported:
        found.append(
            Violation(
                field="duration",
                message=f"duration: {request.duration!r} must be a positive number of seconds",
            )
        )
    found += _prompt_rules(request, spec, mode)
    found += _image_presence_rules(request, spec, mode)
    if mode is Mode.S2V:
        for i, ref in enumerate(request.subject_reference or ()):
            for j, image in enumerate(ref.images):
                found += image_source_violations(f"subject_reference[{i}].image[{j}]", image)
    if not any(v.field == "prompt" for v in found):  # one violation per field
        found += camera.plan_violations(camera.parse(request.prompt or ""), plan_limits)
    return found


def resolve(
    request: GenerationRequest, plan_limits: camera.PlanLimits = camera.PlanLimits.DEFAULT
) -> ResolvedRequest:
    """The request with defaults applied; raises ``InvalidParams`` with every violation."""
    violations = validate(request, plan_limits)
    if violations:
        raise InvalidParams(violations)
    mode = detect_mode(request)
    spec = catalog.lookup(request.model)
    assert spec is not None  # validate() checked it
    s2v = mode is Mode.S2V
    return ResolvedRequest(
        request=request,
        spec=spec,
        mode=mode,
        duration=catalog.DEFAULT_DURATION if s2v or request.duration is None else request.duration,
        resolution=catalog.default_resolution(spec, mode)
        if s2v or not request.resolution
        else request.resolution,
        plan=camera.parse(request.prompt or ""),
        notes=_ignored(request, mode),
    )


def image_violations(
    field: str, *, fmt: str | None, width: int, height: int, nbytes: int
) -> list[Violation]:
    """The §2.1.1 image rules on facts read from the image's content (not from its label)."""
    found: list[Violation] = []
    name = (fmt or "").strip().upper()
    if _FORMAT_SYNONYMS.get(name, name) not in IMAGE_FORMATS:
        found.append(
            Violation(
                field=field,
                message=f"{field}: image format {fmt or 'unknown'!s} "
                "is not supported (use JPG, PNG or WebP)",
            )
        )
    if nbytes >= MAX_IMAGE_BYTES:
        found.append(
            Violation(
                field=field,
                message=f"{field}: image is {nbytes} bytes; it must "
                f"be under {MAX_IMAGE_BYTES} bytes (20 MB)",
            )
        )
    if width and height:
        if min(width, height) <= MIN_SHORT_SIDE:
            found.append(
                Violation(
                    field=field,
                    message=f"{field}: image is {width}x{height}; "
                    f"minimum pixel on the short side of the image: "
                    f"{MIN_SHORT_SIDE}px (it must be over {MIN_SHORT_SIDE})",
                )
            )
        aspect = width / height
        if not MIN_ASPECT <= aspect <= MAX_ASPECT:
            found.append(
                Violation(
                    field=field,
                    message=f"{field}: image is {width}x{height} "
                    f"(aspect {aspect:.3f}); the aspect ratio must be between "
                    "2:5 and 5:2",
                )
            )
    return found
