"""Names folded for searching: lower case, no accents, one space between words.

The same function fills `Debtor.search_name` and reads what a collector types, so "Lefèvre", "LEFEVRE" and
"lefevre" meet. Kept apart from the search so that the model can use it without importing the search.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not take apart: folded by hand, as a French collector would type them.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D", "ı": "i"}  # fmt: skip
)
_SEPARATORS = re.compile(r"[\W_]+")
SEARCH_NAME_LENGTH = 420  # first (100) + last (100) + company (200) names and their spaces


def fold(text: str) -> str:
    """Return `text` lower-cased, without accents, its words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(word for word in _SEPARATORS.split(bare) if word)


def search_name_of(first_name: str | None, last_name: str | None, company_name: str | None) -> str:
    """Return the folded name a debtor is searched by (stored in `Debtor.search_name`)."""
    return fold(" ".join(part for part in (first_name, last_name, company_name) if part))[:SEARCH_NAME_LENGTH]
