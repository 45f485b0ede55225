"""The [upstreams.*] part of the engine registry: checked at start-up, keys never shown."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.registry import RegistryError, load_router
from reelserve.adapters.engines.upstream.config import UpstreamConfigError, load
from reelserve.adapters.engines.upstream.engine import UpstreamEngine
from reelserve.adapters.engines.upstream.http import Secret

GOOD = """
[upstreams.minimax]
dialect = "minimax"
base_url = "https://gw.example/minimax"
api_key_env = "MM_KEY"
max_in_flight = 3

[upstreams.backup]
dialect = "openai"
base_url = "http://127.0.0.1:9000"

[models."MiniMax-Hailuo-02"]
engine = "upstream"
upstream = ["minimax", "backup"]
upstream_model = "hailuo-02"

[models."T2V-01"]
engine = "preview"
"""


def parse(text: str, env: dict[str, str] | None = None) -> object:
    return load(Path("engines.toml"), tomllib.loads(text), env or {"MM_KEY": "sk-secret-1"})


def test_a_good_file_gives_upstreams_and_relayed_models() -> None:
    config = parse(GOOD)
    assert config is not None
    upstreams = config.upstreams  # type: ignore[attr-defined]
    assert upstreams["minimax"].base_url == "https://gw.example/minimax"
    assert upstreams["minimax"].max_in_flight == 3 and upstreams["backup"].key is None
    model = config.models["MiniMax-Hailuo-02"]  # type: ignore[attr-defined]
    assert model.route == ("minimax", "backup") and model.upstream_model == "hailuo-02"
    assert "sk-secret-1" not in repr(config)


def test_nothing_relayed_gives_none() -> None:
    assert parse('[models."T2V-01"]\nengine = "preview"\n') is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('dialect = "minimax"', 'dialect = "sora"'), "[upstreams.minimax].dialect is 'sora'"),
        (('base_url = "https://gw.example/minimax"', 'base_url = "gw"'), "give an http(s) URL"),
        (("max_in_flight = 3", "max_in_flight = 0"), "max_in_flight is 0"),
        (("max_in_flight = 3", "max_inflight = 3"), "unknown key(s) max_inflight"),
        (('upstream = ["minimax", "backup"]', 'upstream = "nope"'), "no [upstreams.nope]"),
        (('[models."MiniMax-Hailuo-02"]', '[models."Hailuo-99"]'), "not a catalog model"),
        (('engine = "preview"', 'engine = "preview"\nupstream = "minimax"'), 'is not "upstream"'),
    ],
)
def test_mistakes_are_named(change: tuple[str, str], words: str) -> None:
    with pytest.raises(UpstreamConfigError, match=re.escape(words)):
        parse(GOOD.replace(*change))


def test_a_missing_key_names_the_variable_never_a_value() -> None:
    with pytest.raises(UpstreamConfigError) as caught:
        parse(GOOD, env={"OTHER": "sk-secret-1"})
    assert "'MM_KEY', which is not set" in str(caught.value)
    assert "sk-secret-1" not in str(caught.value)


def test_secrets_hide_in_repr_and_str() -> None:
    secret = Secret("sk-live-123")
    assert "sk-live-123" not in repr(secret) + str(secret) and secret.reveal() == "sk-live-123"


def test_the_registry_builds_the_upstream_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MM_KEY", "sk-secret-1")
    path = tmp_path / "engines.toml"
    path.write_text(GOOD)
    preview = PreviewEngine()
    router = load_router(path, preview=preview)
    relayed = router.engine_for("MiniMax-Hailuo-02")
    assert isinstance(relayed, UpstreamEngine) and relayed.name == "upstream:minimax|backup"
    assert router.engine_for("T2V-01") is preview


def test_a_registry_mistake_in_the_relay_tables_is_a_registry_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MM_KEY", raising=False)
    path = tmp_path / "engines.toml"
    path.write_text(GOOD)
    with pytest.raises(RegistryError, match="'MM_KEY', which is not set"):
        load_router(path, preview=PreviewEngine())
