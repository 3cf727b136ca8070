"""What managers call each kind of alert, in the interface's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from alerts.models import AlertKind
from cases.judicial.labels import DEADLINE

KIND = {
    AlertKind.PROMISE_BROKEN.value: _l("Promise broken"),
    AlertKind.FUNDS_AGED.value: _l("Funds held beyond the remittance delay"),
    AlertKind.DISPUTE_OPENED.value: _l("Dispute opened"),
    AlertKind.LARGE_PAYMENT.value: _l("Large payment received"),
    AlertKind.IMPORT_FAILED.value: _l("Placement import failed"),
    AlertKind.POOL_UNATTENDED.value: _l("Pool with nobody to work it"),
    AlertKind.JUDICIAL_DEADLINE.value: _l("Judicial deadline approaching"),
    AlertKind.INSOLVENCY_CLAIM.value: _l("Insolvency claim to declare"),
    AlertKind.LIMITATION.value: _l("Claim nearing its limitation date"),
}
KIND_COLOR = {
    AlertKind.PROMISE_BROKEN.value: "warning",
    AlertKind.FUNDS_AGED.value: "danger",
    AlertKind.DISPUTE_OPENED.value: "info",
    AlertKind.LARGE_PAYMENT.value: "success",
    AlertKind.IMPORT_FAILED.value: "danger",
    AlertKind.POOL_UNATTENDED.value: "warning",
    AlertKind.JUDICIAL_DEADLINE.value: "danger",
    AlertKind.INSOLVENCY_CLAIM.value: "danger",
    AlertKind.LIMITATION.value: "danger",
}
# The deadline a judicial alert is about, by its kind (in deadlines' words: "Serve the order by").
JUDICIAL_DEADLINE = DEADLINE
