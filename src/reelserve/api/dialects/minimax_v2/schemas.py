"""Wire models of MiniMax's V2 video API (DIALECTS.md §2): typed answers and the create body."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

V2Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class MediaUrl(BaseModel):
    model_config = ConfigDict(extra="ignore")
    url: StrictStr = Field(description="https://…, data:…;base64,… or mm_file://ID")


class ContentItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text", "image_url", "video_url", "audio_url"]
    text: StrictStr | None = None
    image_url: MediaUrl | None = None
    video_url: MediaUrl | None = None
    audio_url: MediaUrl | None = None
    role: StrictStr | None = Field(
        None,
        description="first_frame, last_frame, reference_image, reference_video, reference_audio",
    )


class CreateIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": "MiniMax-H3",
                    "content": [{"type": "text", "text": "The subject walks forward"}],
                    "resolution": "768P",
                    "duration": 5,
                    "ratio": "16:9",
                }
            ]
        },
    )
    model: StrictStr = "MiniMax-H3"
    content: list[ContentItem] = Field(min_length=1)
    resolution: StrictStr = "768P"
    duration: StrictInt | None = Field(None, description="4–15 seconds; default 5")
    ratio: StrictStr = Field("adaptive", description="adaptive, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16")
    callback_url: StrictStr | None = None
    aigc_watermark: StrictBool = False
    audio: StrictBool = Field(
        True,
        description="reelserve extension: false drops the soundtrack (H3, LTX-2)",
    )


class CreateOut(BaseModel):
    task_id: str
    warnings: list[str] = Field(default_factory=list, description="reelserve: what was ignored")


class TaskError(BaseModel):
    code: str
    message: str


class TaskContent(BaseModel):
    url: str | None = Field(description="Signed anew on each query; expires.")
    prompt: str


class Usage(BaseModel):
    duration: int
    resolution: str
    cost_usd: str


class TaskOut(BaseModel):
    id: str
    model: str
    status: V2Status
    error: TaskError | None = None
    created_at: int
    updated_at: int
    content: TaskContent
    resolution: str
    duration: int
    ratio: str
    usage: Usage | None = None
    task_type: str
    progress: int = Field(ge=0, le=100, description="reelserve: percent done")
    warnings: list[str] = Field(default_factory=list)
    has_audio: bool = Field(False, description="reelserve: the video has a soundtrack")


class QueryOut(BaseModel):
    task: TaskOut


class ListOut(BaseModel):
    items: list[TaskOut]
    total: int


class DeleteOut(BaseModel):
    task_id: str
    status: Literal["cancelled", "deleted", "running"] = Field(
        description="cancelled: it was running or queued; deleted: a finished one was removed; "
        "running: asked to stop, its worker has not yet"
    )


class ErrorBody(BaseModel):
    type: str = Field(examples=["bad_request_error"])
    message: str


class ErrorOut(BaseModel):
    type: Literal["error"] = "error"
    error: ErrorBody
