"""reelserve-client: a Python SDK for reelserve and MiniMax-compatible video APIs (httpx only).

>>> from reelserve_client import Client
>>> with Client("http://127.0.0.1:8000", api_key="rs_…") as client:
...     video = client.generate("A lighthouse at dusk [Push in]", model="T2V-01-Director",
...                             output="lighthouse.mp4")
"""

from reelserve_client._async import AsyncClient
from reelserve_client._sync import Client
from reelserve_client.errors import (
    ApiError,
    AuthError,
    ConnectionFailed,
    InsufficientBalance,
    InvalidParams,
    RateLimited,
    ReelserveClientError,
    SensitiveContent,
    ServerError,
    TaskFailed,
    WaitTimeout,
    WebhookVerificationError,
)
from reelserve_client.models import FileInfo, GeneratedVideo, Task, TaskPage
from reelserve_client.webhooks import sign_webhook, verify_webhook

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthError",
    "Client",
    "ConnectionFailed",
    "FileInfo",
    "GeneratedVideo",
    "InsufficientBalance",
    "InvalidParams",
    "RateLimited",
    "ReelserveClientError",
    "SensitiveContent",
    "ServerError",
    "Task",
    "TaskFailed",
    "TaskPage",
    "WaitTimeout",
    "WebhookVerificationError",
    "__version__",
    "sign_webhook",
    "verify_webhook",
]
