"""Signed download URLs: no API key needed, the HMAC signature and expiry are the credential.

A URL that is not exactly one we handed out (another signature, expiry or file id) or that has
expired answers 403; a signed URL whose file is gone, or whose file name was changed, answers
404. Both carry the MiniMax ``base_resp`` shape with code 1004.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from reelserve.api.deps import ContainerDep, is_digits
from reelserve.api.dialects.minimax_v1.router import VIDEO_CONTENT
from reelserve.api.filebytes import file_response
from reelserve.api.schemas import ErrorOut
from reelserve.domain.errors import NotFound

router = APIRouter(tags=["files"])

_REFUSED = {"status_code": 1004, "status_msg": "download url expired or invalid"}


@router.get(
    "/v1/files/download/{file_id}/{filename}",
    summary="Download through a signed URL",
    response_class=Response,
    responses={
        200: {"description": "The video.", "content": VIDEO_CONTENT},
        206: {"description": "The requested byte range.", "content": VIDEO_CONTENT},
        403: {"model": ErrorOut, "description": "Signature wrong, or the URL expired."},
        404: {"model": ErrorOut, "description": "The file is gone (or is not named so)."},
        416: {"description": "The requested range is outside the file."},
    },
)
def download(
    request: Request,
    container: ContainerDep,
    file_id: str,
    filename: str,
    expires: Annotated[
        str,
        Query(description="Unix time, as signed.", json_schema_extra={"pattern": "^[0-9]{1,12}$"}),
    ] = "",
    signature: str = "",
) -> Response:
    # Parsed here, not by FastAPI: a garbled expiry is a refused URL (403), not a 2013 answer.
    expiry = int(expires) if is_digits(expires, max_len=12) else -1
    if not container.signer.verify(file_id, expiry, signature, container.clock.now()):
        return JSONResponse({"base_resp": _REFUSED}, status_code=403)
    try:
        record = container.tasks.get_file(None, file_id)
        if record.filename != filename:  # the name is not signed: the file has its own only
            raise NotFound("file", file_id)
        return file_response(container, record, request.headers.get("range"))
    except NotFound:
        return JSONResponse({"base_resp": _REFUSED}, status_code=404)


router.add_api_route(
    "/v1/files/download/{file_id}/{filename}", download, methods=["HEAD"], include_in_schema=False
)
