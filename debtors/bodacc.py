"""The BODACC open-data client: insolvency announcements (procédures collectives) by SIREN.

The BODACC is published by the DILA as a keyless Opendatasoft API (LEGAL-FR.md §9): the dataset
`annonces-commerciales`, filtered on `familleavis:"collective"` and on `registre`, which holds the SIREN
in two spellings ("732 829 320" and "732829320", as a list or joined by a comma). `jugement` is a JSON
text with the judgment's `famille`, `nature` and `date`; `dateparution` is the publication date, from
which the claim must be declared within two months.

SIRENs are asked by batches (one request for up to `BODACC_BATCH_SIZE` companies, paged), with connect
and read timeouts; a timeout, a connection error, a 5xx, a 429 or an answer that is not the expected
JSON is tried again after each of `BODACC_RETRY_DELAYS`, then raised as `BodaccUnavailable`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import requests
from flask import current_app

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # the most Opendatasoft's records endpoint gives per request
MAX_OFFSET = 10_000  # offset + limit may not go beyond it
FIELDS = "id,dateparution,registre,jugement,tribunal,commercant,familleavis"
SIREN_RE = re.compile(r"^\d{9}$")


class BodaccUnavailable(RuntimeError):
    """The BODACC API did not answer usefully, even after the retries: nothing could be learnt."""


@dataclass(frozen=True)
class Announcement:
    """One announcement of a collective procedure, as much of it as the watch needs."""

    id: str
    sirens: frozenset[str]  # the SIRENs its `registre` names, spaces removed
    published_on: date
    judgment_on: date | None  # None when the announcement's date cannot be read
    famille: str
    nature: str
    court: str
    name: str  # the company named by the announcement (`commercant`), to tell a false match

    @property
    def is_opening(self) -> bool:
        """Tell whether it announces the opening of proceedings (sauvegarde, redressement, liquidation)."""
        return "ouverture" in self.famille.lower() or "ouverture" in self.nature.lower()


def search(sirens: Iterable[str], since: date | None = None) -> list[Announcement]:
    """Return the collective-procedure announcements naming one of `sirens`, oldest publication first.

    `since` leaves out what was published before that day (a batch already checked). Raises
    BodaccUnavailable when the API cannot be read.
    """
    wanted = sorted({s for s in sirens if SIREN_RE.match(s)})
    if not wanted:
        return []
    params = {"where": where_clause(wanted, since), "order_by": "dateparution, id", "select": FIELDS,
              "limit": PAGE_SIZE}
    found: list[Announcement] = []
    offset = 0
    while True:
        page = _get({**params, "offset": offset})
        records = page.get("results")
        if not isinstance(records, list):
            raise BodaccUnavailable("BODACC answer without a list of results")
        found.extend(a for a in map(parse_record, records) if a and a.sirens & set(wanted))
        offset += len(records)
        total = page.get("total_count")
        if not records or not isinstance(total, int) or offset >= total or offset + PAGE_SIZE > MAX_OFFSET:
            return found


def where_clause(sirens: list[str], since: date | None = None) -> str:
    """Return the ODSQL filter for the collective procedures of `sirens` (each a checked 9-digit string)."""
    # `like` on the list field matches the SIREN's compact spelling (what other users of the API check too);
    # the announcements returned are checked against the SIRENs again (registre_sirens), so a looser match
    # never reaches a manager.
    registers = " OR ".join(f'registre like "{s}"' for s in sirens)
    clause = f'familleavis:"collective" AND ({registers})'
    if since is not None:
        clause += f' AND dateparution >= date"{since.isoformat()}"'
    return clause


def parse_record(record: dict) -> Announcement | None:
    """Return the announcement a record describes, or None when it lacks an id or a publication date."""
    if not isinstance(record, dict):
        return None
    published = _date(record.get("dateparution"))
    if not record.get("id") or published is None:
        return None
    judgment = _judgment(record.get("jugement"))
    return Announcement(
        id=str(record["id"])[:40],
        sirens=registre_sirens(record.get("registre")),
        published_on=published,
        judgment_on=_date(judgment.get("date")),
        famille=str(judgment.get("famille") or "")[:200],
        nature=str(judgment.get("nature") or "")[:500],
        court=str(record.get("tribunal") or "")[:200],
        name=str(record.get("commercant") or "")[:200],
    )


def registre_sirens(value: object) -> frozenset[str]:
    """Return the SIRENs of a `registre` field: a list or a comma-joined text, spelled with or without spaces."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    return frozenset(p for p in (re.sub(r"\s+", "", str(part)) for part in parts) if SIREN_RE.match(p))


def _judgment(value: object) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _get(params: dict) -> dict:
    """GET one page of records, trying again after each of the configured delays."""
    config = current_app.config
    timeout = (config["BODACC_CONNECT_TIMEOUT"], config["BODACC_READ_TIMEOUT"])
    delays = list(config["BODACC_RETRY_DELAYS"])
    while True:
        try:
            return _get_once(config["BODACC_API_URL"], params, timeout)
        except BodaccUnavailable as exc:
            if not delays:
                raise
            log.warning("BODACC API: %s; trying again in %s s", exc, delays[0])
            time.sleep(delays.pop(0))


def _get_once(url: str, params: dict, timeout: tuple[float, float]) -> dict:
    try:
        response = requests.get(url, params=params, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:  # timeouts and connection errors
        raise BodaccUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        # A 4xx other than 429 is our request's fault and will not heal; it is reported all the same.
        raise BodaccUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        payload = response.json()
    except ValueError as exc:
        raise BodaccUnavailable("BODACC answer is not JSON") from exc
    if not isinstance(payload, dict):
        raise BodaccUnavailable("BODACC answer is not a JSON object")
    return payload
