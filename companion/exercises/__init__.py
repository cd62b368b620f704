"""Exercise checks: instant, specific feedback on each item of the exercise notebooks.

In an exercise notebook::

    from companion.exercises import check
    check("1.1", numerical_gradient)

runs your function on several inputs and says what is wrong, e.g. "looks like a forward
difference", rather than just "wrong". Each exercise's items live in one module
(``companion.exercises.ex01``, ...); a batch grader reuses the same items.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from .core import Case, Feedback, Item, Mistake, Observation, judge, observe
from .summary import summary as summary  # summary(globals()): every item at once

__all__ = [
    "ITEMS",
    "Case",
    "Feedback",
    "Item",
    "Mistake",
    "Observation",
    "check",
    "judge",
    "observe",
]


def _discover_items() -> dict[str, Item]:
    """Collect ``ITEMS`` from every module ``exNN`` of this package, in order."""
    items: dict[str, Item] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("ex") and info.name[2:].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            for item in module.ITEMS:
                if item.id in items:
                    raise RuntimeError(f"exercise item {item.id} is defined twice")
                items[item.id] = item
    return items


#: Every item of every exercise, by id ("1.1", ...): each ``exNN`` module's ``ITEMS``.
ITEMS: dict[str, Item] = _discover_items()


def check(item_id: str, function: Callable) -> Feedback:
    """Check your function for exercise item ``item_id`` and say what, if anything, is wrong.

    Parameters
    ----------
    item_id : str
        The item's number, e.g. ``"1.1"``.
    function : callable
        Your function itself (``numerical_gradient``, not ``numerical_gradient(...)``).

    Returns
    -------
    Feedback
        Shown in the notebook as ``[PASS] ...`` or ``[FAIL] ...: what to fix``; its ``passed``
        and ``score`` attributes say the same for code.

    Raises
    ------
    KeyError
        If there is no item ``item_id``.
    """
    if item_id not in ITEMS:
        raise KeyError(f"no exercise item {item_id!r}; the items are {', '.join(sorted(ITEMS))}")
    item = ITEMS[item_id]
    if not callable(function):
        return Feedback(
            item=item.id,
            function=item.function,
            passed=False,
            score=0.0,
            points=item.points,
            message=f"pass the function itself, e.g. check({item.id!r}, {item.function}), "
            f"not {type(function).__name__} (the result of calling it)",
        )
    cases = item.cases()
    observations = [observe(function, case, item.arg_names, item.references) for case in cases]
    return judge(item, cases, observations)
