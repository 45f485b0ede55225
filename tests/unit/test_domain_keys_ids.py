"""API key secrets and hashes; task and file ids; file records."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from reelserve.domain import files, ids, keys

T0 = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)


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


def test_an_id_is_16_digits_and_exact_in_a_javascript_number() -> None:
    """JavaScript's JSON.parse keeps integers up to 2^53 - 1 exactly (issue 17 §3)."""
    for moment in (ids.EPOCH, T0, datetime(2086, 6, 1, tzinfo=UTC)):
        made = ids.IdMaker().make(moment)
        assert re.fullmatch(r"[1-9][0-9]{15}", made), made
        assert int(made) <= ids.MAX_ID == 2**53 - 1
        assert float(int(made)) == int(made)  # a double holds it exactly
    last = ids.EPOCH + timedelta(milliseconds=ids.LAST_MS)
    assert last.year == 2086
    assert ids.compose(ids.LAST_MS, 4095) <= ids.MAX_ID
    with pytest.raises(ValueError, match="no id for"):
        ids.compose(ids.LAST_MS + 1, 0)


def test_a_clock_before_the_epoch_still_gives_valid_increasing_ids() -> None:
    maker = ids.IdMaker()
    made = [maker.make(datetime(2001, 1, 1, tzinfo=UTC)) for _ in range(3)]
    assert [int(m) for m in made] == sorted(int(m) for m in made) and len(set(made)) == 3
    assert all(len(m) == 16 for m in made)


def test_an_id_encodes_its_millisecond() -> None:
    made = int(ids.IdMaker().make(T0 + timedelta(days=1)))
    ms = (made - 10**15) >> 12
    assert ids.EPOCH + timedelta(milliseconds=ms) == T0 + timedelta(days=1)


@pytest.mark.parametrize(
    "step", [timedelta(milliseconds=1), timedelta(seconds=1), timedelta(days=400)]
)
def test_ids_are_time_ordered(step: timedelta) -> None:
    times = [T0 + i * step for i in range(50)]
    maker = ids.IdMaker()
    made = [maker.make(t) for t in times]
    assert made == sorted(made)  # as strings
    assert [int(m) for m in made] == sorted(int(m) for m in made)  # and as numbers
    assert len(set(made)) == len(made)


def test_one_process_never_repeats_an_id_in_one_millisecond_or_when_the_clock_steps_back() -> None:
    moment = T0 + timedelta(days=4000)
    maker = ids.IdMaker()
    made = [maker.make(moment) for _ in range(10_000)]  # over 4096: spills into later ms
    made += [maker.make(moment - timedelta(seconds=5)) for _ in range(10)]
    assert len(set(made)) == len(made)
    assert [int(m) for m in made] == sorted(int(m) for m in made)


def test_ids_made_by_many_threads_at_once_are_unique() -> None:
    from concurrent.futures import ThreadPoolExecutor

    moment = T0 + timedelta(days=5000)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: ids.new_id(moment), range(4000)))  # the process's maker
    assert len(set(made)) == 4000


def test_the_first_id_of_a_millisecond_starts_at_a_random_low_part() -> None:
    base = T0 + timedelta(days=6000)
    maker = ids.IdMaker()
    lows = {int(maker.make(base + timedelta(milliseconds=i))) % 4096 for i in range(200)}
    assert len(lows) > 100 and max(lows) < 2048  # room left to count up in that millisecond


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
