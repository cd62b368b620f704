"""The API appendix (book/appendix/api.md) documents the whole public companion package.

It is generated from the docstrings by Sphinx autodoc at build time; these tests prove that no
public module is left out of the page's source, and that in the built page every public name
of every documented module has its own entry (an anchor a reader can link to).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import companion

ROOT = Path(__file__).resolve().parent.parent
API_SOURCE = ROOT / "book" / "appendix" / "api.md"
API_PAGE = ROOT / "_build" / "html" / "book" / "appendix" / "api.html"

#: Modules that are not part of the API a reader looks up: the chapters' interactive
#: explorers (shown in the chapters themselves), the exercises' per-item checks, the
#: notebook helpers and command-line entry points.
NOT_DOCUMENTED = re.compile(
    r"^companion\.(widgets\w*|book|exercises\.(ex\d\d|core|generate|summary)|grade\.__main__)$"
)


def documented_modules() -> list[str]:
    return re.findall(r"^\.\. automodule:: (\S+)$", API_SOURCE.read_text(), flags=re.MULTILINE)


def public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(companion.__path__, prefix="companion."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if not NOT_DOCUMENTED.match(info.name):
            names.append(info.name)
    return sorted(names)


def test_every_public_module_is_in_the_api_page() -> None:
    documented = documented_modules()
    assert len(documented) == len(set(documented)), "a module is documented twice"
    missing = sorted(set(public_modules()) - set(documented))
    assert not missing, f"add these modules to {API_SOURCE.relative_to(ROOT)}: {missing}"
    unknown = sorted(set(documented) - set(public_modules()))
    assert not unknown, f"the API page names modules that are not public: {unknown}"


def test_the_exclusion_list_names_real_modules() -> None:
    every = [info.name for info in pkgutil.walk_packages(companion.__path__, "companion.")]
    assert any(NOT_DOCUMENTED.match(name) for name in every)
    assert "companion.optim" in public_modules()  # the pattern does not swallow real modules


@pytest.mark.parametrize("module", documented_modules())
def test_every_public_name_has_an_entry_in_the_built_page(module: str) -> None:
    if not API_PAGE.is_file():
        pytest.fail(f"No {API_PAGE}: run `make book` first.", pytrace=False)
    page = API_PAGE.read_text(encoding="utf-8")
    assert f'id="module-{module}"' in page, f"{module} has no section in the built page"
    names = getattr(importlib.import_module(module), "__all__", [])
    missing = [name for name in names if not any(i in page for i in entry_ids(module, name))]
    assert not missing, f"{module}: no entry for {missing} in {API_PAGE.name}"


def entry_ids(module: str, name: str) -> list[str]:
    """Where a public name's entry may be: in its module's section or, when a package
    re-exports it (``companion.optim.Adam`` from ``companion.optim.optimizers``), in the
    package's, where the reader looks it up."""
    obj = getattr(importlib.import_module(module), name)
    parts = module.split(".")
    packages = [".".join(parts[:k]) for k in range(len(parts), 1, -1)]
    return [
        f'id="{package}.{name}"'
        for package in packages
        if getattr(importlib.import_module(package), name, None) is obj
    ]
