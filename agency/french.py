"""French typography the letters and messages need: elision of "de", "le", "que"… before a vowel or a mute h."""

from __future__ import annotations

import unicodedata

# Words that lose their vowel before a vowel sound: "de Énergia" is written "d'Énergia".
ELIDED = {"de": "d'", "le": "l'", "la": "l'", "que": "qu'", "je": "j'", "me": "m'", "te": "t'", "se": "s'",
          "ne": "n'", "jusque": "jusqu'", "lorsque": "lorsqu'", "puisque": "puisqu'"}
# Most French words and names take elision before h (the h is mute: "d'Hermès"); these begin with an
# aspirated h, which does not ("de Hachette").
ASPIRATED_H = ("hach", "haine", "hall", "hamac", "hameau", "hamburg", "hanche", "handball", "handica", "hangar",
               "hanté", "harass", "harcel", "hardi", "hareng", "haricot", "harpe", "hasard", "hâte", "haut", "havre",
               "hérisson", "héros", "hibou", "hiérarch", "hockey", "hollande", "homard", "hongr", "honte", "hors",
               "hotte", "houille", "houle", "housse", "hublot", "huit", "hurl", "hutte")
VOWELS = "aeiou"


def _base(letter: str) -> str:
    """Return a letter without its accent, lower-cased: "É" -> "e", "Œ" -> "o"."""
    decomposed = unicodedata.normalize("NFD", letter.lower())[:1]
    return {"œ": "o", "æ": "a"}.get(decomposed, decomposed)


def starts_with_vowel_sound(text: str) -> bool:
    """Tell whether French elides before `text`: a vowel (accented or not), a mute h, a y before a consonant."""
    word = text.lstrip(" \"'«“(\u00a0").split(" ", 1)[0]
    if not word:
        return False
    first, second = _base(word[0]), _base(word[1]) if len(word) > 1 else ""
    if first in VOWELS:
        return True
    if first == "h":
        return not word.lower().startswith(ASPIRATED_H)
    # "d'Yves", "d'Ygrande", but "de Yasmine", "de Yoplait".
    return first == "y" and bool(second) and second.isalpha() and second not in VOWELS + "y"


def elide(word: str, following: str | None) -> str:
    """Return `word` as written before `following`, with what separates them: "d'" or "de ".

    In a template, `{{ "de"|elide(client.name) }}{{ client.name }}` writes "d'Énergia" or "de Total";
    the word keeps its capital ("De" -> "D'").
    """
    elided = ELIDED.get(word.lower())
    if elided is None or not starts_with_vowel_sound(following or ""):
        return f"{word} "
    return elided.capitalize() if word[:1].isupper() else elided
