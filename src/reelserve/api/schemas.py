"""Wire models of the MiniMax v1 dialect and their translation to the domain.

Strict types: ``"duration": "6"`` is an error that names the field and the value, not a silent
coercion. Unknown fields are ignored; keys with stray spaces (seed 004's ``"prompt_optimizer "``)
are read as the field they name. Zero values in optional fields (``""``, ``[]``, ``{}``, ``0``,
``null``, and ``false`` where the default is false) read as absent: Go and other typed clients
send them for every field they do not use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Required

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict  # pydantic needs this one, not typing's, before 3.12

from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.requests import GenerationRequest, SubjectReference
from reelserve.domain.rules import MAX_SEED, MIN_SEED


class BaseResp(BaseModel):
    status_code: int = 0
    status_msg: str = "success"


# --- answers, for the OpenAPI document ------------------------------------------------------
# TypedDicts rather than models: a key that an answer may leave out (an error carries only
# ``base_resp``) is then simply not required, instead of a nullable field with a default.


class BaseRespOut(TypedDict):
    status_code: int  # 0: success; otherwise the MiniMax error code (MINIMAX_API.md §1)
    status_msg: str


class CreateOut(TypedDict, total=False):
    """``task_id`` is "" when the create failed (§12); ``warnings`` is a reelserve extension."""

    task_id: str
    warnings: list[str]
    base_resp: Required[BaseRespOut]


class QueryOut(TypedDict, total=False):
    """MiniMax's query answer plus reelserve's ``progress``, ``phase`` and ``queue_position``."""

    task_id: str
    status: Literal["Queueing", "Preparing", "Processing", "Success", "Fail"]
    file_id: str
    video_width: int
    video_height: int
    progress: int
    phase: str
    queue_position: int | None
    base_resp: Required[BaseRespOut]


class FileOut(TypedDict):
    file_id: int
    bytes: int
    created_at: int
    filename: str
    purpose: str
    download_url: str
    has_audio: bool  # reelserve extension: the MP4 has a soundtrack


class RetrieveOut(TypedDict, total=False):
    file: FileOut
    base_resp: Required[BaseRespOut]


class ErrorOut(TypedDict):
    """Any MiniMax-dialect error: HTTP 200 (409/422 for Idempotency-Key conflicts)."""

    base_resp: BaseRespOut


class VtrixErrorBody(TypedDict):
    code: int
    error_message: str


class VtrixErrorOut(TypedDict):
    error: VtrixErrorBody


def inline_schema(wire_type: Any) -> dict[str, Any]:
    """The JSON schema of a model or TypedDict with its ``$defs`` inlined, for hand-written parts
    of the OpenAPI document (where ``#/$defs/...`` references would point nowhere). No wire type
    here is recursive.
    """
    schema = TypeAdapter(wire_type).json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


class SubjectReferenceIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: StrictStr = "character"
    image: list[StrictStr] = Field(default_factory=list)


class VideoGenerationIn(BaseModel):
    """POST /v1/video_generation (T2V, I2V, FL2V and S2V share it; the mode comes from fields)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"model": "MiniMax-Hailuo-02", "prompt": "A cat on a sofa [Push in]"},
                {
                    "model": "MiniMax-Hailuo-02",
                    "prompt": "A little girl grows up as the camera slowly pushes in.",
                    "first_frame_image": "https://example.com/first.jpg",
                    "last_frame_image": "https://example.com/last.jpg",
                    "duration": 6,
                    "resolution": "1080P",
                },
            ]
        },
    )

    model: StrictStr
    prompt: StrictStr | None = None
    prompt_optimizer: StrictBool = True
    fast_pretreatment: StrictBool = False
    duration: StrictInt | None = None
    resolution: StrictStr | None = None
    first_frame_image: StrictStr | None = None
    last_frame_image: StrictStr | None = None
    subject_reference: list[SubjectReferenceIn] | None = None
    callback_url: StrictStr | None = None
    aigc_watermark: StrictBool = False
    seed: StrictInt | None = Field(
        None,
        ge=MIN_SEED,
        le=MAX_SEED,
        description=f"reelserve extension: a fixed seed, {MIN_SEED} to {MAX_SEED} "
        "(0 or absent: a random one)",
    )
    audio: StrictBool = Field(
        True, description="reelserve extension: false drops the soundtrack (H3, LTX-2)"
    )

    def to_domain(self) -> GenerationRequest:
        refs = None
        if self.subject_reference is not None:
            refs = tuple(
                SubjectReference(type=r.type, images=tuple(r.image)) for r in self.subject_reference
            )
        return GenerationRequest(
            model=self.model,
            prompt=self.prompt,
            prompt_optimizer=self.prompt_optimizer,
            fast_pretreatment=self.fast_pretreatment,
            duration=self.duration,
            resolution=self.resolution,
            first_frame_image=self.first_frame_image,
            last_frame_image=self.last_frame_image,
            subject_reference=refs,
            callback_url=self.callback_url or None,
            aigc_watermark=self.aigc_watermark,
            audio=self.audio,
        )


_REQUIRED = frozenset({"model"})
# Fields whose absence means something other than false: a zero value there is still a value.
_TRUE_BY_DEFAULT = frozenset({"prompt_optimizer", "audio"})


def _is_zero(name: str, value: Any) -> bool:
    if value is False:
        return name not in _TRUE_BY_DEFAULT
    return value is None or (type(value) in (str, list, dict, int) and not value)


def _tidy_keys(body: dict[str, Any]) -> dict[str, Any]:
    tidy = dict(body)
    for key, value in body.items():
        stripped = key.strip()
        if stripped != key and stripped not in body:
            tidy[stripped] = value
    return {
        key: value for key, value in tidy.items() if key in _REQUIRED or not _is_zero(key, value)
    }


def _unencodable(value: Any, path: str) -> list[Violation]:
    """Strings that are valid JSON but not Unicode text: lone surrogates such as ``"\\ud800"``."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            where = f"a lone surrogate at position {error.start}"
            return [Violation(field=path, message=f"{path}: {_shown(value)} is not text ({where})")]
        return []
    if isinstance(value, dict):
        return [v for key, item in value.items() for v in _unencodable(item, _join(path, key))]
    if isinstance(value, list):
        return [v for i, item in enumerate(value) for v in _unencodable(item, f"{path}[{i}]")]
    return []


def _join(path: str, key: Any) -> str:
    name = str(key).strip()
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "backslashreplace").decode()
    return f"{path}.{name}" if path else name


def _shown(value: Any) -> str:
    if isinstance(value, str):
        text = ascii(value) if not value.isascii() and _has_surrogate(value) else repr(value)
    else:  # repr for what JSON cannot show (bytes from a body that was not JSON)
        text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidParams("body: JSON nested too deeply") from None
    except ValueError as error:  # also an integer of more than 4300 digits; bad UTF-8 too
        raise InvalidParams(f"body: not valid JSON ({_clipped(str(error))})") from None


def _clipped(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


def parse_create(raw: bytes) -> VideoGenerationIn:
    return parse_create_object(parse_body(raw))


def parse_create_object(body: Any) -> VideoGenerationIn:
    if not isinstance(body, dict):
        raise InvalidParams(f"body: must be a JSON object, got {type(body).__name__}")
    broken = _unencodable(body, "")
    if broken:
        raise InvalidParams(broken)
    try:
        return VideoGenerationIn.model_validate(_tidy_keys(body))
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None


def violations_from(error: ValidationError) -> list[Violation]:
    return [
        violation(".".join(str(p) for p in item["loc"]) or "body", item) for item in error.errors()
    ]


def violation(field: str, item: Mapping[str, Any]) -> Violation:
    """One pydantic error item as a message that names the field and the value."""
    kind = item.get("type")
    if kind == "missing":
        message = f"{field}: is required"
    elif kind == "extra_forbidden":
        message = f"{field}: is not a known field"
    else:
        expected = str(item.get("msg", "")).removeprefix("Input should be ").removeprefix("a ")
        message = f"{field}: {_shown(item.get('input'))} is not valid (expected {expected})"
    return Violation(field=field, message=message)


SUCCESS: dict[str, Any] = {"status_code": 0, "status_msg": "success"}  # base_resp of an answer


def ok_example(body: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry showing ``body`` as the 200 answer's example."""
    return {200: {"content": {"application/json": {"example": body}}}}


def iso(moment: datetime | None) -> str | None:
    """A timestamp on the wire: ISO 8601, or null."""
    return moment.isoformat() if moment else None
