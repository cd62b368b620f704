"""A notebook-level summary: check every item of the exercise at once.

The last cell of each exercise notebook is::

    summary(globals())

which checks every item of the notebook's exercise and shows, for example::

    3 of 4 items pass (8 of 10 points); start with item 1.2
      [PASS] 1.1 numerical_gradient: all 3 cases pass
      [FAIL] 1.2 relative_error: looks like the absolute error ...

Run it at any time: a function you have not written yet counts as failing. The points are
those the batch grader gives (it uses the same checks).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .core import Feedback

__all__ = ["Summary", "summary"]


@dataclass(frozen=True)
class Summary:
    """The feedback on every item of one exercise; shown as a short report."""

    exercise: int
    feedback: tuple[Feedback, ...]

    @property
    def passed(self) -> int:
        """How many items pass."""
        return sum(f.passed for f in self.feedback)

    @property
    def earned(self) -> float:
        """Points earned, as the grader counts them (partial credit per case)."""
        return sum(f.earned for f in self.feedback)

    @property
    def points(self) -> int:
        """Points available."""
        return sum(f.points for f in self.feedback)

    @property
    def headline(self) -> str:
        """One line: "3 of 4 items pass (8 of 10 points); start with item 1.2". What to fix
        is on the item's own line below it, so each message is shown once."""
        text = (
            f"{self.passed} of {len(self.feedback)} items pass "
            f"({self.earned:.3g} of {self.points} points)"
        )
        failing = [f for f in self.feedback if not f.passed]
        if failing:
            text += f"; start with item {failing[0].item}"
        return text

    def __str__(self) -> str:
        return "\n".join([self.headline, *(f"  {f}" for f in self.feedback)])

    __repr__ = __str__


def _items_by_exercise() -> dict[int, list]:
    from . import ITEMS

    grouped: dict[int, list] = {}
    for item in sorted(ITEMS.values(), key=lambda i: tuple(int(p) for p in i.id.split("."))):
        grouped.setdefault(int(item.id.split(".")[0]), []).append(item)
    return grouped


def summary(namespace: Mapping[str, Any] | None = None, exercise: int | None = None) -> Summary:
    """Check every item of an exercise with the functions defined in ``namespace``.

    Parameters
    ----------
    namespace : mapping, optional
        Where your functions are: pass ``globals()`` in a notebook. By default, the globals
        of the code that calls ``summary``.
    exercise : int, optional
        The exercise to check. By default, the one whose item functions ``namespace``
        defines most of (a notebook defines its own exercise's functions).

    Returns
    -------
    Summary
        Shown as "3 of 4 items pass (8 of 10 points); start with item 1.2" and one line
        per item, with what to fix.

    Raises
    ------
    LookupError
        If no exercise's functions are defined and ``exercise`` is not given.

    Examples
    --------
    >>> def convergence_order(hs, errors):
    ...     import numpy as np
    ...     return np.polyfit(np.log(hs), np.log(errors), 1)[0]
    >>> report = summary({"convergence_order": convergence_order})
    >>> report.passed, len(report.feedback)
    (1, 5)
    >>> print(report)  # doctest: +ELLIPSIS
    1 of 5 items pass (2 of 12 points); start with item 1.1
      [FAIL] 1.1 numerical_gradient: `numerical_gradient` is not defined yet: run the cell ...
      [FAIL] 1.2 relative_error: `relative_error` is not defined yet: run the cell ...
      [PASS] 1.3 convergence_order: all 3 cases pass
      [FAIL] 1.4 directional_derivative: `directional_derivative` is not defined yet: ...
      [FAIL] 1.5 best_h: `best_h` is not defined yet: run the cell that defines it
    """
    from . import check

    if namespace is None:
        caller = inspect.currentframe()
        namespace = caller.f_back.f_globals if caller and caller.f_back else {}
    grouped = _items_by_exercise()
    if exercise is None:
        defined = {
            number: sum(callable(namespace.get(item.function)) for item in items)
            for number, items in grouped.items()
        }
        best = max(defined.values(), default=0)
        if best == 0:
            raise LookupError(
                "none of the exercises' functions is defined here: run the cells that define "
                "them first, or pass exercise=N"
            )
        exercise = min(n for n, count in defined.items() if count == best)
    if exercise not in grouped:
        raise LookupError(f"there is no exercise {exercise}; there are {sorted(grouped)}")
    feedback = []
    for item in grouped[exercise]:
        function = namespace.get(item.function)
        if function is None:
            feedback.append(
                Feedback(
                    item=item.id,
                    function=item.function,
                    passed=False,
                    score=0.0,
                    points=item.points,
                    message=f"`{item.function}` is not defined yet: run the cell that defines it",
                )
            )
        else:
            feedback.append(check(item.id, function))
    return Summary(exercise, tuple(feedback))
