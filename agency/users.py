"""Operations on users: creating them, their passwords, deactivation and roles.

Every operation that should end the user's open sessions raises `session_version` (see User.get_id):
deactivation, a role change, a new password. The caller audits nothing extra and commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.db import db
from agency.models import Client, Role, User

MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 5
# Passwords every attacker tries first; long enough to pass the length rule, so they are named here.
COMMON_PASSWORDS = frozenset({
    "motdepasse", "motdepasse1", "motdepasse123", "password123", "password1234", "azertyuiop", "qwertyuiop",
    "1234567890", "0123456789", "azerty1234", "azerty123456", "bonjour123", "soleil1234", "amiable2026",
})


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
    check_password_strength(password, name=name)
    if (role is Role.CLIENT) != (client is not None):
        raise UserError("client", _l("A client user needs a client; agency staff have none."))
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError("email", _l("%(email)s is already used.", email=email))
    user = User(email=email, name=name.strip(), role=role.value, client=client)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def check_password_strength(password: str, *, name: str = "") -> None:
    """Refuse a password that is short, made of a few repeated characters, common, or the user's own name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", password_rule())
    folded = password.casefold()
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        raise UserError("password", _l("The password repeats too few different characters."))
    if folded in COMMON_PASSWORDS:
        raise UserError("password", _l("This password is one of the first an attacker tries."))
    # The name, not the e-mail's first part: that is often a role ("admin@…"), which says little about a guess.
    if any(len(word) >= 4 and word in folded for word in name.casefold().split()):
        raise UserError("password", _l("The password must not contain the user's name."))


def end_sessions(user: User) -> None:
    """End every open session of `user` at its next request."""
    user.session_version = (user.session_version or 0) + 1


def set_password(user: User, password: str, *, actor: User | None, action: str = "user.password_changed") -> None:
    """Give `user` a new password after checking its strength, end their sessions and audit it."""
    check_password_strength(password, name=user.name)
    user.set_password(password)
    end_sessions(user)
    audit.record(action, actor=actor, subject=user, actor_label=None if actor else "password reset link")


def change_own_password(user: User, current: str, new: str) -> None:
    """Change `user`'s password once their current one is given; their other sessions end."""
    if not user.check_password(current):
        raise UserError("current_password", _l("This is not your current password."))
    if current == new:
        raise UserError("new_password", _l("The new password must differ from the current one."))
    try:
        set_password(user, new, actor=user)
    except UserError as exc:
        raise UserError("new_password", str(exc)) from exc


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.active.is_(True))
    )


def deactivate_user(user: User, *, actor: User) -> None:
    """Deactivate `user`: they can no longer sign in and their sessions end; never oneself nor the last admin."""
    if user.id == actor.id:
        raise UserError("user", _l("You cannot deactivate your own account."))
    if not user.active:
        return
    if user.role == Role.ADMIN.value and _active_admins() <= 1:
        raise UserError("user", _l("%(email)s is the last active administrator.", email=user.email))
    user.active = False
    end_sessions(user)
    audit.record("user.deactivated", actor=actor, subject=user, before={"active": True}, after={"active": False})


def reactivate_user(user: User, *, actor: User) -> None:
    """Let a deactivated user sign in again."""
    if user.active:
        return
    user.active = True
    audit.record("user.reactivated", actor=actor, subject=user, before={"active": False}, after={"active": True})


def change_role(user: User, role: Role, *, actor: User, client: Client | None = None) -> None:
    """Give `user` another role (a client user keeps or gets a client, staff none); their sessions end.

    The last active admin keeps the role, so that someone can always manage users.
    """
    if role.value == user.role:
        return
    if (role is Role.CLIENT) != (client is not None):
        raise UserError("client", _l("A client user needs a client; agency staff have none."))
    if user.role == Role.ADMIN.value and user.active and _active_admins() <= 1:
        raise UserError("role", _l("%(email)s is the last active administrator.", email=user.email))
    before, after = audit.changes(user, role=role.value, client_id=client.id if client else None)
    user.client = client
    end_sessions(user)
    audit.record("user.role_changed", actor=actor, subject=user, before=before, after=after)
