"""Wire models of the MiniMax v1 dialect and their translation to the domain.

Strict types: ``"duration": "6"`` is an error that names the field and the value, not a silent
coercion. Unknown fields are ignored; keys with stray spaces (seed 004's ``"prompt_optimizer "``)
are read as the field they name.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.requests import GenerationRequest, SubjectReference


class BaseResp(BaseModel):
    status_code: int = 0
    status_msg: str = "success"


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
    seed: StrictInt | None = Field(None, description="reelserve extension: a fixed seed")

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
        )


def _tidy_keys(body: dict[str, Any]) -> dict[str, Any]:
    tidy = dict(body)
    for key, value in body.items():
        stripped = key.strip()
        if stripped != key and stripped not in body:
            tidy[stripped] = value
    return tidy


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidParams(f"body: not valid JSON ({error})") from None


def parse_create(raw: bytes) -> VideoGenerationIn:
    return parse_create_object(parse_body(raw))


def parse_create_object(body: Any) -> VideoGenerationIn:
    if not isinstance(body, dict):
        raise InvalidParams(f"body: must be a JSON object, got {type(body).__name__}")
    try:
        return VideoGenerationIn.model_validate(_tidy_keys(body))
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None


def violations_from(error: ValidationError) -> list[Violation]:
    found = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "body"
        if item["type"] == "missing":
            message = f"{field}: is required"
        else:
            expected = item["msg"].removeprefix("Input should be ").removeprefix("a ")
            message = f"{field}: {_shown(item.get('input'))} is not valid (expected {expected})"
        found.append(Violation(field=field, message=message))
    return found
