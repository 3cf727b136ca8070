"""Operations on users: creating them with a checked e-mail, role and password."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from agency.db import db
from agency.models import Client, Role, User

MIN_PASSWORD_LENGTH = 10


def password_rule() -> str:
    """Return the password rule as the forms and the shell state it when a password breaks it."""
    return _l("The password must be at least %(num)d characters long.", num=MIN_PASSWORD_LENGTH)


class UserError(ValueError):
    """A user could not be created; `field` names the field at fault."""

    def __init__(self, field: str, message) -> None:
        super().__init__(str(message))
        self.field = field


def normalize_email(email: str) -> str:
    """Return the e-mail address in the form it is stored and looked up in."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError("email", str(exc)) from exc


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    try:
        email = normalize_email(email)
    except UserError:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_user(
    *, email: str, name: str, role: Role, password: str, client: Client | None, actor: User | None
) -> User:
    """Add a user to the session after checking every field; the caller audits and commits."""
    email = normalize_email(email)
    if not name.strip():
        raise UserError("name", _l("A name is required."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", password_rule())
    if (role is Role.CLIENT) != (client is not None):
        raise UserError("client", _l("A client user needs a client; agency staff have none."))
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError("email", _l("%(email)s is already used.", email=email))
    user = User(email=email, name=name.strip(), role=role.value, client=client)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
