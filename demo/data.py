"""Pure generation of the French demo dataset: agency, clients, users, debtors and case plans (no database).

Everything is drawn from one seeded `random.Random` and one seeded Faker, so a run is reproducible for a
given day. Money is built as integer cents with `randint`, never through floats.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

import phonenumbers
from faker import Faker
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siren as siren_number

from cases.intake import ClaimInput
from demo import content as demo_content

SEED = 2026
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class ClientSpec:
    row: dict  # the client's columns, SIREN and IBAN aside
    siren_body: str  # 8 digits; the Luhn check digit is computed
    bank_code: str  # bank + branch (10 digits) of the remittance account
    terms: dict  # the mandate terms that differ from one client to the next
    invoice_prefix: str
    customer_prefix: str
    takes_persons: bool  # a B2B wholesaler has only business customers
    descriptions: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.row["code"]


CLIENTS = tuple(ClientSpec(**client) for client in demo_content.CLIENTS)


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: str
    name: str
    client_code: str | None = None


USERS = tuple(DemoUser(*user) for user in demo_content.USERS)


def siren_from(body: str) -> str:
    """Return the 9-digit SIREN made of the 8-digit `body` and its Luhn check digit."""
    return body + luhn.calc_check_digit(body)


def vat_number(siren: str) -> str:
    """Return the French intra-community VAT number of a SIREN."""
    return "FR" + siren_number.to_tva(siren)


def random_siren(rng: Random) -> str:
    """Draw a SIREN with a valid check digit."""
    number = siren_from(f"{rng.randint(10_000_000, 99_999_999)}")
    assert siren_number.is_valid(number)
    return number


def french_iban(bank_and_branch: str, account: str) -> tuple[str, str]:
    """Return a checksum-valid French IBAN (RIB key included) and its bank's BIC."""
    iban = IBAN.generate("FR", bank_code=bank_and_branch, account_code=account)
    return iban.compact, str(iban.bic or "")


def random_mobile(rng: Random, taken: set[str]) -> str:
    """Draw an unused French mobile number (06/07) that libphonenumber accepts, in E.164."""
    while True:
        number = f"+33{rng.choice('67')}{rng.randint(0, 99_999_999):08d}"
        if number not in taken and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            taken.add(number)
            return number


def fiction_landline(rng: Random, taken: set[str]) -> str:
    """Draw an unused landline from the blocks reserved for fiction."""
    while True:
        number = f"{rng.choice(demo_content.FICTION_LANDLINES)}{rng.randint(0, 9_999):04d}"
        if number not in taken and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            taken.add(number)
            return number


def amount_cents(rng: Random, business: bool) -> int:
    """Draw an invoice amount from €35 to €25,000, most of them small, as integer cents."""
    # Bands of a log-normal-like spread; businesses owe larger invoices than households.
    bands = ((3_500, 15_000), (15_000, 60_000), (60_000, 250_000), (250_000, 800_000), (800_000, 2_500_000))
    weights = (8, 25, 35, 22, 10) if business else (45, 35, 15, 4, 1)
    low, high = rng.choices(bands, weights)[0]
    return rng.randint(low, high)


def split_cents(rng: Random, total: int, parts: int) -> list[int]:
    """Split `total` cents into `parts` positive integer amounts that add up exactly."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def slug(text: str) -> str:
    """Return `text` as lowercase ASCII with dashes, for e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def business_time(day: date, rng: Random) -> datetime:
    """Return a UTC time on `day` within the FR calling hours (10:00–13:00, 14:00–20:00 Paris)."""
    hour = rng.choice((10, 11, 12, 14, 15, 16, 17, 18, 19))
    local = datetime.combine(day, time(hour, rng.randrange(0, 60, 5)), tzinfo=PARIS)
    return local.astimezone(UTC)


def workday(day: date, today: date) -> date:
    """Move a weekend day to the Monday after, or to the Friday before when that Monday is not past yet."""
    if day.weekday() < 5:
        return day
    monday = day + timedelta(days=7 - day.weekday())
    return monday if monday < today else day - timedelta(days=day.weekday() - 4)


def between(rng: Random, start: date, end: date) -> date:
    """Draw a day from `start` to `end` (or `start` when the range is empty)."""
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def agency_profile() -> dict:
    """Return the columns of the demo agency's profile."""
    siren = siren_from("83145729")
    iban, bic = french_iban("3000400805", "00011223344")
    registration = f"RCS Lyon {siren_number.format(siren)}"
    return {**demo_content.AGENCY, "siren": siren, "registration": registration,
            "vat_number": vat_number(siren), "trust_iban": iban, "trust_bic": bic}  # fmt: skip


def client_fields(spec: ClientSpec) -> dict:
    """Return the columns of a demo client."""
    siren = siren_from(spec.siren_body)
    iban, _ = french_iban(spec.bank_code, f"000{spec.siren_body}")
    return {**spec.row, "siren": siren, "vat_number": vat_number(siren), "remittance_iban": iban}


def mandate_fields(spec: ClientSpec, today: date) -> dict:
    """Return the columns of a client's mandate, in force since well before the oldest demo case."""
    starts_on = date(today.year - 2, 1, 1)
    return {"reference": f"CONV-{spec.code}-{starts_on.year}", "signed_on": starts_on - timedelta(days=15),
            "starts_on": starts_on, "vat_bp": 2000, "remittance_frequency": "monthly", "jurisdiction": "FR",
            "remittance_delay_days": 30, "notes": "Convention de recouvrement amiable (art. R124-3 CPCE).",
            **spec.terms}  # fmt: skip


@dataclass
class ContactSpec:
    kind: str
    label: str = ""
    value: str = ""
    address_line1: str = ""
    postcode: str = ""
    city: str = ""
    status: str = "valid"
    is_primary: bool = False
    sms_consent: bool = False
    opted_out_at: datetime | None = None


@dataclass
class HoldSpec:
    kind: str
    reason: str
    started_on: date | None = None  # set once the debtor's cases are known: the hold comes after them
    reference_date: date | None = None


@dataclass
class DebtorSpec:
    kind: str
    title: str = ""
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    siren: str | None = None
    birth_date: date | None = None
    contacts: list[ContactSpec] = field(default_factory=list)
    hold: HoldSpec | None = None

    def columns(self) -> dict:
        """Return the values of the debtor's own columns."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("contacts", "hold")}


def debtors(fake: Faker, rng: Random, count: int, today: date) -> list[DebtorSpec]:
    """Draw `count` debtors, about two thirds of them households, with their contact points and holds."""
    taken: set[str] = set()
    result = []
    for _ in range(count):
        spec = _company(fake, rng) if rng.random() < 0.35 else _person(fake, rng)
        spec.contacts = _contacts(fake, rng, spec, taken, today)
        if rng.random() < 0.05:
            holds = demo_content.COMPANY_HOLDS if spec.kind == "company" else demo_content.PERSON_HOLDS
            kind, reason = rng.choice(holds)
            spec.hold = HoldSpec(kind, reason)
        result.append(spec)
    return result


def _person(fake: Faker, rng: Random) -> DebtorSpec:
    female = rng.random() < 0.5
    return DebtorSpec(
        kind="person",
        title="Mme" if female else "M.",
        first_name=fake.first_name_female() if female else fake.first_name_male(),
        last_name=fake.last_name(),
        birth_date=fake.date_of_birth(minimum_age=19, maximum_age=88),
    )


def _company(fake: Faker, rng: Random) -> DebtorSpec:
    name = f"{rng.choice(demo_content.TRADES)} {fake.last_name()} {rng.choice(demo_content.LEGAL_FORMS)}"
    return DebtorSpec(kind="company", company_name=name, siren=random_siren(rng))


def _contacts(fake: Faker, rng: Random, spec: DebtorSpec, taken: set[str], today: date) -> list[ContactSpec]:
    company = spec.kind == "company"
    postcode, city = rng.choice(demo_content.TOWNS)
    status = rng.choices(("valid", "unverified", "bounced"), (70, 25, 5))[0]  # bounced: letters came back
    label, street = "siège" if company else "domicile", fake.street_address()
    contacts = [ContactSpec("address", label, address_line1=street, postcode=postcode, city=city,
                            status=status, is_primary=True)]  # fmt: skip
    if company:
        contacts.append(ContactSpec("phone", "standard", fiction_landline(rng, taken), is_primary=True))
    if company or rng.random() < 0.93:
        contacts.append(_mobile(rng, company, taken, today))
    if rng.random() < (0.8 if company else 0.6):
        local = "comptabilite" if company else f"{slug(spec.first_name)}.{slug(spec.last_name)}"
        domain = f"{slug(spec.company_name)}.example" if company else fake.safe_domain_name()
        status = rng.choices(("valid", "unverified", "bounced"), (55, 40, 5))[0]
        contacts.append(ContactSpec("email", "e-mail", f"{local}@{domain}", status=status))
    return contacts


def _mobile(rng: Random, company: bool, taken: set[str], today: date) -> ContactSpec:
    mobile = ContactSpec("phone", "mobile dirigeant" if company else "mobile", random_mobile(rng, taken),
                         status=rng.choices(("valid", "unverified", "wrong"), (60, 33, 7))[0],
                         is_primary=not company, sms_consent=rng.random() < 0.5)  # fmt: skip
    if rng.random() < 0.05:  # answered STOP to an earlier text
        mobile.sms_consent = False
        mobile.opted_out_at = business_time(today - timedelta(days=rng.randint(5, 200)), rng)
    return mobile


@dataclass
class CasePlan:
    client_code: str
    debtor_index: int
    kind: str
    status: str
    opened_on: date
    client_reference: str
    claims: list[ClaimInput]


# How a demo portfolio is spread; a held debtor's cases are all on hold instead.
STATUS_WEIGHTS = {"new": 8, "active": 36, "promise": 10, "paid": 22, "closed": 8, "dispute": 5,
                  "escalated": 3}  # fmt: skip
# The oldest a case of each status can be (days); paid, closed and escalated cases need a longer past.
MIN_AGE_DAYS = {"new": 0, "paid": 120, "closed": 120, "escalated": 120}


def case_plans(rng: Random, debtors: list[DebtorSpec], count: int, today: date) -> list[CasePlan]:
    """Plan `count` cases, at least one per debtor, some debtors owing several or to several clients."""
    clients = {c.code: c for c in CLIENTS}
    numbers = {code: iter(range(rng.randint(1_000, 9_000), 10**6)) for code in clients}
    customers: dict[tuple[str, int], str] = {}
    picks = list(range(len(debtors))) + [rng.randrange(len(debtors)) for _ in range(count - len(debtors))]
    plans = []
    for index in picks:
        debtor = debtors[index]
        client = clients[_client_code(rng, debtor)]
        kind = "b2b" if debtor.kind == "company" else "b2c"
        status = (
            "hold" if debtor.hold else rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        )
        opened_on = _opened_on(rng, status, today)
        reference = customers.setdefault(
            (client.code, index), f"{client.customer_prefix}{rng.randint(10**8, 10**9 - 1)}"
        )
        claims = _claims(rng, client, kind == "b2b", opened_on, numbers[client.code])
        plans.append(CasePlan(client.code, index, kind, status, opened_on, reference, claims))
    plans.sort(key=lambda plan: plan.opened_on)  # so that case references follow the calendar
    return plans


def _client_code(rng: Random, debtor: DebtorSpec) -> str:
    if debtor.kind == "company":
        return rng.choices(("GROSSISTE", "ENERGIA", "TELECOM"), (55, 25, 20))[0]
    return rng.choice([c.code for c in CLIENTS if c.takes_persons])


def _opened_on(rng: Random, status: str, today: date) -> date:
    if status == "new":
        return today - timedelta(days=rng.randint(0, 14))
    # Within the last 18 months, and old enough for the story the status tells.
    return today - timedelta(days=rng.randint(MIN_AGE_DAYS.get(status, 45), 540))


def _claims(
    rng: Random, client: ClientSpec, business: bool, opened_on: date, numbers: Iterator[int]
) -> list[ClaimInput]:
    count = rng.choices((1, 2, 3, 4), (50, 25, 15, 10))[0]
    # Due from 10 days to 3 years before placement (6 months for consumers: their claims are prescribed after
    # two years, L218-2 C. consom., and a case's letters run up to 18 months after it is opened); a client
    # places consecutive monthly invoices together.
    oldest_due = opened_on - timedelta(days=rng.randint(10 + 30 * (count - 1), 1095 if business else 180 + 30 * count))
    claims = []
    for i in range(count):
        due = oldest_due + timedelta(days=30 * i)
        issued = due - timedelta(days=30 if business else 14)
        text = rng.choice(client.descriptions).format(
            month=demo_content.MONTHS[issued.month - 1], year=issued.year, n=rng.randint(1_000, 99_999)
        )
        claims.append(
            ClaimInput(
                invoice_number=f"{client.invoice_prefix}{issued.year}{next(numbers):06d}",
                issue_date=issued,
                due_date=due,
                amount_cents=amount_cents(rng, business),
                description=text,
            )
        )
    return claims
