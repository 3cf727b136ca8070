"""The build step pyproject.toml cannot say: the platform's folders beside the packages, translations compiled.

templates/, static/, migrations/ and translations/ are not Python packages, so package data cannot carry them;
they are copied into `amiable_data/` in the wheel (agency.config finds them there), and every messages.po is
compiled to its .mo on the way, so an installed platform speaks French without a compile step of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("templates", "static", "migrations", "translations")
DATA_PACKAGE = "amiable_data"


class BuildWithData(build_py):
    """build_py, then the data folders and the compiled catalogues into build_lib/amiable_data."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the folders from the checkout
            return
        target = Path(self.build_lib) / DATA_PACKAGE
        for name in DATA_FOLDERS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _compile_catalogues(target / "translations")


def _compile_catalogues(folder: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in folder.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as source:
            catalogue = read_po(source)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalogue)


setup(cmdclass={"build_py": BuildWithData})
