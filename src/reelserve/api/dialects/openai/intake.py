"""POST /v1/videos bodies, multipart or JSON, into the neutral GenerationRequest."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from reelserve.api.deps import is_digits, read_body
from reelserve.api.dialects.openai.schemas import CreateVideoJson
from reelserve.api.schemas import parse_body, violations_from
from reelserve.bootstrap import Container
from reelserve.domain import catalog
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import GenerationRequest, ImageSource
from reelserve.domain.rules import MAX_IMAGE_BYTES
from reelserve.domain.sizes import parse_size, sizes_of

FORM_FIELDS = ("prompt", "model", "seconds", "size")
FORM_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _invalid(field: str, message: str) -> InvalidParams:
    return InvalidParams([Violation(field=field, message=f"{field}: {message}")])


def _validated(body: Any) -> CreateVideoJson:
    if not isinstance(body, dict):
        raise InvalidParams(f"body: must be a JSON object, got {type(body).__name__}")
    try:
        return CreateVideoJson.model_validate(body)
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None


async def _from_form(request: Request) -> tuple[CreateVideoJson, ImageSource | None]:
    async with request.form(max_files=1, max_fields=32) as form:
        fields: dict[str, Any] = {}
        image: ImageSource | None = None
        for name, value in form.multi_items():
            if name == "input_reference":
                image = await _part(value)
            elif name in (*FORM_FIELDS, "audio"):
                if not isinstance(value, str):
                    raise _invalid(name, "must be a text field, not a file")
                fields[name] = _flag(value) if name == "audio" else value
    return _validated(fields), image


def _flag(value: str) -> bool:
    flag = FORM_FLAGS.get(value.strip().lower())
    if flag is None:
        raise _invalid("audio", f"{value!r} is not a boolean (true or false)")
    return flag


async def _part(value: UploadFile | str) -> ImageSource:
    if isinstance(value, str):
        return value  # a URL sent as a form field
    data = await value.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise _invalid("input_reference", f"file is over {MAX_IMAGE_BYTES} bytes (20 MB)")
    return data


def _reference(container: Container, owner: ApiKey, wire: CreateVideoJson) -> ImageSource | None:
    ref = wire.input_reference
    if ref is None:
        return None
    if (ref.image_url is None) == (ref.file_id is None):
        raise _invalid("input_reference", "give exactly one of image_url or file_id")
    if ref.file_id is not None:
        return container.uploads.read(owner, ref.file_id, "input_reference")
    return ref.image_url


async def read_create(request: Request, container: Container, owner: ApiKey) -> GenerationRequest:
    limit = container.settings.max_body_bytes
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        declared = request.headers.get("content-length")
        if declared and is_digits(declared) and int(declared) > limit:
            raise _invalid("body", f"{declared} bytes is over the limit of {limit} bytes")
        wire, image = await _from_form(request)
    elif kind in ("application/json", ""):
        wire = _validated(parse_body(await read_body(request, limit)))
        image = _reference(container, owner, wire)
    else:
        raise _invalid("Content-Type", f"{kind!r}; send application/json or multipart/form-data")
    return to_request(wire, image)


def _duration(spec: catalog.ModelSpec | None, seconds: str | None) -> int | None:
    if seconds is None:
        return spec.default_duration if spec else None
    if not is_digits(seconds.strip(), max_len=3):
        raise _invalid("seconds", f"{seconds!r} is not a whole number of seconds")
    return int(seconds)


def to_request(wire: CreateVideoJson, image: ImageSource | None) -> GenerationRequest:
    """``size`` picks the exact output size and, through it, the catalog resolution."""
    spec = catalog.lookup(wire.model)
    size, resolution = None, None
    if spec is not None:
        offered = sizes_of(spec)
        text = wire.size if wire.size is not None else (spec.sizes[0] if spec.sizes else None)
        if text is not None:
            if text not in offered:
                shown = ", ".join(offered)
                raise _invalid("size", f"{text!r} is not offered by {spec.name} (offered: {shown})")
            size, resolution = parse_size(text), offered[text]
    return GenerationRequest(
        model=wire.model,
        prompt=wire.prompt,
        duration=_duration(spec, wire.seconds),
        resolution=resolution,
        size=size,
        first_frame_image=image,
        audio=wire.audio,
    )
