"""Operations on clients (creditors), their mandates and the agency profile: checked, audited, not committed."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from stdnum.fr import siren as stdnum_siren

from agency import audit
from agency.db import db
from agency.models import AgencyProfile, Client, CommissionBand, Mandate, User


class ClientError(ValueError):
    """A client or mandate could not be saved; `field` names the field at fault."""

    def __init__(self, field: str, message) -> None:
        super().__init__(str(message))
        self.field = field


def save_client(client: Client | None, values: dict[str, Any], *, actor: User) -> Client:
    """Create a client (when `client` is None) or change one, after checking code and SIREN."""
    values = dict(values, code=values["code"].strip().upper())
    siren = values.get("siren", "").replace(" ", "")
    if siren and not stdnum_siren.is_valid(siren):
        raise ClientError("siren", _l("This SIREN is not valid (9 digits with a check key)."))
    values["siren"] = siren
    taken = db.session.scalar(sa.select(Client.id).where(Client.code == values["code"]))
    if taken is not None and (client is None or taken != client.id):
        raise ClientError("code", _l("The code %(code)s is already used.", code=values["code"]))
    if client is None:
        client = Client(**values)
        db.session.add(client)
        db.session.flush()
        audit.record("client.created", actor=actor, subject=client, client_id=client.id, after=values)
        return client
    before, after = audit.changes(client, **values)
    if after:
        audit.record("client.changed", actor=actor, subject=client, client_id=client.id, before=before, after=after)
    return client


def add_mandate(client: Client, values: dict[str, Any], *, actor: User) -> Mandate:
    """Record a signed collection mandate for `client` (R124-3), refusing one that overlaps another."""
    starts_on, ends_on = values["starts_on"], values.get("ends_on")
    if ends_on is not None and ends_on < starts_on:
        raise ClientError("ends_on", _l("The mandate cannot end before it starts."))
    if any(_overlaps(m, starts_on, ends_on) for m in client.mandates):
        raise ClientError("starts_on", _l("Another mandate of this client is in force in this period."))
    if db.session.scalar(sa.select(Mandate.id).where(Mandate.client_id == client.id,
                                                       Mandate.reference == values["reference"])):
        raise ClientError("reference", _l("This client already has a mandate with this reference."))
    values = dict(values)
    bands = values.pop("commission_bands", [])
    mandate = Mandate(client=client, **values)
    mandate.commission_bands = [CommissionBand(**band) for band in bands]
    db.session.add(mandate)
    db.session.flush()
    audit.record("mandate.created", actor=actor, subject=mandate, client_id=client.id,
                 after={**{k: v for k, v in values.items() if k != "notes"},
                        "commission_bands": "; ".join(
                            f"{b['from_age_days']}d/{b['from_principal_cents']}c:{b['rate_bp']}bp" for b in bands)})
    return mandate


def end_mandate(mandate: Mandate, ends_on: date, *, actor: User) -> None:
    """End a mandate on `ends_on` (cases already placed stay; no new placement after that day)."""
    if ends_on < mandate.starts_on:
        raise ClientError("ends_on", _l("The mandate cannot end before it starts."))
    before, after = audit.changes(mandate, ends_on=ends_on)
    audit.record("mandate.ended", actor=actor, subject=mandate, client_id=mandate.client_id,
                 before=before, after=after)


def _overlaps(mandate: Mandate, starts_on: date, ends_on: date | None) -> bool:
    far = date.max
    return mandate.starts_on <= (ends_on or far) and starts_on <= (mandate.ends_on or far)


def save_profile(values: dict[str, Any], *, actor: User) -> AgencyProfile:
    """Fill in or change the agency profile printed on every letter."""
    profile = db.session.get(AgencyProfile, 1)
    if profile is None:
        profile = AgencyProfile(id=1, **values)
        db.session.add(profile)
        audit.record("agency_profile.created", actor=actor, subject_type="agency_profile", after=values)
        return profile
    before, after = audit.changes(profile, **values)
    if after:
        audit.record("agency_profile.changed", actor=actor, subject=profile, before=before, after=after)
    return profile
