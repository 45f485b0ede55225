"""A V2 create body into the neutral GenerationRequest: content[] roles, media sources
(URL, data URL, mm_file://ID), resolution × ratio, and what the engines will not use."""

from __future__ import annotations

from reelserve.api.dialects.minimax_v2.schemas import ContentItem, CreateIn, MediaUrl
from reelserve.domain import catalog, content
from reelserve.domain.errors import InvalidParams, Violation
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import (
    GenerationRequest,
    ImageSource,
    MediaReference,
    ReferenceKind,
)
from reelserve.domain.sizes import ratio_size
from reelserve.services.uploads import MM_FILE, UploadService

_KINDS = {
    "reference_image": ReferenceKind.IMAGE,
    "reference_video": ReferenceKind.VIDEO,
    "reference_audio": ReferenceKind.AUDIO,
}
_DATA_PREFIX = {"image_url": "data:image/", "video_url": "data:video/", "audio_url": "data:audio/"}


def _invalid(field: str, message: str) -> InvalidParams:
    return InvalidParams([Violation(field=field, message=f"{field}: {message}")])


def _url(item: ContentItem, where: str) -> str:
    media: MediaUrl | None = getattr(item, item.type)
    if media is None:
        raise _invalid(f"{where}.{item.type}", "is required for this item type")
    url = media.url.strip()
    if url.startswith(("http://", "https://", MM_FILE)):
        return url
    if url.startswith(_DATA_PREFIX[item.type]) and ";base64," in url:
        return url
    raise _invalid(
        f"{where}.{item.type}.url",
        f"{url[:40]!r} is not an http(s) URL, a {_DATA_PREFIX[item.type]}…;base64, URL or mm_file://ID",
    )


def _source(uploads: UploadService, owner: ApiKey, url: str, field: str) -> ImageSource:
    return uploads.resolve(owner, url, field)


def _size(wire: CreateIn, has_image: bool) -> tuple[int, int] | None:
    if wire.ratio not in catalog.H3_RATIOS:
        raise _invalid("ratio", f"{wire.ratio!r} is not one of {', '.join(catalog.H3_RATIOS)}")
    if wire.ratio == "adaptive":
        if not has_image:
            raise _invalid("ratio", "'adaptive' needs an image; text-only requests name a ratio")
        return None
    if wire.resolution not in ("768P", "2K"):
        return None  # the catalog's matrix names the allowed resolutions
    return ratio_size(wire.resolution, wire.ratio)


def _ignored(references: list[tuple[str, int]], used_first: bool) -> str:
    parts = [f"{role}[{n}]" for role, n in references]
    used = "reference_image[0] was used as the first frame; " if used_first else ""
    return (
        "this server's engines do not use reference inputs: "
        f"{used}ignored: {', '.join(parts) if parts else 'none'}"
    )


def to_request(wire: CreateIn, uploads: UploadService, owner: ApiKey) -> GenerationRequest:
    items = [content.Item(kind=i.type, role=i.role, text=i.text or "") for i in wire.content]
    violations = content.validate(items)
    if violations:
        raise InvalidParams(violations)
    frames: dict[str, ImageSource] = {}
    references: list[MediaReference] = []
    seen: list[tuple[str, int]] = []
    prompt = ""
    for i, (item, role) in enumerate(zip(wire.content, content.roles(items), strict=True)):
        where = f"content[{i}]"
        if item.type == "text":
            prompt = item.text or ""
            continue
        assert role is not None  # content.validate checked it
        source = _source(uploads, owner, _url(item, where), f"{where}.{item.type}.url")
        if role in content.FRAMES:
            frames[role] = source
        else:
            seen.append((role, sum(1 for r, _ in seen if r == role)))
            references.append(MediaReference(kind=_KINDS[role], source=source))
    notes: tuple[str, ...] = ()
    first = frames.get("first_frame")
    if references:
        images = [r for r in references if r.kind is ReferenceKind.IMAGE]
        first = images[0].source if images else None
        ignored = [s for s in seen if not (images and s == ("reference_image", 0))]
        notes = (_ignored(ignored, used_first=bool(images)),)
    spec = catalog.lookup(wire.model)
    return GenerationRequest(
        model=wire.model,
        prompt=prompt,
        prompt_optimizer=False,
        duration=wire.duration
        if wire.duration is not None
        else (spec.default_duration if spec else None),
        resolution=wire.resolution,
        size=_size(wire, has_image=first is not None or "last_frame" in frames),
        first_frame_image=first,
        last_frame_image=frames.get("last_frame"),
        references=tuple(references),
        callback_url=wire.callback_url or None,
        aigc_watermark=wire.aigc_watermark,
        audio=wire.audio,
        notes=notes,
    )
