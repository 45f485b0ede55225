"""The ``reelserve`` command: serve, worker, keys, models, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from reelserve import cli_client
from reelserve.domain import catalog
from reelserve.settings import Settings

if TYPE_CHECKING:
    from reelserve.bootstrap import Container

app = typer.Typer(
    help="reelserve: a self-hosted MiniMax-compatible video generation server.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data folder (database, files, secret). Env: REELSERVE_DATA_DIR."
    ),
]


def _settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    from pydantic import ValidationError

    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as error:  # one line per setting, not a traceback
        for item in error.errors():
            name = "REELSERVE_" + "_".join(str(p) for p in item["loc"]).upper()
            typer.echo(f"error: {name}: {item['msg']}", err=True)
        raise typer.Exit(2) from None


def _logging(level: str) -> None:
    from reelserve.logs import configure

    configure(level)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
    workers: Annotated[int | None, typer.Option(help="In-process worker threads.")] = None,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(help="PEM certificate: serve HTTPS directly. Env: REELSERVE_SSL_CERTFILE."),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None,
        typer.Option(help="PEM private key for --ssl-certfile. Env: REELSERVE_SSL_KEYFILE."),
    ] = None,
) -> None:
    """Start the API server with in-process workers."""
    from reelserve.api import serving
    from reelserve.api.app import create_app
    from reelserve.worker import WorkerPool

    settings = _settings(
        data_dir,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    _logging(settings.log_level)
    container = _built(settings)
    _ = container.router  # a faulty engine registry stops the server here, not at a create
    if not container.keys.has_any():
        created = container.keys.create("default")
        console.print(
            "[bold green]No API key existed, so one was created (shown once):[/]\n"
            f"  export REELSERVE_API_KEY={created.secret}"
        )
    pool = WorkerPool(container, settings.workers)
    pool.start()
    _warn_if_unreachable_urls(settings)
    scheme = "https" if settings.ssl_certfile else "http"
    console.print(
        f"reelserve listening on {scheme}://{settings.host}:{settings.port} "
        f"(data: {settings.data_dir}, workers: {settings.workers})"
    )
    try:
        serving.run(create_app(container), settings)
    finally:
        pool.stop()
        container.close()


def _warn_if_unreachable_urls(settings: Settings) -> None:
    """Plain http on a non-loopback address without a public URL: clients that rewrite download
    links to https (several MiniMax clients do) cannot fetch them, and behind a TLS proxy the
    links name the inner address. Say so at start-up."""
    import ipaddress
    import logging

    if settings.public_url or settings.ssl_certfile or settings.host == "localhost":
        return
    try:
        if ipaddress.ip_address(settings.host).is_loopback:
            return
    except ValueError:
        pass  # a host name: not known to be loopback
    logging.getLogger("reelserve.cli").warning(
        "serving plain http on %s without REELSERVE_PUBLIC_URL: download URLs follow each "
        "request's scheme and host; behind a TLS proxy set REELSERVE_PUBLIC_URL=https://…, or "
        "serve TLS directly with --ssl-certfile/--ssl-keyfile",
        settings.host,
    )


def _built(settings: Settings) -> Container:
    """The container, or a one-line refusal for a setting the server cannot start with."""
    from reelserve.bootstrap import build
    from reelserve.settings import SettingsError

    try:
        return build(settings)
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _serves(models: list[str] | None) -> frozenset[str] | None:
    """``--models`` as catalog names (aliases resolved); exits naming an unknown one."""
    if not models:
        return None
    names = set()
    for raw in models:
        spec = catalog.lookup(raw)
        if spec is None:
            console.print(
                f"[red]error:[/] --models: {raw!r} is not a catalog model; "
                f"known: {', '.join(catalog.MODELS)}"
            )
            raise typer.Exit(2)
        names.add(spec.name)
    return frozenset(names)


@app.command()
def worker(
    data_dir: DataDir = None,
    count: Annotated[int, typer.Option(help="Worker threads in this process.")] = 1,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--models",
            help="Claim only tasks of this model (repeat for several; default: every model).",
        ),
    ] = None,
) -> None:
    """Run workers as a separate process on the same data (database and files)."""
    from reelserve.worker import WorkerPool, build_when_reachable

    serves = _serves(models)
    settings = _settings(data_dir)
    _logging(settings.log_level)
    container = build_when_reachable(settings)
    pool = WorkerPool(container, count, models=serves)
    pool.start()
    which = ", ".join(sorted(serves)) if serves else "every model"
    console.print(f"reelserve worker running {count} thread(s) on {settings.data_dir} ({which})")
    pool.join_forever()
    container.close()


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Apply database migrations (serve and worker do this on start too)."""
    from reelserve.bootstrap import build

    build(_settings(data_dir)).close()
    console.print("database is up to date")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="A name for the key.")],
    data_dir: DataDir = None,
    rpm: Annotated[int | None, typer.Option(help="Creates per minute (1002 over it).")] = None,
    max_in_flight: Annotated[
        int | None, typer.Option(help="Queued + running tasks at once (1002 over it).")
    ] = None,
    balance: Annotated[
        str | None, typer.Option(help="Prepaid USD balance charged per success (1008 when short).")
    ] = None,
) -> None:
    """Create a key; the key itself is printed once, as the last line."""
    from decimal import Decimal, InvalidOperation

    from reelserve.bootstrap import build
    from reelserve.domain.errors import ReelserveError

    try:
        amount = None if balance is None else Decimal(balance)
    except InvalidOperation:
        console.print(f"[red]error:[/] --balance: {balance!r} is not a number")
        raise typer.Exit(2) from None
    container = build(_settings(data_dir))
    try:
        created = container.keys.create(
            name, rpm_limit=rpm, max_in_flight=max_in_flight, balance_usd=amount
        )
    except ReelserveError as error:
        console.print(f"[red]error:[/] {error.status_msg}")
        raise typer.Exit(2) from None
    finally:
        container.close()
    console.print(f"created key {created.key.name!r} (id {created.key.id}); it is shown only now:")
    print(created.secret)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None) -> None:
    """List keys (never the secrets)."""
    from reelserve.bootstrap import build

    container = build(_settings(data_dir))
    table = Table("id", "name", "key", "created", "status")
    for key in container.keys.all():
        status = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(key.id, key.name, key.hint, f"{key.created_at:%Y-%m-%d %H:%M}", status)
    container.close()
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="Id or name of the key.")],
    data_dir: DataDir = None,
    keep_queued: Annotated[
        bool,
        typer.Option(
            "--keep-queued", help="Leave the key's queued tasks to run (default: cancel them)."
        ),
    ] = False,
) -> None:
    """Revoke a key: requests with it get 1004 from now on; its queued tasks are cancelled,
    its running ones asked to stop, its pushes stop and its event streams close."""
    from reelserve.bootstrap import build
    from reelserve.domain.errors import ReelserveError

    container = build(_settings(data_dir))
    try:
        revoked = container.keys.revoke(key, keep_queued=keep_queued)
    except ReelserveError as error:
        console.print(f"[red]error:[/] {error.status_msg}")
        raise typer.Exit(2) from None
    finally:
        container.close()
    console.print(
        f"revoked key {revoked.key.name!r} ({revoked.key.id}); "
        f"{revoked.cancelled} queued task(s) cancelled"
    )


@app.command()
def models() -> None:
    """The model catalog: each mode's allowed resolution × duration with its price."""
    from reelserve.cli_client import Col, emit, out

    piped = not out.is_terminal
    columns = [Col("model", no_wrap=True), Col("mode", no_wrap=True)]
    columns += [Col("resolution"), Col("seconds"), Col("usd")] if piped else [Col("allowed: USD")]
    columns += [Col("default", no_wrap=True), Col("camera", no_wrap=True)]
    rows = []
    for spec in catalog.MODELS.values():
        for mode, matrix in spec.modes.items():
            extra = [
                catalog.default_resolution(spec, mode),
                "yes" if spec.camera_directives else "no",
            ]
            combos = [
                (r, d, _price(spec, r, d)) for r, durations in matrix.items() for d in durations
            ]
            if piped:  # one line per allowed combination, nothing else
                rows += [[spec.name, mode.value, r, str(d), p, *extra] for r, d, p in combos]
            else:
                shown = ", ".join(f"{r} {d}s {p}" for r, d, p in combos)
                rows.append([spec.name, mode.value, shown, *extra])
    emit(columns, rows)
    aliases = ", ".join(f"{a} → {m}" for a, m in catalog.ALIASES.items())
    if not piped:
        out.print(f"aliases (seed 002 gateway ids): {aliases}", highlight=False)


def _price(spec: catalog.ModelSpec, resolution: str, duration: int) -> str:
    """The price of an allowed combination ("—" where none is published)."""
    price = spec.prices.get((resolution, duration))
    return f"${price}" if price is not None else "—"


# Client-side commands (they talk to a running server through the SDK): cli_client.py.
app.command()(cli_client.generate)
app.add_typer(cli_client.tasks_app, name="tasks")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
