"""Who may see what: the one place for role permissions and tenant scope.

Views never check roles or tenants inline: they use `permission_required` and load rows through
`get_scoped_or_404` / `scoped`, which confine a client user to its own client's rows. A row of
another client answers 404, never 403, so that ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from agency.db import db
from agency.models import Role, User

login_manager = LoginManager()
login_manager.login_view = "agency.login"
login_manager.login_message = _l("Sign in to see this page.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"

STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.COLLECTOR})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
EVERYONE = STAFF | {Role.CLIENT}

# Permission name -> roles that hold it. Add a permission here, never a role test in a view.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "cases.view": EVERYONE,
    "cases.internal": STAFF,  # internal notes, collector names, contact details
    "placements.view": MANAGERS | {Role.CLIENT},
    "placements.create": MANAGERS | {Role.CLIENT},
    "clients.api_tokens": frozenset({Role.ADMIN}),
    "debtors.view": STAFF,
    "contacts.edit": STAFF,  # add, correct a debtor's phones, e-mails, addresses; preferred, returned
    "debtors.attachments": STAFF,  # files about a debtor rather than a case (no client sees them)
    "addresses.find": STAFF,  # the cases whose letters came back and that need a new address
    "sms.outbox": STAFF,
    "queue.work": STAFF,  # take the next case, work it
    # Acting on a selection of cases from the list (reassign, hold, letters, SMS, export): managers only. A bulk
    # action reaches cases beyond one's own work and an export takes many debtors' data at once; collectors act
    # on the cases they work, one at a time (docs/ARCHITECTURE.md, "Bulk work").
    "cases.bulk": MANAGERS,
    "queue.manage": MANAGERS,  # queue sizes, reassign cases, move them between pools, teams
    "actions.record": STAFF,  # calls, SMS, e-mails, promises, callbacks, disputes opened
    "space.links": STAFF,  # see and revoke a case's links to the debtor's space
    "space.settings": frozenset({Role.ADMIN}),  # how long those links live, grouping a debtor's cases
    "letters.view": EVERYONE,  # the letters of a case (client users: their own cases)
    "letters.create": STAFF,
    "letters.approve": MANAGERS,  # a formal notice needs a manager (DESIGN.md §4)
    "disputes.resolve": MANAGERS,
    "holds.manage": MANAGERS,  # insolvency, over-indebtedness, deceased, cease-communication
    "contact_rules.manage": frozenset({Role.ADMIN}),
    "payments.view": EVERYONE,  # client users: payments on their own cases (R124-5)
    "payments.record": STAFF,  # payments received by the agency, or declared to it by the client
    "payments.declare": frozenset({Role.CLIENT}),  # a client declares a payment made directly to it
    "payments.reverse": MANAGERS,  # bounced cheque, chargeback
    "plans.manage": STAFF,  # set up, cancel payment plans and settlements
    "plans.approve": frozenset({Role.CLIENT}),  # plans beyond the mandate's limits
    "interest.post": MANAGERS,  # post interest on demand
    "rates.manage": frozenset({Role.ADMIN}),  # the ECB and legal rate tables
    "remittances.view": MANAGERS | {Role.CLIENT},
    "remittances.manage": MANAGERS,  # run statements, mark them paid
    "trust.view": MANAGERS,  # the trust account's reconciliation
    "clients.view": MANAGERS,
    "clients.manage": MANAGERS,  # create and change clients, record their mandates
    "reports.aged": MANAGERS | {Role.CLIENT},  # client users: their own client only
    "reports.monthly": MANAGERS | {Role.CLIENT},  # the monthly reports; client users: their own client's only
    "reports.collectors": MANAGERS,
    "reports.view": MANAGERS | {Role.CLIENT},  # the dashboard; client users: their own client, no collector
    "reports.refresh": MANAGERS,  # recompute the dashboard's figures now rather than at the hourly run
    "judicial.view": EVERYONE,  # the stage of a case's proceeding (client users: their own cases)
    "judicial.propose": STAFF,  # propose the judicial route once the formal notice's deadline has passed
    "judicial.approve": MANAGERS,  # the agency's approval (another route with a reason), withdrawal
    "judicial.decide": frozenset({Role.CLIENT}),  # the client's approval or refusal, in its portal
    "judicial.record": STAFF,  # the steps, costs, titles of a proceeding; its file (pack)
    "judicial.documents": STAFF | {Role.CLIENT},  # upload the contract or order to the judicial file
    "attachments.add": STAFF | {Role.CLIENT},  # attach files to a case (client users: their own cases)
    "notes.add": STAFF,  # write notes on a case or a debtor, shown to the client when the author chooses
    "notes.hide": MANAGERS,  # hide a note with a reason (the row stays)
    "tasks.work": STAFF,  # set tasks on a case, see one's own and one's teams', mark them done
    "tasks.all": MANAGERS,  # every task, by assignee
    "judicial.list": MANAGERS,  # the judicial cases by next deadline
    "judicial.settings": frozenset({Role.ADMIN}),  # thresholds, fees, deadlines, forms
    "closings.propose": STAFF,  # propose closing a case with a reason and its evidence
    "closings.decide": MANAGERS,  # confirm or refuse a proposal, close at once, reopen
    "limitation.list": MANAGERS,  # the claims nearing their limitation date
    "recalls.request": MANAGERS | {Role.CLIENT},  # recall a case (client users: their own; managers: on their word)
    "credit_notes.post": STAFF | {Role.CLIENT},  # a credit note on an invoice (staff: one the client e-mailed)
    "decisions.answer": frozenset({Role.CLIENT}),  # the client's decision after an upheld dispute
    "agency.audit": MANAGERS,
    "alerts.view": MANAGERS,  # the notification area, acknowledging alerts
    "alerts.manage": MANAGERS,  # the payment threshold and the e-mail digest
    "agency.users": frozenset({Role.ADMIN}),  # create, deactivate, change roles, send reset links, unlock
    "agency.security": frozenset({Role.ADMIN}),  # second factor for collectors and clients, idle expiry
    "account.own": EVERYONE,  # one's own password and second factor
    "agency.profile": frozenset({Role.ADMIN}),
    # A debtor's personal data: the access export, the erasure, the retention after closing (GDPR).
    "personal_data.manage": frozenset({Role.ADMIN}),
    "agency.system": frozenset({Role.ADMIN}),
}


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    # "<id>:<session version>" (User.get_id): a session of an older version, or of a deactivated user, is over.
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def can(permission: str, user: Any = None) -> bool:
    """Tell whether `user` (default: the current user) holds `permission`."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    return Role(user.role) in PERMISSIONS[permission]


def permission_required(permission: str) -> Callable:
    """Decorate a view: anonymous users go to the login page, users without `permission` get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # read by the route-walking test
        return wrapped

    return decorator


def tenant_clause(model: Any, user: Any = None) -> sa.ColumnElement[bool]:
    """Return the WHERE clause that limits `model` (which has `client_id`) to what `user` may see."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    if Role(user.role) is Role.CLIENT:
        return model.client_id == user.client_id
    return sa.true()


def scoped(model: Any, user: Any = None) -> sa.Select:
    """Return a SELECT of `model` already limited to the user's tenant scope."""
    return sa.select(model).where(tenant_clause(model, user))


def get_scoped_or_404(model: Any, row_id: int, user: Any = None) -> Any:
    """Load one row of `model` inside the user's tenant scope, or answer 404."""
    row = db.session.scalar(scoped(model, user).where(model.id == row_id))
    if row is None:
        abort(404)
    return row
