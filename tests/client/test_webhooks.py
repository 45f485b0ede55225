"""verify_webhook: the Standard Webhooks reference vector, reelserve-style secrets, refusals."""

from __future__ import annotations

import secrets

import pytest

from reelserve_client import WebhookVerificationError, sign_webhook, verify_webhook

# The reference example of the Standard Webhooks spec (and of svix's libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
SPEC_BODY = b'{"test": 2432232314}'


def test_the_spec_reference_vector_verifies() -> None:
    assert verify_webhook(SPEC_BODY, SPEC_HEADERS, SPEC_SECRET, now=1614265330) == {
        "test": 2432232314
    }


@pytest.mark.parametrize("n", range(20))
def test_reelserve_style_secrets_round_trip(n: int) -> None:
    secret = "whsec_" + secrets.token_urlsafe(24)  # as the server makes them: either decoding
    body = b'{"task_id": "1", "status": "success"}'
    headers = {
        "Webhook-Id": f"msg_{n}",
        "Webhook-Timestamp": "1700000000",
        "Webhook-Signature": "v1,bogus= "
        + sign_webhook(body, msg_id=f"msg_{n}", timestamp=1700000000, secret=secret),
    }
    assert verify_webhook(body, headers, secret, now=1700000100)["status"] == "success"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-signature": "v1,AAAA"}, "no webhook-signature matches"),
        ({"webhook-timestamp": "1614265000"}, "more than 300 s"),
        ({"webhook-timestamp": "soon"}, "not an integer"),
        ({"webhook-id": ""}, "missing webhook-id"),
    ],
)
def test_refusals_say_why(change: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookVerificationError, match=message):
        verify_webhook(SPEC_BODY, {**SPEC_HEADERS, **change}, SPEC_SECRET, now=1614265330)


def test_a_changed_body_or_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(b'{"test": 1}', SPEC_HEADERS, SPEC_SECRET, now=1614265330)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SPEC_BODY, SPEC_HEADERS, "whsec_" + "A" * 32, now=1614265330)
