"""What a machine needs to grade: a wheel of the companion package and the pins it runs with.

An autograder bundle for Gradescope (:mod:`.gradescope`) or a JupyterHub image carries the
course's own code as a wheel, built here from the repository, and the exact versions of the
packages grading imports, taken from the repository's ``requirements.txt``. Which packages
those are is computed, not listed: the companion package's own dependencies (from the wheel's
metadata) and IPython (the grader translates ``%magic`` lines with it), closed over what each
installed package requires. ``requirements.txt`` also pins the book's build and test tools;
none of those is needed to grade, so none is shipped.

Both run on an instructor's checkout of the course, where ``requirements.txt`` is installed,
and need no network. From the command line, ::

    python -m companion.grade.distribution -o course-env/

writes both into ``course-env/`` (``requirements.txt`` and the wheel), to install on a
JupyterHub or any other machine that runs or grades the exercises::

    pip install -r course-env/requirements.txt && pip install --no-deps course-env/*.whl
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

__all__ = ["EXTRA_ROOTS", "build_wheel", "grading_requirements", "repository_root"]

#: Packages grading imports beyond the companion package's declared dependencies.
EXTRA_ROOTS = ("ipython",)

# What a wheel is built from: the package and the files pyproject.toml refers to.
_SOURCES = ("pyproject.toml", "README.md", "companion")


def repository_root() -> Path:
    """The checkout the companion package is imported from.

    Raises
    ------
    FileNotFoundError
        If the package is not imported from a checkout (no ``pyproject.toml`` and
        ``requirements.txt`` next to it), e.g. when it was installed from a wheel.
    """
    root = Path(__file__).resolve().parents[2]
    missing = [
        name for name in ("pyproject.toml", "requirements.txt") if not (root / name).is_file()
    ]
    if missing:
        raise FileNotFoundError(
            f"{root} has no {' or '.join(missing)}: build bundles from a checkout of the "
            "course's repository (with PYTHONPATH pointing at it or `pip install -e .`)"
        )
    return root


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def build_wheel(dest: Path, root: Path | None = None) -> Path:
    """Build a wheel of the companion package into ``dest``; return its path.

    The sources are copied to a temporary folder first, so the build leaves nothing behind
    in the checkout. Runs ``pip wheel`` offline, without build isolation: the build backend
    (setuptools) must be installed, as it is wherever ``requirements.txt`` is.
    """
    root = root or repository_root()
    try:
        backend = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        backend = None
    if backend is None or int(backend.split(".")[0]) < 77:
        raise RuntimeError(
            f"building the wheel needs setuptools 77 or newer in this environment (found "
            f"{backend or 'none'}); install requirements.txt, which pins it"
        )
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="course-wheel-") as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        for name in _SOURCES:
            if (root / name).is_dir():
                shutil.copytree(
                    root / name,
                    source / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
                )
            else:
                shutil.copy2(root / name, source / name)
        out = Path(scratch) / "wheel"
        # Wheels store file times; a fixed SOURCE_DATE_EPOCH makes the zip reproducible.
        env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800", "PIP_NO_INPUT": "1"}
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "--quiet", "--wheel-dir", str(out), str(source)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )  # fmt: skip
        wheels = sorted(out.glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(f"building the companion wheel failed:\n{result.stderr.strip()}")
        target = dest / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def _wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8")
    return [
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:")
    ]


def _for_extra(requirement) -> bool:
    """Whether a requirement applies only with an extra (``pytest; extra == "test"``)."""
    return requirement.marker is not None and "extra" in str(requirement.marker)


def grading_requirements(wheel: Path, root: Path | None = None) -> list[str]:
    """The lines of ``requirements.txt`` that pin a package grading needs, in file order.

    Starts from the wheel's own dependencies and :data:`EXTRA_ROOTS` and follows what each
    installed package requires (extras left out; requirements for other Python versions kept
    if ``requirements.txt`` pins them). A dependency that ``requirements.txt`` does not pin
    (one only another Python version needs) is left to pip.

    Raises
    ------
    ValueError
        If a package the companion package needs is not pinned in ``requirements.txt``.
    """
    from packaging.requirements import Requirement

    root = root or repository_root()
    pins: dict[str, str] = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pins[_normalise(Requirement(line).name)] = line
    roots = [r for r in map(Requirement, _wheel_requirements(wheel)) if not _for_extra(r)]
    unpinned = [str(r) for r in roots if _normalise(r.name) not in pins]
    if unpinned:
        raise ValueError(f"requirements.txt pins no version of {', '.join(unpinned)}")
    needed: set[str] = set()
    todo = [_normalise(r.name) for r in roots] + [_normalise(n) for n in EXTRA_ROOTS]
    while todo:
        name = todo.pop()
        if name in needed or name not in pins:
            continue
        needed.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if _for_extra(requirement):
                continue
            todo.append(_normalise(requirement.name))
    return [line for name, line in pins.items() if name in needed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m companion.grade.distribution",
        description="Write a wheel of the companion package and requirements.txt with the "
        "pins grading and the exercises need into OUTDIR.",
    )
    parser.add_argument("-o", "--outdir", required=True, type=Path, help="where to write")
    args = parser.parse_args(argv)
    wheel = build_wheel(args.outdir)
    pins = grading_requirements(wheel)
    (args.outdir / "requirements.txt").write_text("\n".join(pins) + "\n", encoding="utf-8")
    print(f"wrote {wheel} and {args.outdir / 'requirements.txt'} ({len(pins)} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
