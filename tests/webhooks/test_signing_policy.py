"""Push bodies, Standard Webhooks signatures (checked by the independent SDK), retry policy."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from reelserve.domain.deliveries import CallbackEvent, message_id
from reelserve.domain.tasks import TaskStatus
from reelserve.services.callbacks import MiniMaxV1Callback
from reelserve.services.webhooks import (
    SCHEDULE_S,
    RetryPolicy,
    new_webhook_secret,
    sign,
    signed_headers,
)


def push_body(
    *, task_id: str, status: TaskStatus, file_id: str | None, error_code: int, error_message: str
) -> bytes:
    """The MiniMax v1 callback body of a neutral event, as the outbox sends it."""
    event = CallbackEvent(
        task_id=task_id,
        status=status,
        dialect="minimax",
        file_id=file_id,
        error_code=error_code,
        error_message=error_message,
    )
    return MiniMaxV1Callback().render(event)


# MINIMAX_API.md §5, the official example push.
OFFICIAL = (
    '{"task_id":"115334141465231360","status":"success","file_id":"205258526306433",'
    '"base_resp":{"status_code":0,"status_msg":"success"}}'
)


def test_success_push_is_byte_identical_to_the_official_example() -> None:
    body = push_body(
        task_id="115334141465231360",
        status=TaskStatus.SUCCEEDED,
        file_id="205258526306433",
        error_code=0,
        error_message="",
    )
    assert body.decode() == OFFICIAL


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (TaskStatus.PROCESSING, {"status": "processing", "file_id": "", "base_resp": {"status_code": 0, "status_msg": "success"}}),
        (TaskStatus.FAILED, {"status": "failed", "file_id": "", "base_resp": {"status_code": 1026, "status_msg": "input new_sensitive"}}),
        (TaskStatus.CANCELLED, {"status": "failed", "file_id": "", "base_resp": {"status_code": 1026, "status_msg": "input new_sensitive"}}),
    ],
)  # fmt: skip
def test_other_pushes_use_lowercase_statuses_and_the_failure_code(
    status: TaskStatus, expected: dict[str, object]
) -> None:
    body = push_body(
        task_id="1",
        status=status,
        file_id="99",
        error_code=1026,
        error_message="input new_sensitive",
    )
    assert json.loads(body) == {"task_id": "1", **expected}


def test_a_failure_without_a_code_reads_as_1000() -> None:
    body = push_body(
        task_id="1", status=TaskStatus.FAILED, file_id=None, error_code=0, error_message=""
    )
    assert json.loads(body)["base_resp"] == {"status_code": 1000, "status_msg": "unknown error"}


def test_secrets_are_standard_base64_of_24_random_bytes() -> None:
    secrets = {new_webhook_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[6:], validate=True)) == 24


def test_the_standardwebhooks_sdk_verifies_our_signature() -> None:
    secret = new_webhook_secret()
    body = OFFICIAL.encode()
    stamp = int(time.time())
    headers = signed_headers(secret, message_id("115334141465231360", "success"), stamp, body)
    assert headers["webhook-id"] == "msg_115334141465231360_success"
    assert Webhook(secret).verify(body, headers) == json.loads(OFFICIAL)
    expected = Webhook(secret).sign(
        headers["webhook-id"], datetime.fromtimestamp(stamp, UTC), OFFICIAL
    )
    assert headers["webhook-signature"] == expected


def test_pushes_are_signed_by_the_standardwebhooks_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One implementation signs and verifies, so they cannot disagree; an empty secret (which a
    hand-rolled HMAC signed with ``b""``) is refused."""
    calls: list[str] = []
    real = Webhook.sign

    def spy(self: Webhook, msg_id: str, timestamp: datetime, data: str) -> str:
        calls.append(msg_id)
        return real(self, msg_id, timestamp, data)

    monkeypatch.setattr(Webhook, "sign", spy)
    signed_headers(new_webhook_secret(), "msg_1_success", int(time.time()), OFFICIAL.encode())
    assert calls == ["msg_1_success"]
    with pytest.raises(Exception, match="may not be empty"):
        signed_headers("whsec_", "msg_1_success", int(time.time()), OFFICIAL.encode())


def test_the_sdk_rejects_a_changed_body_another_secret_and_an_old_timestamp() -> None:
    secret = new_webhook_secret()
    body = OFFICIAL.encode()
    headers = signed_headers(secret, "msg_1_success", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"success", b"failed", 1), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)
    old = signed_headers(secret, "msg_1_success", int(time.time()) - 600, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, old)


def test_signature_matches_a_hand_computed_hmac() -> None:
    import hashlib
    import hmac

    key = bytes(range(24))
    secret = "whsec_" + base64.b64encode(key).decode()
    digest = hmac.new(key, b"msg_1_processing.1700000000.{}", hashlib.sha256).digest()
    assert (
        sign(secret, "msg_1_processing", 1700000000, b"{}")
        == "v1," + base64.b64encode(digest).decode()
    )


def test_policy_delivers_on_2xx_retries_otherwise_and_gives_up() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.outcome(s, 1) for s in (200, 204, 299)] == ["delivered"] * 3
    assert [policy.outcome(s, 1) for s in (0, 302, 404, 429, 500, 502)] == ["retry"] * 6
    assert policy.outcome(410, 1) == "gave_up"  # Gone: the receiver asks us to stop
    assert policy.outcome(500, 3) == "gave_up"
    assert policy.outcome(200, 3) == "delivered"


def test_policy_follows_the_schedule_scaled_with_bounded_jitter() -> None:
    policy = RetryPolicy()
    assert SCHEDULE_S == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert policy.max_attempts == 8
    assert [policy.delay_s(n, 0.5) for n in range(1, 9)] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
        36000,
    ]
    assert policy.delay_s(1, 0.0) == pytest.approx(4.5)
    assert policy.delay_s(1, 0.999999) == pytest.approx(5.5)
    fast = RetryPolicy(scale=0.001, jitter=0.0)
    assert fast.delay_s(2, 0.3) == pytest.approx(0.3)
