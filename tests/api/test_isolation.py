"""Keys are isolated: another key's task or file answers exactly like an id that does not exist.

Key A owns a finished task (with a file and delivered callback pushes) and a queued one; key B
tries every route that takes a task or file id. Each answer must equal the answer to an unknown
id of the same length, byte for byte apart from the id itself, so that B learns nothing about
which ids exist, and A's tasks must be unchanged afterwards. Signed download URLs are the one
exception by design: whoever holds one may download, with or without a key; a URL that was
altered in any part, or that has expired, is refused.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from tests.webhooks.receiver import Receiver

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio

# (method, path); {task} and {file} are replaced by the id under test.
BY_ID = [
    ("GET", "/v1/query/video_generation?task_id={task}"),
    ("GET", "/minimax/v1/query/video_generation?task_id={task}"),
    ("GET", "/v1/tasks/{task}"),
    ("POST", "/v1/tasks/{task}/cancel"),
    ("GET", "/v1/tasks/{task}/events"),
    ("GET", "/v1/tasks/{task}/deliveries"),
    ("POST", "/v1/tasks/{task}/deliveries/redeliver"),
    ("GET", "/model/v1/generation/task/{task}"),
    ("GET", "/v1/files/retrieve?file_id={file}"),
    ("GET", "/v1/files/retrieve_content?file_id={file}"),
]


@dataclass(frozen=True)
class Owned:
    done: str  # A's succeeded task, with a file and pushes
    queued: str  # A's task still waiting
    file_id: str
    mine: str  # B's own task


def key(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> str:
    answer = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", **body}, headers=headers)
    ).json()
    assert answer["base_resp"]["status_code"] == 0, answer
    task_id: str = answer["task_id"]
    return task_id


async def finish(container: Container, task_id: str) -> str:
    await asyncio.to_thread(container.executor("isolation").run_next)
    task = container.repository.get(task_id)
    assert task is not None and task.file_id, task
    return task.file_id


@pytest.fixture
async def owned(
    client: httpx.AsyncClient, container: Container, api_key: str, other_key: str
) -> Owned:
    with Receiver() as receiver:
        done = await create(client, key(api_key), prompt="A's secret", callback_url=receiver.url)
        file_id = await finish(container, done)
        while container.webhooks.deliver_due():
            pass
    assert len(receiver.pushes) == 2
    mine = await create(client, key(other_key), prompt="B's own")  # next to be claimed
    queued = await create(client, key(api_key), prompt="A's queued")
    return Owned(done=done, queued=queued, file_id=file_id, mine=mine)


def unknown_like(known: str) -> str:
    """An id of the same length that names nothing (so both answers have the same size)."""
    return "9" * len(known)


async def send(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, path, headers=headers)


async def test_another_keys_ids_answer_like_unknown_ones(
    client: httpx.AsyncClient, owned: Owned, api_key: str, other_key: str
) -> None:
    for method, template in BY_ID:
        real = owned.file_id if "{file}" in template else owned.done
        if template.endswith("/cancel"):
            real = owned.queued  # a cancel that worked would show on a task that can be cancelled
        fake = unknown_like(real)
        path_of = {"task": real, "file": real}
        foreign = await send(client, method, template.format(**path_of), key(other_key))
        unknown = await send(client, method, template.format(task=fake, file=fake), key(other_key))
        where = f"{method} {template}"
        assert foreign.status_code == unknown.status_code, where
        assert foreign.headers["content-type"] == unknown.headers["content-type"], where
        assert foreign.text == unknown.text.replace(fake, real), where
        assert "not found" in foreign.text, where
        # The owner still reaches it.
        own = await send(client, method, template.format(**path_of), key(api_key))
        assert own.status_code == 200 and "not found" not in own.text, where


async def test_another_keys_task_is_unchanged_by_its_attempts(
    client: httpx.AsyncClient, container: Container, owned: Owned, api_key: str, other_key: str
) -> None:
    queued_before = container.repository.get(owned.queued)
    deliveries = f"/v1/tasks/{owned.done}/deliveries"
    log_before = (await client.get(deliveries, headers=key(api_key))).json()
    for path in (f"/v1/tasks/{owned.queued}/cancel", f"{deliveries}/redeliver"):
        answer = (await client.post(path, headers=key(other_key))).json()
        assert answer["base_resp"]["status_code"] == 2013
    assert container.repository.get(owned.queued) == queued_before
    assert (await client.get(deliveries, headers=key(api_key))).json() == log_before


async def test_lists_show_only_the_callers_tasks(
    client: httpx.AsyncClient, owned: Owned, api_key: str, other_key: str
) -> None:
    async def listed(secret: str, **params: str) -> list[str]:
        page = (await client.get("/v1/tasks", params=params, headers=key(secret))).json()
        return [t["task_id"] for t in page["tasks"]]

    assert await listed(other_key) == [owned.mine]
    assert await listed(other_key, status="succeeded") == []
    # A cursor is only an upper bound on ids: A's id used as B's cursor still lists B's tasks only.
    assert set(await listed(other_key, cursor=unknown_like(owned.mine))) == {owned.mine}
    assert set(await listed(api_key)) == {owned.done, owned.queued}
    secrets = {
        s: (await client.get("/v1/webhooks/secret", headers=key(s))).json()["secret"]
        for s in (api_key, other_key)
    }
    assert secrets[api_key] != secrets[other_key]


# --- signed download URLs -------------------------------------------------------------------


async def download_url(client: httpx.AsyncClient, file_id: str, secret: str) -> httpx.URL:
    answer = (
        await client.get("/v1/files/retrieve", params={"file_id": file_id}, headers=key(secret))
    ).json()
    return httpx.URL(answer["file"]["download_url"])


def with_path(url: httpx.URL, file_id: str, filename: str) -> httpx.URL:
    return url.copy_with(path=f"/v1/files/download/{file_id}/{filename}")


async def test_a_signed_url_works_for_anyone_and_only_as_signed(
    client: httpx.AsyncClient, container: Container, owned: Owned, api_key: str, other_key: str
) -> None:
    url = await download_url(client, owned.file_id, api_key)
    for headers in ({"Authorization": ""}, key(other_key)):  # the URL is the credential
        answer = await client.get(str(url), headers=headers)
        assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"

    others_file = await finish(container, owned.mine)
    filename = url.path.rsplit("/", 1)[1]
    now = container.clock.now()
    stale_expiry, stale_signature = container.signer.sign(
        owned.file_id, now - container.signer.ttl - timedelta(seconds=1)
    )
    signature = url.params["signature"]
    refused = {
        "another signature": url.copy_set_param("signature", "0" * len(signature)),
        "a signature in other letters": url.copy_set_param("signature", signature.upper()),
        "a non-ASCII signature": url.copy_set_param("signature", "é" * len(signature)),
        "no signature": url.copy_remove_param("signature"),
        "a later expiry": url.copy_set_param("expires", str(int(url.params["expires"]) + 1)),
        "a garbled expiry": url.copy_set_param("expires", "²" + url.params["expires"]),
        "an expired one": url.copy_merge_params(
            {"expires": str(stale_expiry), "signature": stale_signature}
        ),
        "another key's file": with_path(url, others_file, filename),
        "an unknown file": with_path(url, unknown_like(owned.file_id), filename),
    }
    bodies = set()
    for why, tampered in refused.items():
        answer = await client.get(str(tampered), headers={"Authorization": ""})
        assert answer.status_code == 403, why
        bodies.add(answer.text)
    assert len(bodies) == 1  # one answer for every refusal: nothing tells them apart
    assert json.loads(bodies.pop())["base_resp"]["status_code"] == 1004

    # The file name is not signed; a signed URL under another name is a file that is not there.
    renamed = await client.get(str(with_path(url, owned.file_id, "other.mp4")))
    assert renamed.status_code == 404 and renamed.json()["base_resp"]["status_code"] == 1004


async def test_the_file_id_of_another_key_is_never_handed_out(
    client: httpx.AsyncClient, owned: Owned, other_key: str
) -> None:
    """B cannot learn A's file id: the query refuses A's task, and so does retrieve."""
    query = await client.get(
        "/v1/query/video_generation", params={"task_id": owned.done}, headers=key(other_key)
    )
    assert owned.file_id not in query.text
    retrieved = await client.get(
        "/v1/files/retrieve", params={"file_id": owned.file_id}, headers=key(other_key)
    )
    assert "download_url" not in retrieved.text and "signature" not in retrieved.text
