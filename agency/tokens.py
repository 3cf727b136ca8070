"""API tokens of client systems: issued once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from agency import audit
from agency.db import db, utcnow
from agency.models import ApiToken, Client, User

PREFIX = "amb_"


def _digest(token: str) -> str:
    # SHA-256 is enough: the token is 256 random bits, not a password that could be guessed.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(client: Client, *, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Create a token for `client`; return the row and the token text, which is never shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(client=client, name=name[:100], prefix=token[: len(PREFIX) + 6], token_hash=_digest(token),
                   created_by_id=actor.id if actor else None)
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.issued", actor=actor, subject=row, client_id=client.id,
                 actor_label=None if actor else "cli", after={"prefix": row.prefix, "name": row.name})
    return row, token


def revoke_token(row: ApiToken, *, actor: User | None) -> None:
    """Stop a token from working, at once."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoked", actor=actor, subject=row, client_id=row.client_id,
                     actor_label=None if actor else "cli", after={"prefix": row.prefix})


def authenticate_token(token: str) -> ApiToken | None:
    """Return the active token matching `token`, and note its use; None if unknown or revoked."""
    if not token.startswith(PREFIX):
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row
