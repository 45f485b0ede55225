"""The KeyStore contract: add, look up by hash, list, revoke."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.contract.helpers import T0, make_key


def test_a_key_reads_back_by_its_hash(stores: Any) -> None:
    key = make_key("k1", rpm_limit=10, max_in_flight=2, balance_usd=Decimal("12.50"))
    stores.keys.add(key)
    assert stores.keys.by_hash(key.key_hash) == key
    assert stores.keys.by_hash("0" * 64) is None


def test_names_are_unique(stores: Any) -> None:
    stores.keys.add(make_key("k1", name="ci"))
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own error
        stores.keys.add(make_key("k2", name="ci"))
    assert [k.id for k in stores.keys.all()] == ["k1"]


def test_all_lists_oldest_first_and_revoke_keeps_the_first_time(stores: Any) -> None:
    stores.keys.add(make_key("k2", created_at=T0 + timedelta(seconds=1)))
    stores.keys.add(make_key("k1"))
    assert [k.id for k in stores.keys.all()] == ["k1", "k2"]
    revoked = stores.keys.revoke("key-k2", T0 + timedelta(hours=1))
    assert revoked.id == "k2" and not revoked.active
    again = stores.keys.revoke("k2", T0 + timedelta(hours=2))
    assert again.revoked_at == T0 + timedelta(hours=1)
    assert stores.keys.revoke("nobody", T0) is None
    assert stores.keys.by_hash(make_key("k2").key_hash).revoked_at == revoked.revoked_at
