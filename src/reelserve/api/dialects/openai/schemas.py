"""Wire models of the OpenAI Videos dialect (DIALECTS.md §1), pinned to the openai SDK's
``types/video*.py``. Answers are pydantic models; ``warnings`` is reelserve's one addition."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

VideoStatus = Literal["queued", "in_progress", "completed", "failed"]


class VideoError(BaseModel):
    code: str = Field(description='"cancelled" for a cancelled task; else what went wrong.')
    message: str


class Video(BaseModel):
    id: str = Field(examples=["video_17648803250001234"])
    object: Literal["video"] = "video"
    model: str
    status: VideoStatus
    progress: int = Field(ge=0, le=100)
    created_at: int
    completed_at: int | None = None
    expires_at: int | None = Field(None, description="When the download URL signing expires.")
    error: VideoError | None = None
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    seconds: str
    size: str
    warnings: list[str] = Field(
        default_factory=list, description="reelserve: what was adapted (e.g. a cropped image)."
    )
    has_audio: bool = Field(False, description="reelserve: the video has a soundtrack.")


class VideoList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Video]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeleted(BaseModel):
    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool = Field(description="False while a running task is still being cancelled.")


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorOut(BaseModel):
    error: ErrorBody


class ImageReference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    image_url: StrictStr | None = Field(None, description="An http(s) or data: URL.")
    file_id: StrictStr | None = Field(None, description="An id from POST /v1/files/upload.")


class CreateVideoJson(BaseModel):
    """POST /v1/videos as JSON (the SDK sends the same fields as multipart/form-data)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"prompt": "A cat on a sofa", "seconds": "4"}]},
    )
    prompt: StrictStr
    model: StrictStr = "sora-2"
    seconds: StrictStr | None = Field(None, examples=["4", "8", "12"])
    size: StrictStr | None = Field(None, examples=["720x1280", "1280x720"])
    input_reference: ImageReference | None = None
    audio: StrictBool = Field(
        True,
        description="reelserve extension: false drops the soundtrack (H3, LTX-2)",
    )


class CreateVideoForm(BaseModel):
    """The multipart/form-data body: ``input_reference`` is an image file part."""

    prompt: str
    model: str = "sora-2"
    seconds: str | None = None
    size: str | None = None
    input_reference: bytes | None = Field(None, json_schema_extra={"format": "binary"})
    audio: bool = Field(True, description='reelserve extension: "false" drops the soundtrack')


class RemixIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt: StrictStr = Field(min_length=1)
