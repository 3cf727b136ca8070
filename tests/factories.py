"""Factories: rows built through the same operations the app uses, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import cache

from agency.db import db
from agency.models import Client, Mandate, Role, Team, User
from cases.intake import ClaimInput, open_case
from cases.models import Case, CaseKind
from debtors.models import ContactPoint, Debtor

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@cache
def _password_hash() -> str:
    # Hashing is slow on purpose (scrypt); hash the shared test password once per session.
    probe = User()
    probe.set_password(PASSWORD)
    return probe.password_hash


def client(code: str | None = None, with_mandate: bool = True, **fields) -> Client:
    n = next(_seq)
    row = Client(
        code=code or f"CLI{n:04d}",
        name=fields.pop("name", f"Créancier {n} SAS"),
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
        **fields,
    )
    db.session.add(row)
    if with_mandate:
        db.session.add(
            Mandate(
                client=row,
                reference=f"MAN-{n}",
                signed_on=date(2025, 1, 1),
                starts_on=date(2025, 1, 1),
                commission_bp=1500,
            )
        )
    db.session.flush()
    return row


def user(role: str | Role = Role.COLLECTOR, client: Client | None = None, **fields) -> User:
    role = Role(role)
    if role is Role.CLIENT and client is None:
        client = globals()["client"]()
    n = next(_seq)
    row = User(
        email=fields.pop("email", f"{role.value}{n}@example.com").lower(),
        name=fields.pop("name", f"{role.value} {n}"),
        role=role.value,
        client=client,
        password_hash=_password_hash(),
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def debtor(kind: str = "person", **fields) -> Debtor:
    n = next(_seq)
    if kind == "company":
        defaults = {"company_name": f"Débiteur {n} SARL", "siren": "732829320"}
    else:
        defaults = {"first_name": "Jeanne", "last_name": f"Martin{n}"}
    row = Debtor(kind=kind, **{**defaults, **fields})
    db.session.add(row)
    db.session.flush()
    return row


def contact(debtor_row: Debtor, kind: str = "phone", value: str = "+33612345678", **fields) -> ContactPoint:
    row = ContactPoint(debtor=debtor_row, kind=kind, value=value, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def case(
    client_row: Client | None = None,
    debtor_row: Debtor | None = None,
    amounts=(12_345,),
    opened_on: date = date(2026, 3, 1),
    **fields,
) -> Case:
    client_row = client_row or client()
    debtor_row = debtor_row or debtor()
    claims = [
        ClaimInput(
            invoice_number=f"F{next(_seq):06d}",
            issue_date=opened_on - timedelta(days=90),
            due_date=opened_on - timedelta(days=60),
            amount_cents=amount,
        )
        for amount in amounts
    ]
    row = open_case(
        client=client_row,
        debtor=debtor_row,
        kind=CaseKind(fields.pop("kind", "b2c")),
        claims=claims,
        opened_on=opened_on,
        actor=None,
        **fields,
    )
    return row


def placement(client_row: Client, content: str | None = None, filename: str = "factures.csv"):
    """Receive a small placement file for `client_row` (columns guessed), without importing it."""
    from cases.placement.models import PlacementSource
    from cases.placement.placements import receive_file

    content = content or (
        "N° facture;Date facture;Échéance;Montant TTC;Raison sociale;SIREN;Email;Téléphone\n"
        f"FA-{next(_seq)};02/01/2026;01/02/2026;1 234,56;Boulangerie Martin SARL;732829320;"
        "contact@martin.example.com;04 78 12 34 56\n"
    )
    return receive_file(client_row, content.encode("utf-8"), filename, actor=None, source=PlacementSource.SHELL.value)


def team(name: str | None = None, members: tuple[User, ...] = ()) -> Team:
    """Create a team (a pool of cases) with `members` in it."""
    row = Team(name=name or f"Équipe {next(_seq)}")
    db.session.add(row)
    db.session.flush()
    for member in members:
        member.teams.append(row)
    db.session.flush()
    return row


def agency_profile(**fields):
    """Return the agency profile every letter prints, creating it when the test has none."""
    from agency.models import AgencyProfile

    profile = db.session.get(AgencyProfile, 1)
    if profile is None:
        defaults = {
            "name": "Cabinet Arnaud Recouvrement", "legal_form": "SARL", "siren": "831457296",
            "registration": "RCS Lyon 831 457 296", "address_line1": "5 quai Saint-Antoine", "postcode": "69002",
            "city": "Lyon", "phone": "+33472000000", "email": "contact@arnaud-recouvrement.example",
            "trust_bank_name": "Banque Exemple Lyon", "trust_iban": "FR7630004008050001122334433",
            "trust_bic": "BNPAFRPP", "insurer_name": "Assureur Exemple SA", "insurance_policy": "RCP 555 123",
        }
        profile = AgencyProfile(id=1, **{**defaults, **fields})
        db.session.add(profile)
        db.session.flush()
    return profile


def postal_address(debtor_row: Debtor, **fields) -> ContactPoint:
    """Give the debtor a postal address (letters go there)."""
    values = {"address_line1": "12 rue des Lilas", "postcode": "69003", "city": "Lyon", "is_primary": True, **fields}
    return contact(debtor_row, "address", "", **values)


def letter(case_row: Case, kind: str = "first_notice", actor: User | None = None, days_ago: int = 0):
    """Issue (or, for a formal notice, propose) a letter through cases.letters, profile and address in place.

    The letter is issued `days_ago` days ago (the clock travels back meanwhile). A later letter asked for
    on a case without a first notice gets one 30 days before it, so that the order of letters lets it go.
    """
    import time_machine

    from agency.db import utcnow
    from cases.letters.letters import create_letter, first_notice_of

    agency_profile()
    if not any(cp.kind == "address" for cp in case_row.debtor.contact_points):
        postal_address(case_row.debtor)
    if kind != "first_notice" and first_notice_of(case_row) is None:
        letter(case_row, "first_notice", actor, days_ago=days_ago + 30)
    if not days_ago:
        return create_letter(case_row, kind, actor=actor)
    with time_machine.travel(utcnow() - timedelta(days=days_ago), tick=False):
        return create_letter(case_row, kind, actor=actor)


def payment(case_row: Case, amount_cents: int = 10_000, received_on: date | None = None,
            receipt: bool | None = None, **fields):
    """Record a payment on `case_row` through money.payments (trust account, bank transfer, a fresh key).

    Its receipt is issued at once, as the job would, when the agency profile exists (`receipt=None`) or
    when asked (`receipt=True`, which fills the profile in); `receipt=False` leaves it to the job.
    """
    from agency.clock import today
    from money.payments.payments import record_payment
    from money.payments.receipts import issue_receipt

    row = record_payment(
        case_row,
        amount_cents=amount_cents,
        received_on=received_on or today(),
        method=fields.pop("method", "transfer"),
        channel=fields.pop("channel", "trust"),
        idempotency_key=fields.pop("idempotency_key", f"key-{next(_seq)}"),
        actor=fields.pop("actor", None),
        **fields,
    )
    from agency.models import AgencyProfile

    if receipt or (receipt is None and db.session.get(AgencyProfile, 1) is not None):
        issue_receipt(row, agency_profile())
    return row
