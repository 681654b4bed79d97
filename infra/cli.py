"""The ``citynet`` command: serve, seed, rebuild projections, export the schema."""

from __future__ import annotations

import logging
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from citynet.infra.settings import Settings, SettingsError

err = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env().with_overrides(**overrides)
    except SettingsError as e:
        raise click.UsageError(str(e)) from None


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from citynet.services.runtime import Citynet

    return Citynet(settings.effective_database_url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """citynet: event-sourced backend for European city networks."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (CITYNET_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (CITYNET_PORT, default 8000).")
@click.option("--demo", is_flag=True, help="Load the demo data first (idempotent).")
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Serve the GraphQL API at /graphql."""
    import uvicorn

    from citynet.infra.app import create_app

    settings = _settings(host=host, port=port)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    from citynet.services.storage import parse_database_url

    where = parse_database_url(settings.effective_database_url).describe()
    err.print(f"citynet on [bold]{where}[/]; GraphQL at http://{settings.host}:{settings.port}/graphql")
    app = create_app(settings, demo=demo)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())


@main.command()
@click.option("--demo", is_flag=True, required=True, help="Load the demo data from the seed documents.")
def seed(demo: bool) -> None:
    """Load demo data. A second run adds no event."""
    from citynet.services.demo import load_demo

    services = _services(_settings())
    try:
        added = load_demo(services)
    finally:
        services.close()
    click.echo(f"demo data loaded: {added} events added")


@main.group()
def projections() -> None:
    """Read-model projections."""


@projections.command()
def rebuild() -> None:
    """Rebuild every read model from the first event."""
    services = _services(_settings())
    try:
        head = services.projector.head()
        with Progress(
            TextColumn("rebuilding read models"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("rebuild", total=head or 1, rate="")

            def advance(position: int, latest: int) -> None:
                speed = progress.tasks[task].speed
                progress.update(task, completed=position, total=max(latest, 1),
                                rate=f"{speed:,.0f} positions/s" if speed else "")

            position = services.projector.rebuild(progress=advance)
            progress.update(task, completed=max(position, 1))
    finally:
        services.close()
    click.echo(f"read models rebuilt up to position {position}")


@main.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
def export_schema() -> None:
    """Print the SDL (the file graphql/schema.graphql holds the same)."""
    from citynet.graphql.schema import export_sdl

    sys.stdout.write(export_sdl())


if __name__ == "__main__":  # pragma: no cover
    main()
