"""`flask cases …` commands: placing a file from the server's disk."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from agency.db import db
from agency.models import Client
from cases.placement.models import PlacementSource, PlacementStatus
from cases.placement.placements import (
    PlacementError,
    check_placement,
    confirm_placement,
    import_placement,
    receive_file,
)
from cases.placement.report import report_text

cases_cli = AppGroup("cases", help="Cases: placements from files.")


@cases_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--client", "client_code", required=True, help="Code of the client placing the file.")
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
def import_command(path: Path, client_code: str, dry_run: bool) -> None:
    """Place a CSV or XLSX file of unpaid invoices for a client (saved or guessed column mapping)."""
    client = db.session.scalar(sa.select(Client).where(Client.code == client_code))
    if client is None:
        raise click.BadParameter(f"no client with code {client_code!r}", param_hint="--client")
    try:
        placement = receive_file(client, path.read_bytes(), path.name, actor=None, source=PlacementSource.SHELL.value)
        if placement.status == PlacementStatus.MAPPING:
            raise PlacementError("the columns could not be recognised; map them once in the web page")
        plan = check_placement(placement)
        click.echo(report_text(placement))
        if dry_run:
            db.session.rollback()
            click.echo("dry run: nothing written")
            return
        if placement.rows_valid == 0 and placement.rows_rejected == 0 and placement.rows_already_placed:
            # Sending a file again is no error: its invoices are in their cases already.
            db.session.rollback()
            click.echo(f"nothing new: the file's {placement.rows_already_placed} invoices are already placed; "
                       "nothing written")
            return
        confirm_placement(placement, None)
        written = import_placement(placement, None, checked=plan)
    except PlacementError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"imported: {written.cases_created} cases opened, {written.cases_updated} cases updated, "
               f"{written.claims} invoices, {written.debtors} new debtors (placement {placement.id})")
