"""`flask agency …` commands: users, the worker."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from agency import audit
from agency.db import db
from agency.models import ApiToken, Client, Role
from agency.tokens import issue_token, revoke_token
from agency.users import UserError, create_user

agency_cli = AppGroup("agency", help="Agency administration: users, demo data, background worker.")


@agency_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--client", "client_code", help="Client code (required for the client role).")
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, name: str, role: str, client_code: str | None, password: str) -> None:
    """Create a user who can log in."""
    client = None
    if client_code:
        client = db.session.scalar(sa.select(Client).where(Client.code == client_code))
        if client is None:
            raise click.BadParameter(f"no client with code {client_code!r}", param_hint="--client")
    try:
        user = create_user(
            email=email, name=name, role=Role(role), password=password, client=client, actor=None
        )
    except UserError as exc:
        raise click.UsageError(f"{exc.field}: {exc}") from exc
    audit.record("user.created", actor=None, subject=user, actor_label="cli", after={"email": user.email})
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@agency_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for the app's queue (real mode)."""
    from agency.jobs import get_queue
    from agency.processes import run_worker

    queue = get_queue()
    if not queue.is_async:
        raise click.UsageError("REDIS_URL is not set: in embedded mode jobs run inline, no worker is needed")
    # Jobs run in this process, inside the app context this command already holds; a worker that quits
    # while Redis is away is started again once it answers (agency.processes).
    run_worker(queue, current_app.config["WORKER_MAINTENANCE_INTERVAL"], burst=burst)
    current_app.logger.info("worker stopped")


@agency_cli.command("cron")
@click.argument("config", default="agency.cron")
def cron_command(config: str) -> None:
    """Enqueue the periodic jobs on their intervals (real mode; run exactly one).

    CONFIG is the module registering them, as for `rq cron`. Unlike `rq cron`, it carries on once Redis
    is back after an outage.
    """
    from agency.jobs import get_queue
    from agency.processes import run_cron

    queue = get_queue()
    if not queue.is_async:
        raise click.UsageError("REDIS_URL is not set: in embedded mode periodic jobs run inside the web process")
    run_cron(queue.connection, config)


@agency_cli.command("documents-copy")
@click.option("--from", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="The local documents folder to copy (default: DOCUMENTS_DIR).")
def documents_copy_command(folder: Path | None) -> None:
    """Copy the local documents folder into the object storage (DOCUMENTS_S3_BUCKET), checking each copy.

    Run it again until it copies nothing: objects already there with the same SHA-256 are skipped, so a run
    stopped halfway resumes. Nothing is deleted from the folder.
    """
    from agency import storage

    target = storage.get_store()
    if not isinstance(target, storage.S3Store):
        raise click.UsageError("DOCUMENTS_S3_BUCKET is not set: documents are stored in the local folder already")
    source = storage.LocalStore((folder or storage.documents_dir()).resolve())
    if not source.root.is_dir():
        raise click.UsageError(f"no documents folder at {source.root}")
    try:
        report = storage.copy_documents(source, target, on_copied=lambda key: click.echo(f"copied {key}"))
    except storage.StorageUnavailable as exc:
        raise click.ClickException(f"{exc}; run the command again once the storage answers") from exc
    for key, why in report.refused:
        click.echo(f"refused {key}: {why}", err=True)
    click.echo(f"{len(report.copied)} copied, {len(report.present)} already there, {len(report.refused)} refused")
    if report.refused:
        raise SystemExit(1)


@agency_cli.command("api-token")
@click.argument("client_code")
@click.option("--name", default="", help="What the token is for (e.g. the client's ERP).")
@click.option("--revoke", "revoke_prefix", help="Revoke the client's token starting with this prefix instead.")
def api_token_command(client_code: str, name: str, revoke_prefix: str | None) -> None:
    """Issue (or revoke) an API token for a client's systems."""
    client = db.session.scalar(sa.select(Client).where(Client.code == client_code))
    if client is None:
        raise click.BadParameter(f"no client with code {client_code!r}", param_hint="CLIENT_CODE")
    if revoke_prefix:
        row = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.client_id == client.id, ApiToken.prefix == revoke_prefix)
        )
        if row is None:
            raise click.BadParameter(f"no token {revoke_prefix!r} for {client_code}", param_hint="--revoke")
        revoke_token(row, actor=None)
        db.session.commit()
        click.echo(f"Revoked {row.prefix}… of {client.code}")
        return
    row, token = issue_token(client, name=name, actor=None)
    db.session.commit()
    click.echo(f"API token for {client.code} ({client.name}); it is shown only once:\n{token}")
