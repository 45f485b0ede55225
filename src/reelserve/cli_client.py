"""Client-side commands: ``reelserve generate`` and ``reelserve tasks list | show | cancel``.

They talk to a running server through the SDK (``reelserve_client``), like any other client.
Every API error becomes one line on stderr naming the problem, and exit status 1; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from reelserve_client import Client, Task

tasks_app = typer.Typer(
    help="List, inspect and cancel your tasks on a server.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)

Server = Annotated[
    str,
    typer.Option("--server", envvar="REELSERVE_URL", help="Server URL. Env: REELSERVE_URL."),
]
Key = Annotated[
    str,
    typer.Option("--api-key", envvar="REELSERVE_API_KEY", help="API key. Env: REELSERVE_API_KEY."),
]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]
DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Col:
    """A table column: its header and rich's column options (used only in a terminal)."""

    name: str
    no_wrap: bool = False
    overflow: Literal["fold", "crop", "ellipsis"] = "fold"
    justify: Literal["left", "right"] = "left"


def emit(columns: list[Col], rows: list[list[str]]) -> None:
    """A table in a terminal, sized to its width (80 columns stay readable: long text gives
    way, ids and names stay whole); tab-separated lines with a header when piped."""
    if not out.is_terminal:
        for line in [[c.name for c in columns], *rows]:
            print("\t".join(" ".join(cell.split()) for cell in line))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    # Whole columns (ids, names, numbers) keep their widest cell; an "ellipsis" column (a
    # prompt) gets what is left and is cut with "…"; a "fold" column that may wrap wraps.
    widths = [max([len(c.name), *(len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    whole = [c.no_wrap and c.overflow == "fold" for c in columns]
    left = out.width - sum(w for w, keep in zip(widths, whole, strict=True) if keep)
    left -= 3 * len(columns)  # padding and separators
    for c, width, keep in zip(columns, widths, whole, strict=True):
        table.add_column(
            c.name,
            no_wrap=c.no_wrap,
            overflow=c.overflow,
            justify=c.justify,
            min_width=width if keep else None,
            max_width=max(8, left) if c.overflow == "ellipsis" else None,
        )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _client(server: str, api_key: str) -> Client:
    from reelserve_client import Client

    return Client(server, api_key, poll_interval=0.5)


@contextlib.contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Turn SDK and file errors into one clear line and exit status 1."""
    from reelserve_client import ReelserveClientError

    try:
        yield
    except (ReelserveClientError, OSError) as error:
        if debug:
            raise
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _progress_hook(progress: Progress, bar: Any) -> Any:
    def update(task: Task) -> None:
        info = ""
        if task.status == "Queueing" and task.queue_position is not None:
            ahead = task.queue_position
            info = "next in queue" if ahead == 0 else f"queue position {ahead + 1}"
        description = task.phase or task.status.lower()
        if task.progress is None:  # a server without reelserve's progress fields
            progress.update(bar, description=description, total=None, info=info)
        else:
            progress.update(bar, description=description, completed=task.progress, info=info)

    return update


def generate(
    prompt: Annotated[str, typer.Argument(help="What the video shows; [Push in] etc. for camera.")],
    first_frame: Annotated[
        str | None, typer.Option("--first-frame", help="First frame: a file path or URL.")
    ] = None,
    last_frame: Annotated[
        str | None, typer.Option("--last-frame", help="Last frame: a file path or URL.")
    ] = None,
    model: Annotated[str, typer.Option("--model", help="Model name.")] = "MiniMax-Hailuo-02",
    duration: Annotated[int | None, typer.Option("--duration", help="Seconds (6 or 10).")] = None,
    resolution: Annotated[
        str | None, typer.Option("--resolution", help="512P, 720P, 768P or 1080P.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to save the MP4.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the video.")] = 1800.0,
    server: Server = DEFAULT_URL,
    api_key: Key = "",
    debug: Debug = False,
) -> None:
    """Generate a video and save it, showing queue position, phase and progress."""
    with _errors(debug), _client(server, api_key) as client:
        task_id = client.create_video(
            model=model,
            prompt=prompt,
            first_frame_image=first_frame,
            last_frame_image=last_frame,
            duration=duration,
            resolution=resolution,
        )
        err.print(f"task {task_id} created on {server}", highlight=False, soft_wrap=True)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as progress:
            bar = progress.add_task("queued", total=100, info="")
            task = client.wait(task_id, timeout=timeout, on_progress=_progress_hook(progress, bar))
            progress.update(bar, description="done", completed=100, info="")
        assert task.file_id is not None
        target = output or Path(f"reelserve-{task_id}.mp4")
        client.download(task.file_id, target)
        size = target.stat().st_size / 1e6
        out.print(
            f"saved {target} ({task.video_width}×{task.video_height}, {size:.1f} MB, "
            f"task {task_id})",
            highlight=False,
            soft_wrap=True,
        )


@tasks_app.command("list")
def tasks_list(
    status: Annotated[str | None, typer.Option(help="Only tasks with this status.")] = None,
    limit: Annotated[int, typer.Option(help="Tasks per page.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="Continue after this cursor.")] = None,
    server: Server = DEFAULT_URL,
    api_key: Key = "",
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Your tasks, newest first."""
    with _errors(debug), _client(server, api_key) as client:
        page = client.list_tasks(status=status, limit=limit, cursor=cursor)
    if as_json:
        print(json.dumps({"tasks": page.tasks, "next_cursor": page.next_cursor}, indent=2))
        return
    piped = not out.is_terminal
    wide = piped or out.width >= 100  # at 80 columns the creation time gives way first
    columns = [
        Col("task", no_wrap=True),
        *([Col("created", no_wrap=True)] if wide else []),
        Col("status", no_wrap=True),
        Col("%", no_wrap=True, justify="right"),
        Col("model", no_wrap=True),
        Col("size", no_wrap=True),
        Col("prompt", overflow="ellipsis", no_wrap=True),
    ]
    rows = [
        [
            view["task_id"],
            *(
                [view["created_at"] if piped else view["created_at"][:16].replace("T", " ")]
                if wide
                else []
            ),
            view["status"],
            str(view["progress"]),
            view["model"],
            f"{view['resolution']} {view['duration']}s",
            view["prompt"],
        ]
        for view in page.tasks
    ]
    emit(columns, rows)
    if page.next_cursor:
        out.print(f"more: reelserve tasks list --cursor {page.next_cursor}", soft_wrap=True)


@tasks_app.command("show")
def tasks_show(
    task_id: Annotated[str, typer.Argument(help="The task id.")],
    server: Server = DEFAULT_URL,
    api_key: Key = "",
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """One task in detail."""
    with _errors(debug), _client(server, api_key) as client:
        view = client.task_details(task_id)
    view.pop("base_resp", None)
    if as_json:
        print(json.dumps(view, indent=2))
        return
    table = Table("field", "value", show_header=False)
    for name, value in view.items():
        if value not in (None, [], ""):
            table.add_row(name, json.dumps(value) if isinstance(value, dict | list) else str(value))
    out.print(table)


@tasks_app.command("cancel")
def tasks_cancel(
    task_id: Annotated[str, typer.Argument(help="The task id.")],
    server: Server = DEFAULT_URL,
    api_key: Key = "",
    debug: Debug = False,
) -> None:
    """Cancel a task: at once when queued, at the worker's next check when running."""
    with _errors(debug), _client(server, api_key) as client:
        view = client.cancel(task_id)
    status = view["status"]
    if status == "cancelled":
        out.print(f"task {task_id} cancelled", highlight=False, soft_wrap=True)
    elif view.get("cancel_requested") and status in ("preparing", "processing"):
        out.print(
            f"task {task_id} is {status}; its worker will stop it shortly",
            highlight=False,
            soft_wrap=True,
        )
    else:
        out.print(
            f"task {task_id} already {status}; nothing to cancel", highlight=False, soft_wrap=True
        )
