"""`flask agency demo`: a realistic French demo dataset, loaded once (running it again adds nothing)."""

from __future__ import annotations

import click

from agency.cli import agency_cli


@agency_cli.command("demo")
def demo_command() -> None:
    """Load the demo agency, clients, debtors, cases and one user per role."""
    raise click.ClickException("demo data is not written yet")
