"""A generic fuzz of a public API: a table of callables, each with strategies for its arguments.

Each hypothesis example picks one entry of a table, draws valid arguments for it, and then
(usually) replaces **one** argument by a bad value: NaN/inf arrays, integer, empty or 0-d
arrays, wrong shapes, None, strings, booleans, zero, negative or huge numbers, mismatched lists,
callables that return the wrong thing. The call must then either

- return a **finite** result (every number in it, walked through tuples, lists, dicts,
  dataclasses and named tuples, is finite), or
- raise a **ValueError or TypeError whose message names the argument** that was replaced;

anything else — another exception type, a message that does not name the argument, a silent
NaN or inf, a call that does not return within a few seconds — is a finding. A call with
nothing replaced must return a finite result.

The harness knows nothing about companion: a table is a list of :class:`Entry`, so another
module (e.g. ``companion.optim``) is added by writing its table. Run this file to print the
counts of every module's fuzz::

    PYTHONPATH=. .venv/bin/python tests/_fuzz.py
"""

from __future__ import annotations

import collections
import dataclasses
import numbers
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

#: What a call can come to. The first two are the good ones.
OUTCOMES = ("finite", "named_error", "unnamed_error", "other_exception", "non_finite", "hang")
GOOD = ("finite", "named_error")


# --- bad values, by kind of argument -----------------------------------------------------------


def _bad_arrays() -> SearchStrategy:
    return st.sampled_from(
        [
            np.array([1.0, np.nan]),
            np.array([np.inf, 1.0]),
            np.array([[1.0, -np.inf], [0.0, 1.0]]),
            np.array([1, 2, 3]),
            np.array([]),
            np.zeros((0, 2)),
            np.array(1.5),
            np.ones((2, 3, 4)),
            np.ones((7, 5)),
            np.array([1e308, -1e308]),
            np.array([1.0 + 2.0j]),
            np.array(["a", "b"]),
            np.array([True, False]),
            None,
            "array",
            True,
            [[1.0], [2.0, 3.0]],
            [None, 1.0],
        ]
    )


def _bad_numbers(huge: bool = True) -> SearchStrategy:
    values = [0, 0.0, -1.0, -1e-300, np.nan, np.inf, -np.inf, None, "0.1", True, [0.1], 1j]
    if huge:
        values += [1e308, 1e300]
    return st.sampled_from(values)


def _bad_ints() -> SearchStrategy:
    return st.sampled_from([0, -1, -(10**6), 2.5, np.nan, None, "3", True, [3], 1j])


def _bad_callables() -> SearchStrategy:
    return st.sampled_from(
        [
            None,
            1.0,
            "f",
            lambda *a, **k: None,
            lambda *a, **k: "text",
            lambda *a, **k: np.nan,
            lambda *a, **k: np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
            lambda *a, **k: 1.0,
        ]
    )


def _bad_strings() -> SearchStrategy:
    return st.sampled_from(["no such thing", "", None, 1, 2.5, True, ["relu"]])


def _bad_seeds() -> SearchStrategy:
    return st.sampled_from(["seed", -1, 1.5, [1.5], np.nan, object()])


def _bad_sequences() -> SearchStrategy:
    return st.sampled_from([None, [], "abc", [None], [1.0, "a"], 5, [[1, 2], [3]], {"a": 1}])


def _bad_objects() -> SearchStrategy:
    return st.sampled_from([None, "model", 3.0, object(), [1.0, 2.0], type])


#: Strategies of bad values by the kind of argument (an entry can give its own instead).
BAD = {
    "array": _bad_arrays,
    "number": _bad_numbers,
    "small_number": lambda: _bad_numbers(huge=False),
    "int": _bad_ints,
    "callable": _bad_callables,
    "str": _bad_strings,
    "seed": _bad_seeds,
    "sequence": _bad_sequences,
    "object": _bad_objects,
}


# --- the table --------------------------------------------------------------------------------


@dataclass
class Entry:
    """One callable of the API under fuzz.

    ``args`` maps each argument name to a strategy of valid values; ``bad`` maps the names of
    the arguments to corrupt to a kind of :data:`BAD` (or to a strategy of its own). ``call``
    says how to call with the drawn keyword arguments (default ``func(**kwargs)``): use it for
    methods, varargs, or to consume an iterator. ``non_finite_ok`` is for results where inf or
    NaN is documented (e.g. a diverged run's loss).
    """

    name: str
    func: Callable | None
    args: Mapping[str, SearchStrategy] = field(default_factory=dict)
    bad: Mapping[str, str | SearchStrategy] = field(default_factory=dict)
    call: Callable[[Callable, dict[str, Any]], Any] | None = None
    non_finite_ok: bool = False
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skip_fields: tuple[str, ...] = ()
    lookup: bool = False

    def invoke(self, kwargs: dict[str, Any]) -> Any:
        if self.call is not None:
            return self.call(self.func, kwargs)
        return self.func(**kwargs)


def consume(iterator_result: Any, limit: int = 1000) -> list:
    """The first ``limit`` items of an iterator (for functions that return generators)."""
    out = []
    for item in iterator_result:
        out.append(item)
        if len(out) >= limit:
            break
    return out


# --- judging a call --------------------------------------------------------------------------


def all_finite(value: Any, depth: int = 0, skip: tuple[str, ...] = ()) -> bool:
    """Whether every number inside ``value`` is finite (strings and objects are skipped, and
    dataclass fields named in ``skip``)."""
    if depth > 6:
        return True
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return True
    if isinstance(value, numbers.Number):
        return bool(np.isfinite(complex(value)))
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            return bool(np.all(np.isfinite(value)))
        if value.dtype == object:
            return all(all_finite(v, depth + 1) for v in value.ravel()[:100])
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(
            all_finite(getattr(value, f.name), depth + 1, skip)
            for f in dataclasses.fields(value)
            if f.name not in skip
        )
    if isinstance(value, Mapping):
        return all(all_finite(v, depth + 1) for v in list(value.values())[:100])
    if isinstance(value, (tuple, list)):
        return all(all_finite(v, depth + 1) for v in value[:100])
    for name in ("params", "data", "grad"):  # layers and Values
        if hasattr(value, name) and not callable(getattr(value, name)):
            return all_finite(getattr(value, name), depth + 1)
    return True


class _Hang(BaseException):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang


def judge(entry: Entry, kwargs: dict[str, Any], corrupted: str | None, seconds: float) -> tuple:
    """(outcome, detail) of one call."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with np.errstate(all="ignore"):
            result = entry.invoke(kwargs)
        if entry.non_finite_ok or all_finite(result, skip=entry.skip_fields):
            return "finite", ""
        return "non_finite", repr(result)[:200]
    except _Hang:
        return "hang", f"no answer within {seconds} s"
    except (ValueError, TypeError) as error:
        message = str(error)
        wanted = entry.names.get(corrupted, (corrupted,)) if corrupted else ()
        if corrupted is not None and any(name in message for name in wanted):
            return "named_error", message
        return "unnamed_error", f"{type(error).__name__}: {message[:200]}"
    except KeyError as error:
        if entry.lookup and corrupted is not None:
            return "named_error", str(error)
        return "other_exception", f"KeyError: {str(error)[:200]}"
    except Exception as error:  # noqa: BLE001 - any other exception is the finding
        return "other_exception", f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Report:
    """The counts of one fuzz run, and the findings (calls whose outcome is not good)."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    findings: list[tuple[str, str | None, str, str, str]] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(self.counts[o] for o in OUTCOMES)

    def add(self, entry: str, corrupted: str | None, value: str, outcome: str, detail: str):
        self.counts[outcome] += 1
        if outcome not in GOOD:
            self.findings.append((entry, corrupted, value, outcome, detail))

    def summary(self) -> str:
        parts = ", ".join(f"{o} {self.counts[o]}" for o in OUTCOMES)
        return f"{self.calls} calls: {parts}"

    def describe_findings(self, most: int = 15) -> str:
        seen, lines = set(), []
        for entry, corrupted, value, outcome, detail in self.findings:
            key = (entry, corrupted, outcome)
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"{entry}({corrupted}={value}): {outcome}: {detail}")
        return "\n".join(lines[:most]) + (
            f"\n... {len(lines) - most} more" if len(lines) > most else ""
        )


def fuzz(
    table: list[Entry], max_examples: int = 100, seconds: float = 15.0, clean_share: float = 0.2
) -> Report:
    """Run the table under hypothesis (deterministically) and return the counts; it never
    raises on a finding, so a test sees every finding at once."""
    report = Report()
    entries = [e for e in table if e.func is not None]

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_call(data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(entries), label="entry")
        kwargs = {name: data.draw(strategy, label=name) for name, strategy in entry.args.items()}
        corrupted = None
        if entry.bad and data.draw(st.floats(0, 1)) >= clean_share:
            corrupted = data.draw(st.sampled_from(sorted(entry.bad)), label="corrupt")
            kind = entry.bad[corrupted]
            strategy = BAD[kind]() if isinstance(kind, str) else kind
            kwargs[corrupted] = data.draw(strategy, label=f"bad {corrupted}")
        value = "" if corrupted is None else _short(kwargs[corrupted])
        outcome, detail = judge(entry, kwargs, corrupted, seconds)
        report.add(entry.name, corrupted, value, outcome, detail)

    one_call()
    return report


def _short(value: Any) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def every_module() -> Iterator[tuple[str, list[Entry], int]]:
    from tests.test_fuzz import TABLES  # the tables live with their test

    yield from ((name, make(), examples) for name, (make, examples) in TABLES.items())


if __name__ == "__main__":  # print the counts of every module's fuzz (or of those named)
    import sys
    import time

    wanted = set(sys.argv[1:])
    total = Report()
    for module, table, examples in every_module():
        if wanted and module not in wanted:
            continue
        start = time.perf_counter()
        report = fuzz(table, max_examples=examples)
        total.counts.update(report.counts)
        total.findings.extend(report.findings)
        print(f"{module:14s} {report.summary()}  ({time.perf_counter() - start:.1f} s)")
    print(f"{'all':14s} {total.summary()}")
    if wanted:
        print(total.describe_findings(most=200))
    else:
        kinds = collections.Counter((f[0], f[3]) for f in total.findings)
        for (entry, outcome), n in sorted(kinds.items()):
            print(f"  {entry}: {outcome} x{n}")
