"""The French catalogue is complete for the current sources, its placeholders are right, and the UI uses it.

The msgids are extracted here as the documented command extracts them (babel.cfg, `-k _l`), so a string
added to a module or a template without its French translation fails this test, with the command to run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
FRENCH_PO = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
UPDATE_COMMAND = (
    "pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot . && "
    "pybabel update -i /tmp/messages.pot -d translations -l fr --no-fuzzy-matching"
)
HOW_TO_FIX = (
    "\nUpdate the catalogue from the repository root (virtualenv active, or .venv/bin/pybabel):\n"
    f"  {UPDATE_COMMAND}\n"
    "then translate the new entries of translations/fr/LC_MESSAGES/messages.po (leave no fuzzy flag)."
)
# A printf directive, named or not, or the literal %%.
DIRECTIVE = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
# A call of a translation function: the files that make one must be covered by babel.cfg.
TRANSLATES = re.compile(
    r"(?<![\w.])(?:_|_l|gettext|ngettext|lazy_gettext|lazy_ngettext|pgettext|npgettext)\("
)
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".j2", ".jinja"}
NOT_SOURCES = {"instance", "test-artifacts", "build", "node_modules"}  # generated or local folders


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The template catalogue (.pot) of the current sources, built by babel's own command line."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    frontend.CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(BABEL_CFG), "-k", "_l", "-o", str(pot), str(ROOT)]
    )
    with pot.open("rb") as f:
        catalog = read_po(f)
    assert len(catalog) > 50, "the extraction found almost nothing: is babel.cfg right?"
    return catalog


@pytest.fixture(scope="module")
def french():
    with FRENCH_PO.open("rb") as f:
        return read_po(f, locale="fr")


def _label(message) -> str:
    return " / ".join(map(repr, message.id)) if isinstance(message.id, tuple) else repr(message.id)


def _forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_msgid_of_the_sources_has_a_french_translation(extracted, french):
    problems = []
    for message in extracted:
        if not message.id:
            continue
        where = ", ".join(
            f"{Path(path).relative_to(ROOT) if Path(path).is_absolute() else path}:{line}"
            for path, line in message.locations[:3]
        )
        entry = french.get(message.id, message.context)
        if entry is None:
            problems.append(f"missing       {_label(message)}  ({where})")
        elif entry.id != message.id:
            problems.append(f"plural differs {_label(message)}: the catalogue has {_label(entry)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy         {_label(message)}  ({where})")
        elif not all(_forms(entry)):
            problems.append(f"untranslated  {_label(message)}  ({where})")
    assert not problems, (
        f"{len(problems)} msgid(s) of the sources lack a French translation:\n  "
        + "\n  ".join(problems)
        + HOW_TO_FIX
    )


def _directives(text: str) -> list[str]:
    return sorted(f"%({name}){kind}" if name else f"%{kind}" for name, kind in DIRECTIVE.findall(text))


def test_translations_keep_the_placeholders_of_the_msgid(french):
    problems = []
    for message in french:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = (_directives(text) for text in message.id)
            for index, form in enumerate(message.string):
                # The first French form (n = 0 or 1) may follow the English singular; the other, the plural.
                allowed = [plural, singular] if index == 0 else [plural]
                if form and _directives(form) not in allowed:
                    problems.append(
                        f"{_label(message)} msgstr[{index}] {form!r}: {_directives(form)}, expected {plural}"
                    )
        elif message.string and _directives(message.string) != _directives(message.id):
            problems.append(
                f"{_label(message)} -> {message.string!r}: {_directives(message.string)}, expected {_directives(message.id)}"
            )
        for form in _forms(message):
            if form and "%" in DIRECTIVE.sub("", form):
                problems.append(
                    f"{_label(message)}: stray '%' in {form!r} (a literal percent is written '%%')"
                )
    assert not problems, "placeholders differ between msgid and translation:\n  " + "\n  ".join(problems)


def _method_map() -> list[tuple[str, str]]:
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with BABEL_CFG.open() as f:
        method_map, _options = parse(f, str(BABEL_CFG))
    return method_map


def test_babel_cfg_covers_every_file_that_translates():
    """A new package or template folder calling _() must be listed in babel.cfg, or its strings are never extracted."""
    method_map = _method_map()
    ignored = [pattern for pattern, method in method_map if method == "ignore"]
    uncovered = []
    for folder, dirnames, filenames in os.walk(ROOT):
        prefix = Path(folder).relative_to(ROOT).as_posix() + "/"
        prefix = "" if prefix == "./" else prefix
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith((".", "_"))
            and d not in NOT_SOURCES
            and not any(pathmatch(pattern, prefix + d) for pattern in ignored)
        ]
        for name in filenames:
            relative = prefix + name
            if Path(name).suffix not in SOURCE_SUFFIXES:
                continue
            if not TRANSLATES.search((ROOT / relative).read_text(errors="replace")):
                continue
            method = next((m for pattern, m in method_map if pathmatch(pattern, relative)), None)
            if method in (None, "ignore"):
                uncovered.append(relative)
    assert not uncovered, (
        "babel.cfg extracts nothing from these files, which call a translation function:\n  "
        + ("\n  ".join(uncovered))
    )


@pytest.fixture
def compiled_french(app, french, tmp_path, monkeypatch):
    """Serve the catalogue compiled from the .po as it is now, so that a stale or missing .mo hides nothing."""
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, french, use_fuzzy=False)
    babel_config = app.extensions["babel"]
    monkeypatch.setattr(babel_config, "translation_directories", [str(tmp_path)])
    cache = babel_config.instance.domain_instance.cache  # Flask-Babel 4 caches translations per locale
    cache.clear()
    yield french
    cache.clear()


def test_login_page_is_french_by_default_and_english_on_request(client, compiled_french):
    page = client.get("/login").get_data(as_text=True)
    assert "Se connecter" in page and "Mot de passe" in page and "Sign in" not in page

    response = client.post("/language/en", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "Password" in page and "Se connecter" not in page

    client.post("/language/fr", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert "Se connecter" in client.get("/login").get_data(as_text=True)


def test_plural_messages_follow_the_french_rule(app, compiled_french):
    """French uses the singular for 0 and 1, the plural from 2 on."""
    from flask_babel import force_locale, ngettext

    assert compiled_french.num_plurals == 2 and compiled_french.plural_expr == "(n > 1)"
    plurals = [m for m in compiled_french if m.id and isinstance(m.id, tuple)]
    with app.test_request_context(), force_locale("fr"):
        for message in plurals:
            names = {name for name, _kind in DIRECTIVE.findall(" ".join(message.id)) if name}
            variables = {name: 7 for name in names - {"num"}}
            for num, form in ((0, 0), (1, 0), (2, 1), (31, 1)):
                expected = message.string[form] % dict(variables, num=num)
                assert ngettext(*message.id, num, **variables) == expected, (message.id, num)
