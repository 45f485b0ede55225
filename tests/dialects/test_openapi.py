"""The OpenAPI document types every new route: typed answers (components), typed error bodies,
and both create bodies of OpenAI's shape."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.asyncio

TYPED = {
    ("post", "/v1/videos"): "Video",
    ("get", "/v1/videos"): "VideoList",
    ("get", "/v1/videos/{video_id}"): "Video",
    ("delete", "/v1/videos/{video_id}"): "VideoDeleted",
    ("post", "/v1/videos/{video_id}/remix"): "Video",
    ("post", "/v2/video_generation"): "CreateOut",
    ("get", "/v2/query/video_generation/{task_id}"): "QueryOut",
    ("get", "/v2/query/video_generation"): "ListOut",
    ("delete", "/v2/video_generation/{task_id}"): "DeleteOut",
    ("post", "/v1/files/upload"): "UploadOut",
    ("get", "/v1/files/list"): "ListOut",
    ("post", "/v1/files/delete"): "DeleteOut",
}


async def test_every_new_route_answers_a_typed_model(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for (method, path), model in TYPED.items():
        responses = paths[path][method]["responses"]
        ref = responses["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[1].split("__")[-1] == model, (method, path, ref)
        if path.startswith(("/v1/videos", "/v2/")):
            error = responses["400"]["content"]["application/json"]["schema"]["$ref"]
            assert error.rsplit("/", 1)[1].split("__")[-1] == "ErrorOut", (method, path)


async def test_openai_create_documents_multipart_and_json(client: httpx.AsyncClient) -> None:
    body = (await client.get("/openapi.json")).json()["paths"]["/v1/videos"]["post"]["requestBody"]
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["input_reference"]["format"] == "binary"
    assert "image_url" in str(body["content"]["application/json"]["schema"])
    content = (await client.get("/openapi.json")).json()["paths"]["/v1/videos/{video_id}/content"]
    produced = content["get"]["responses"]["200"]["content"]
    assert {"video/mp4", "image/webp", "image/jpeg"} <= set(produced)
