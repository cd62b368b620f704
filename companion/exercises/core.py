"""How an exercise item is checked: run the learner's function on cases, then judge.

An :class:`Item` is one function a learner writes. Checking it has two halves, kept apart
on purpose so that a batch grader can run them in different processes:

1. :func:`observe` calls the learner's function on each :class:`Case` and records what
   happened in an :class:`Observation` (the returned value, an exception, which array
   arguments were changed). This is the only half that runs learner code.
2. :func:`judge` compares those observations with the reference answers and with the answers
   that *known mistakes* would give, and writes :class:`Feedback` that names the mistake
   ("looks like a forward difference") instead of just saying "wrong".

In a notebook, :func:`companion.exercises.check` does both, in the learner's own kernel.
"""

from __future__ import annotations

import copy
import importlib
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "Feedback",
    "Item",
    "Mistake",
    "Observation",
    "judge",
    "observe",
    "reference_codes",
    "watched_call",
]


#: The kinds of item, in the order the exercise tables list them.
KINDS = ("implement", "predict", "derive", "debug", "experiment")


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: positional ``args`` and a label for messages."""

    label: str
    args: tuple


@dataclass(frozen=True)
class Mistake:
    """A known wrong implementation: what it returns for a case's args, and what to say."""

    message: str
    answer: Callable[..., Any]


@dataclass(frozen=True)
class Item:
    """One exercise item: a function to write, its cases, its answer and its known mistakes.

    Attributes
    ----------
    id : str
        "1.1", "1.2", ... — what the learner passes to ``check``.
    function : str
        The name of the function the learner defines (a grader looks it up by this name).
    points : int
        What the item is worth.
    arg_names : tuple of str
        The function's parameters, to name an argument the function changed.
    cases : callable
        Returns a fresh list of :class:`Case` (fresh arrays, so no case leaks into another).
    reference : callable
        The correct answer for a case's args.
    mistakes : tuple of Mistake
        Checked in order when an answer is wrong.
    rtol, atol : float
        Tolerances of the comparison with ``numpy.isclose``.
    hints : dict
        Extra advice for generic failures: keys "shape", "nonfinite", "mutated".
    kind : str
        What the item asks of the learner: "implement" a function, "predict" a result
        before running it, "derive" a quantity the chapter did not print, "debug" a broken
        implementation, or "experiment" (run a small study with the companion package).
    references : tuple of str
        The course's own implementations of what the item asks for, as dotted names
        ("companion.gradients.numerical_gradient", or a class, meaning its methods). A
        function that calls one of them while it is checked earns nothing for the item, and
        the grader flags it: see ``watched_call``.
    """

    id: str
    function: str
    points: int
    arg_names: tuple[str, ...]
    cases: Callable[[], list[Case]]
    reference: Callable[..., Any]
    mistakes: tuple[Mistake, ...] = ()
    rtol: float = 1e-6
    atol: float = 1e-9
    hints: dict[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    kind: str = "implement"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}")


@dataclass(frozen=True)
class Observation:
    """What one call of the learner's function did; ``delegated`` names the course's
    reference implementations it called (see ``watched_call``)."""

    returned: Any = None
    error_type: str | None = None
    error: str | None = None
    mutated: tuple[str, ...] = ()
    delegated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feedback:
    """The verdict on one item: pass/fail, the fraction of cases right, and what to fix."""

    item: str
    function: str
    passed: bool
    score: float
    points: int
    message: str
    case_messages: tuple[str, ...] = ()
    flag: str | None = None

    @property
    def earned(self) -> float:
        """Points earned: ``score * points``."""
        return self.score * self.points

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        return f"[{mark}] {self.item} {self.function}: {self.message}"

    __repr__ = __str__


#: What ``watched_call`` reports when the function switched the watch off.
UNWATCHED = "<the profiler was replaced>"


def reference_codes(names: Sequence[str]) -> dict[Any, str]:
    """The code objects of the reference implementations ``names`` (dotted paths to a
    function or a class, whose own methods count), each mapped to its name. A name that does
    not resolve (the package was reorganised) is skipped."""
    codes: dict[Any, str] = {}
    for name in names:
        target: Any = None
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module prefix
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                target = getattr(target, attribute, None)
            break
        functions = (
            [v for v in vars(target).values() if callable(v)]
            if isinstance(target, type)
            else [target]
        )
        for function in functions:
            code = getattr(getattr(function, "__func__", function), "__code__", None)
            if code is not None:
                codes[code] = name
    return codes


def watched_call(function: Callable, args: Sequence, references: Sequence[str]) -> tuple:
    """Call ``function(*args)`` and note which of the ``references`` ran during the call.

    Returns ``(returned, error, used)``: the value (or None), the exception (or None) and the
    sorted names of the reference implementations whose code ran, in this thread or in a
    thread started during the call. It sees through aliases, wrappers, lambdas,
    ``functools.partial`` and methods, because it watches the code that runs, not the names.
    It cannot see a copy of the reference's source text, code run in another process, or a
    function that switches the profiler off and back on (switching it off is reported as
    :data:`UNWATCHED`).
    """
    codes = reference_codes(references) if references else {}
    if not codes:
        try:
            return function(*args), None, ()
        except Exception as error:
            return None, error, ()
    used: set[str] = set()

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            name = codes.get(frame.f_code)
            if name is not None:
                used.add(name)

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(hook)
    threading.setprofile(hook)
    returned = error = None
    try:
        returned = function(*args)
    except Exception as exc:  # the learner's exception is data here, not a crash
        error = exc
    finally:
        if sys.getprofile() is not hook:
            used.add(UNWATCHED)
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    return returned, error, tuple(sorted(used))


def observe(
    function: Callable, case: Case, arg_names: Sequence[str], references: Sequence[str] = ()
) -> Observation:
    """Call ``function(*case.args)`` on private copies of the args and record what happened,
    including which of the ``references`` it called."""
    args = copy.deepcopy(case.args)
    before = copy.deepcopy(args)
    returned, error, used = watched_call(function, args, references)
    if error is not None:
        return Observation(error_type=type(error).__name__, error=str(error), delegated=used)
    mutated = tuple(
        name
        for name, old, new in zip(arg_names, before, args, strict=False)
        if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True)
    )
    return Observation(returned=returned, mutated=mutated, delegated=used)


def delegation_message(item: Item, names: Sequence[str]) -> str:
    """What to say about a function that called the course's own implementation."""
    if list(names) == [UNWATCHED]:
        return (
            f"switched off the profiler the grader uses to check that `{item.function}` does "
            "not call the course's own implementation: no points, flagged for review"
        )
    shown = ", ".join(f"`{n}`" for n in names if n != UNWATCHED)
    return (
        f"calls the course's own {shown} instead of computing the answer itself: "
        "no points for this item, and it is flagged for the instructor"
    )


def _as_array(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def _describe_difference(got: np.ndarray, expected: np.ndarray) -> str:
    if expected.shape == ():
        return f"expected {float(expected):.6g}, got {float(got):.6g}"
    error = np.abs(got - expected)
    worst = np.unravel_index(int(np.argmax(error)), expected.shape)
    return (
        f"at index {tuple(int(i) for i in worst)} expected {expected[worst]:.6g}, "
        f"got {got[worst]:.6g}"
    )


def _diagnose(item: Item, case: Case, seen: Observation) -> tuple[str | None, list[str]]:
    """What went wrong on one case: ``(None, [])`` if it passes; else a message, and the
    messages of the known mistakes whose answer the learner's value matches."""
    if seen.error_type == "NotImplementedError":
        return "not implemented yet: replace `raise NotImplementedError()` with your code", []
    if seen.error_type is not None:
        return f"raised {seen.error_type}: {seen.error} (on {case.label})", []
    if seen.returned is None:
        return f"returned None on {case.label}: did you forget the `return` statement?", []
    got = _as_array(seen.returned)
    if got is None:
        return f"returned a {type(seen.returned).__name__}, not numbers (on {case.label})", []
    with np.errstate(all="ignore"):
        expected = np.asarray(item.reference(*copy.deepcopy(case.args)), dtype=np.float64)
    if got.shape != expected.shape:
        wanted = "a single number" if expected.shape == () else f"shape {expected.shape}"
        hint = item.hints.get("shape", "")
        return f"returned shape {got.shape} on {case.label}, expected {wanted}. {hint}".strip(), []
    if not np.all(np.isfinite(got)):
        hint = item.hints.get("nonfinite", "")
        return f"returned nan or inf on {case.label}. {hint}".strip(), []
    if seen.mutated:
        names = ", ".join(f"`{name}`" for name in seen.mutated)
        hint = item.hints.get("mutated", "work on a copy")
        return f"changed its argument {names} on {case.label}: {hint}", []
    if np.allclose(got, expected, rtol=item.rtol, atol=item.atol):
        return None, []
    matches = []
    for mistake in item.mistakes:
        with np.errstate(all="ignore"):
            wrong = np.asarray(mistake.answer(*copy.deepcopy(case.args)), dtype=np.float64)
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=item.rtol, atol=item.atol):
            matches.append(mistake.message)
    return f"wrong value on {case.label}: {_describe_difference(got, expected)}", matches


def _trivial(value: np.ndarray, args: tuple, depth: int = 1) -> bool:
    """True if ``value`` needs no computation from ``args``: all 0, all ±1, one argument
    unchanged, or (for a tuple of results) rows that are each trivial."""
    if value.size and (np.all(value == 0) or np.all(value == 1) or np.all(value == -1)):
        return True
    for arg in args:
        candidate = _as_array(arg) if isinstance(arg, (np.ndarray, int, float, list)) else None
        if (
            candidate is not None
            and candidate.shape == value.shape
            and np.allclose(value, candidate, rtol=1e-12, atol=0.0, equal_nan=False)
        ):
            return True
    if depth and value.ndim >= 1 and 2 <= value.shape[0] <= 4:
        return all(_trivial(row, args, depth - 1) for row in value)
    return False


def _guard(
    item: Item, cases: Sequence[Case], observations: Sequence[Observation], passed: list[bool]
) -> str | None:
    """Why the passing cases prove nothing, or None: a case earns points only if the function
    computes. Constants, an echoed argument and a lookup of one example earn nothing."""
    if not any(passed):
        return None
    returned = [a for seen in observations if (a := _numbers(seen)) is not None]
    expected = [_expected(item, case) for case in cases]
    if len(returned) == 1 and len(cases) > 1:
        return (
            "returned a value on one case only, so nothing shows that it computes the "
            "answer: fix the other cases first"
        )
    first = returned[0]
    same = all(
        r.shape == first.shape and np.allclose(r, first, rtol=1e-12, atol=0.0) for r in returned
    )
    answers_differ = not all(
        e.shape == expected[0].shape and np.allclose(e, expected[0]) for e in expected
    )
    if same and answers_differ:
        return (
            "returns the same value whatever its arguments: the answer has to be computed "
            "from them, so a constant earns nothing"
        )
    if not any(
        ok and not _trivial(answer, case.args)
        for ok, answer, case in zip(passed, expected, cases, strict=True)
    ):
        return (
            "passes only the cases whose answer is 0, 1 or one of its arguments unchanged: "
            "those earn points only together with a case that needs computing"
        )
    return None


def _numbers(seen: Observation) -> np.ndarray | None:
    if seen.error_type is not None or seen.returned is None:
        return None
    return _as_array(seen.returned)


def _expected(item: Item, case: Case) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(item.reference(*copy.deepcopy(case.args)), dtype=np.float64)


def judge(item: Item, cases: Sequence[Case], observations: Sequence[Observation]) -> Feedback:
    """Turn observations into feedback. Runs only trusted code: safe in a grader's process."""
    diagnoses = [
        _diagnose(item, case, seen) for case, seen in zip(cases, observations, strict=True)
    ]
    messages = [message for message, _ in diagnoses]
    delegated = sorted({name for seen in observations for name in seen.delegated})
    if delegated:
        flag = delegation_message(item, delegated)
        return Feedback(
            item=item.id,
            function=item.function,
            passed=False,
            score=0.0,
            points=item.points,
            message=flag,
            case_messages=tuple(flag for _ in messages),
            flag=flag,
        )
    failures = [m for m in messages if m is not None]
    score = (len(messages) - len(failures)) / len(messages)
    # A passing case counts only if the function computes: see _guard.
    guard = _guard(item, cases, observations, [m is None for m in messages])
    if guard is not None:
        score = 0.0
    # The known mistake that explains the most failing cases names the problem; two mistakes
    # can agree on one case by coincidence, rarely on all of them.
    votes = Counter(m for _, matches in diagnoses for m in matches)
    ranked = sorted(votes, key=lambda m: (-votes[m], [x.message for x in item.mistakes].index(m)))
    if not failures:
        message = f"all {len(messages)} cases pass"
    else:
        if ranked:
            where = next(
                case.label
                for case, (_, matches) in zip(cases, diagnoses, strict=True)
                if ranked[0] in matches
            )
            message = f"{ranked[0]} (on {where})"
        else:
            message = failures[0]
        if len(failures) > 1 and not message.startswith("not implemented"):
            message += f" [{len(failures)} of {len(messages)} cases fail]"
        if guard is not None:  # what to fix stays first
            message += f"; no points: it {guard}"
    return Feedback(
        item=item.id,
        function=item.function,
        passed=not failures,
        score=score,
        points=item.points,
        message=message,
        case_messages=tuple(m or ("pass, but " + guard if guard else "pass") for m in messages),
    )
