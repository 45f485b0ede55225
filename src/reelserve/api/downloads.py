"""Signed download URLs: no API key needed, the HMAC signature and expiry are the credential."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from reelserve.api.deps import ContainerDep
from reelserve.api.minimax import file_response
from reelserve.domain.errors import NotFound

router = APIRouter(tags=["files"])

_REFUSED = {"status_code": 1004, "status_msg": "download url expired or invalid"}


@router.get("/v1/files/download/{file_id}/{filename}", summary="Download through a signed URL")
def download(
    container: ContainerDep, file_id: str, filename: str, expires: int = 0, signature: str = ""
) -> Response:
    if not container.signer.verify(file_id, expires, signature, container.clock.now()):
        return JSONResponse({"base_resp": _REFUSED}, status_code=403)
    try:
        record = container.tasks.get_file(None, file_id)
    except NotFound:
        return JSONResponse({"base_resp": _REFUSED}, status_code=404)
    return file_response(container, record)
