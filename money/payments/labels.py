"""What payment methods, channels and allocation parts are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

METHOD = {
    "transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "cheque": _l("Cheque"),
    "direct_debit": _l("Direct debit"),
    "cash": _l("Cash"),
}
CHANNEL = {
    "trust": _l("Trust account"),
    "direct": _l("Paid directly to the client"),
}
APPLIES_TO = {
    "cost": _l("Costs"),
    "indemnity": _l("Recovery indemnity"),
    "interest": _l("Interest"),
    "principal": _l("Principal"),
    "credit": _l("Overpaid (to refund)"),
}
