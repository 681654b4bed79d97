"""The ``citynet`` command: serve, seed, rebuild projections, export the schema."""

from __future__ import annotations

import logging
import sys
from typing import Any

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


def _cli_actor():  # type: ignore[no-untyped-def]
    """Events written from the command line are attributed to the operating-system user."""
    import getpass

    from citynet.services.attribution import Actor

    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        user = "unknown"
    return Actor(f"cli:{user}", "admin")


def _progress(label: str, total: int) -> tuple[Progress, Any]:
    progress = Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), console=err,
    )
    task = progress.add_task(label, total=max(total, 1), rate="")

    def advance(position: int, latest: int | None = None) -> None:
        speed = progress.tasks[task].speed
        progress.update(task, completed=position, total=max(latest or total, 1),
                        rate=f"{speed:,.0f} positions/s" if speed else "")

    return progress, advance


# Live streams (Server-Sent Events, WebSockets) never end by themselves: on shutdown uvicorn waits
# this long for open connections, then cuts them (clients reconnect elsewhere and resume with `after:`).
SHUTDOWN_GRACE_SECONDS = 5


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """citynet: event-sourced backend for European city networks."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (CITYNET_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (CITYNET_PORT, default 8000).")
@click.option("--demo", is_flag=True, help="Load the demo data first (idempotent).")
@click.option("--workers", type=int, default=None, help="API processes (CITYNET_WORKERS, default 1).")
@click.option("--no-projections", is_flag=True,
              help="Serve only; projections run elsewhere (`citynet projections run`).")
def serve(host: str | None, port: int | None, demo: bool, workers: int | None, no_projections: bool) -> None:
    """Serve the GraphQL API at /graphql."""
    import os

    import uvicorn

    from citynet.infra.app import create_app

    settings = _settings(host=host, port=port, workers=workers,
                         run_projections=False if no_projections else None)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    from citynet.services.storage import parse_database_url

    where = parse_database_url(settings.effective_database_url).describe()
    err.print(f"citynet on [bold]{where}[/]; GraphQL at http://{settings.host}:{settings.port}/graphql"
              f"{f' ({settings.workers} workers)' if settings.workers > 1 else ''}"
              f"{'; projections run elsewhere' if not settings.run_projections else ''}")
    if settings.workers == 1:
        uvicorn.run(create_app(settings, demo=demo, server_process=True), host=settings.host, port=settings.port,
                    log_level=settings.log_level.lower(), ws_max_size=settings.max_body_bytes,
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)
        return
    if demo:  # once, before the workers start (they would race each other)
        from citynet.services.attribution import acting
        from citynet.services.demo import load_demo

        services = _services(settings)
        try:
            with acting(_cli_actor(), "seedDemo"):
                load_demo(services)
        finally:
            services.close()
    # Workers are new processes: they read their settings from the environment.
    os.environ["CITYNET_RUN_PROJECTIONS"] = "true" if settings.run_projections else "false"
    os.environ["CITYNET_DATABASE_URL"] = settings.effective_database_url
    uvicorn.run("citynet.infra.app:app_from_env", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level.lower(),
                ws_max_size=settings.max_body_bytes,  # a WebSocket message is bounded like a body
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)


@main.command()
@click.option("--demo", is_flag=True, required=True, help="Load the demo data from the seed documents.")
def seed(demo: bool) -> None:
    """Load demo data. A second run adds no event."""
    from citynet.services.demo import load_demo

    from citynet.services.attribution import acting

    services = _services(_settings())
    try:
        with acting(_cli_actor(), "seedDemo"):
            added = load_demo(services)
    finally:
        services.close()
    click.echo(f"demo data loaded: {added} events added")


@main.group()
def projections() -> None:
    """Read-model projections."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def projections_status(as_json: bool) -> None:
    """Each projection's position, lag and, for a stalled one, the event and the error."""
    import json as json_module

    services = _services(_settings())
    try:
        status = services.projections.status()
    finally:
        services.close()
    if as_json:
        click.echo(json_module.dumps([{"name": s.name, "state": s.state, "position": s.position, "head": s.head,
                                       "lag": s.lag, "stalledAt": s.stalled_at, "error": s.error} for s in status]))
    else:
        for s in status:
            line = f"{s.name:<12} {s.state:<11} position {s.position} of {s.head} (lag {s.lag})"
            if s.stalled_at is not None:
                line += f"\n             stalled at event {s.stalled_at} after {s.failures} attempt(s): {s.error}"
            click.echo(line)
    sys.exit(1 if any(s.state == "stalled" for s in status) else 0)


@projections.command()
@click.argument("names", nargs=-1)
def rebuild(names: tuple[str, ...]) -> None:
    """Rebuild read models (all, or the NAMES given) from the first event into shadow tables, then swap them in."""
    from citynet.services.rebuild import RebuildBusy, RebuildFailed, UnknownProjection, rebuild

    services = _services(_settings())
    try:
        progress, advance = _progress("rebuilding read models", services.projections.head())
        with progress:
            position = rebuild(services, list(names) or None, progress=advance)
    except (RebuildBusy, UnknownProjection) as e:
        raise click.UsageError(str(e)) from None
    except RebuildFailed as e:
        click.echo(f"not rebuilt (left as they were): {e}", err=True)
        sys.exit(1)
    finally:
        services.close()
    click.echo(f"read models rebuilt up to position {position}")


@projections.command("verify")
@click.argument("names", nargs=-1)
def verify_projections(names: tuple[str, ...]) -> None:
    """Replay into shadow tables and report every difference from the live read models."""
    from citynet.services.rebuild import RebuildBusy, UnknownProjection, verify

    services = _services(_settings())
    try:
        progress, advance = _progress("replaying into shadow tables", services.projections.head())
        with progress:
            report = verify(services, progress=advance, names=list(names) or None)
    except (RebuildBusy, UnknownProjection) as e:
        raise click.UsageError(str(e)) from None
    finally:
        services.close()
    for d in report.differences:
        click.echo(f"{d.table} {d.key}: {d.kind}{' ' + ', '.join(d.columns) if d.columns else ''}")
    click.echo(f"compared {report.rows_compared} rows in {report.tables} tables at position {report.position}: "
               f"{len(report.differences)} difference(s)")
    sys.exit(0 if report.ok else 1)


@projections.command("run")
def run_projections() -> None:
    """Run the projections in this process, without serving (stop with Ctrl-C or SIGTERM)."""
    import signal
    import threading

    from citynet.services.rebuild import clean_leftovers_if_idle

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    services = _services(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        clean_leftovers_if_idle(services)
        services.projections.poll_seconds = settings.projection_poll_seconds
        services.projections.start()
        err.print("projections running; Ctrl-C to stop")
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@main.group()
def events() -> None:
    """The event log."""


@events.command("export")
@click.option("--aggregate-id", default=None, help="Only this aggregate (its UUID).")
@click.option("--aggregate-type", multiple=True, help="Only these types (Network, Workshop, ActionPlan ...).")
@click.option("--event-type", multiple=True, help="Only these event types (MemberAdmitted ...).")
@click.option("--actor", default=None, help="Only events caused by this actor id.")
@click.option("--since", default=None, help="ISO 8601 date-time with offset.")
@click.option("--until", default=None, help="ISO 8601 date-time with offset.")
def export_events(aggregate_id: str | None, aggregate_type: tuple[str, ...], event_type: tuple[str, ...],
                  actor: str | None, since: str | None, until: str | None) -> None:
    """Write the history (or a filtered part) as NDJSON to standard output, streaming."""
    from datetime import datetime
    from uuid import UUID

    from citynet.domain.errors import InvalidInput
    from citynet.services.history import ExportFilter, export_lines

    def moment(name: str, value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time", param_hint=f"--{name}") from None
        if parsed.tzinfo is None:
            raise click.BadParameter("give an offset, e.g. 2026-01-01T00:00:00+00:00", param_hint=f"--{name}")
        return parsed

    try:
        wanted = UUID(aggregate_id) if aggregate_id else None
    except ValueError:
        raise click.BadParameter(f"{aggregate_id!r} is not a UUID", param_hint="--aggregate-id") from None
    try:
        criteria = ExportFilter(wanted, aggregate_type, event_type, actor, moment("since", since), moment("until", until))
    except InvalidInput as e:
        raise click.BadParameter(e.reason, param_hint="--until") from None
    services = _services(_settings())
    try:
        out = sys.stdout
        for line in export_lines(services.app, criteria):
            out.write(line)
            out.write("\n")
    finally:
        services.close()


@main.group()
def audit() -> None:
    """Integrity of the history."""


@audit.command("verify")
def verify_audit() -> None:
    """Recompute the hash chain; report the first position where the history no longer matches."""
    from citynet.services.audit_chain import verify

    services = _services(_settings())
    try:
        report = verify(services.app.recorder, services.sync_engine)
    finally:
        services.close()
    if report.ok:
        pending = f"; events from position {report.pending_from} are not chained yet" if report.pending_from else ""
        click.echo(f"history intact: {report.checked} events, head {report.head_position} {report.head_link}{pending}")
        return
    click.echo(f"history does NOT match at position {report.first_bad_position}: {report.reason} "
               f"({report.checked} events verified before it)", err=True)
    sys.exit(1)


@main.command()
@click.option("--role", required=True,
              type=click.Choice(["admin", "coordinator", "city_representative", "auditor"]), help="The token's role.")
@click.option("--city", default=None, help="City id (global id or UUID): required for city_representative.")
@click.option("--network", "networks", multiple=True, help="Network id (global id or UUID); repeat for several.")
@click.option("--subject", default=None, help="Who the token stands for (default: dev-<role>).")
@click.option("--minutes", type=int, default=60 * 12, show_default=True, help="Lifetime.")
def token(role: str, city: str | None, networks: tuple[str, ...], subject: str | None, minutes: int) -> None:
    """Mint a development token (signed with the configured secret or private key)."""
    from uuid import UUID

    from citynet.graphql.ids import decode_any
    from citynet.infra.auth import mint

    settings = _settings()
    if settings.is_production:
        raise click.UsageError("tokens for production come from your identity provider, not from this command")

    def uuid_of(value: str, option: str) -> str:
        decoded = decode_any(value)
        try:
            return str(UUID(decoded[1][-1])) if decoded and decoded[1] else str(UUID(value))
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an id", param_hint=option) from None

    if role == "city_representative" and not city:
        raise click.UsageError("a city_representative token needs --city")
    if role == "coordinator" and not networks:
        raise click.UsageError("a coordinator token needs --network")
    click.echo(mint(settings.token_config, subject=subject or f"dev-{role}", role=role,
                    city_id=uuid_of(city, "--city") if city else None,
                    network_ids=tuple(uuid_of(n, "--network") for n in networks), minutes=minutes))


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
