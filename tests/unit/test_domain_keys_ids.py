"""API key secrets and hashes; task and file ids; file records."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from reelserve.domain import files, ids, keys

T0 = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
INT64_MAX = 2**63 - 1


# --- keys -------------------------------------------------------------------------------------


def test_a_secret_has_the_prefix_and_256_random_bits() -> None:
    secret = keys.new_secret()
    assert secret.startswith("rs_") and keys.KEY_PREFIX == "rs_"
    body = secret.removeprefix("rs_")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body)  # 32 bytes, URL-safe base64, no padding
    assert len({keys.new_secret() for _ in range(100)}) == 100


def test_hash_is_stable_sha256_hex() -> None:
    assert keys.hash_secret("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    secret = keys.new_secret()
    assert keys.hash_secret(secret) == keys.hash_secret(secret)
    assert keys.hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert keys.hash_secret(secret) != keys.hash_secret(secret + "x")
    assert keys.hash_secret("ключ…") == hashlib.sha256("ключ…".encode()).hexdigest()


def test_hint_shows_the_prefix_and_the_last_four_characters() -> None:
    assert keys.hint_for("rs_abcdefghijklmnopqrstuvwxyz") == "rs_abc…wxyz"
    secret = keys.new_secret()
    hint = keys.hint_for(secret)
    assert hint.startswith(secret[:6]) and hint.endswith(secret[-4:])
    assert secret[6:-4] not in hint


def test_api_key_is_active_until_revoked() -> None:
    key = keys.ApiKey(id="k1", name="ci", hint="rs_abc…wxyz", key_hash="00", created_at=T0)
    assert key.active
    assert (key.rpm_limit, key.max_in_flight, key.balance_usd, key.webhook_secret) == (
        None,
        None,
        None,
        "",
    )
    revoked = keys.ApiKey(id="k1", name="ci", hint="h", key_hash="00", created_at=T0, revoked_at=T0)
    assert not revoked.active


# --- ids --------------------------------------------------------------------------------------


def test_an_id_is_a_digit_string_that_fits_int64() -> None:
    new = ids.new_id(T0)
    assert re.fullmatch(r"[0-9]{17}", new)
    assert new.startswith(str(int(T0.timestamp() * 1000)))
    assert int(new) <= INT64_MAX
    # Until the year 2286 the milliseconds keep 13 digits, far inside int64.
    late = ids.new_id(datetime(2286, 1, 1, tzinfo=UTC))
    assert len(late) == 17 and int(late) <= INT64_MAX


@pytest.mark.parametrize(
    "step", [timedelta(milliseconds=1), timedelta(seconds=1), timedelta(days=400)]
)
def test_ids_are_time_ordered(step: timedelta) -> None:
    times = [T0 + i * step for i in range(50)]
    made = [ids.new_id(t) for t in times]
    assert made == sorted(made)  # as strings
    assert [int(m) for m in made] == sorted(int(m) for m in made)  # and as numbers
    assert len(set(made)) == len(made)


def test_ids_in_the_same_millisecond_differ_in_their_random_tail() -> None:
    tails = {ids.new_id(T0)[-4:] for _ in range(200)}
    assert len(tails) > 1


def test_one_process_never_makes_the_same_id_twice_in_one_millisecond() -> None:
    made = [ids.new_id(T0) for _ in range(5000)]  # random tails: a duplicate is near certain
    assert len(set(made)) == len(made)


# --- files ------------------------------------------------------------------------------------


def test_file_record_defaults() -> None:
    record = files.FileRecord(
        id="123",
        owner_key_id="k1",
        task_id="456",
        storage_key="videos/456/output.mp4",
        filename=files.VIDEO_FILENAME,
        purpose=files.PURPOSE_VIDEO,
        bytes=1024,
        created_at=T0,
    )
    assert record.content_type == "video/mp4"
    assert (files.PURPOSE_VIDEO, files.VIDEO_FILENAME, files.AIGC_VIDEO_FILENAME) == (
        "video_generation",
        "output.mp4",
        "output_aigc.mp4",
    )
