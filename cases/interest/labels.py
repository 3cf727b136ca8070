"""What rate kinds and the reasons for no interest are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

KIND = {
    "ecb": _l("ECB main refinancing rate"),
    "legal_individual": _l("Legal rate, creditor a private individual"),
    "legal_other": _l("Legal rate, all other cases"),
}
NO_INTEREST = {
    "no_mandate": _l("No mandate in force: no interest."),
    "us": _l("United States mandate: interest is left to state law and the contract, none is computed."),
    "not_claimed": _l("The mandate does not claim late-payment interest."),
    "no_notice": _l("Consumer case: interest runs from the formal notice, none has been issued."),
}
