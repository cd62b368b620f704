"""Submissions that do not compute: constants, echoed arguments, the reference re-bound.

Used by the exercise tests (every item must score 0 against each of them) and by
``python tests/_adversaries.py`` (a table of what each earns, for the record).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import itertools

import numpy as np

from companion.exercises import ITEMS, check


def _value(result):
    try:
        return np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def constants(item):
    """Functions returning one fixed value whatever their arguments: 0, 1, and the correct
    answer of each case in turn (the value of a visible example, say)."""
    fixed = [0.0, 1.0]
    for case in item.cases():
        value = _value(item.reference(*copy.deepcopy(case.args)))
        if value is not None:
            fixed.append(value)
            fixed.append(np.zeros_like(value))
    out = []
    for value in fixed:
        out.append(lambda *args, value=value: copy.deepcopy(value))
    return out


def echoes(item):
    """Functions returning one argument, or a tuple of arguments, unchanged."""
    n = len(item.arg_names)
    out = [lambda *args, i=i: copy.deepcopy(args[i]) for i in range(n)]
    for i, j in itertools.product(range(n), repeat=2):
        out.append(lambda *args, i=i, j=j: (copy.deepcopy(args[i]), copy.deepcopy(args[j])))
    return out


def best_score(item, functions):
    return max(check(item.id, function).score for function in functions)


@contextlib.contextmanager
def unwatched(*item_ids):
    """Check items without watching for the course's own implementation (for tests that show
    the companion's functions agree with the checks, or build mistakes from them)."""
    saved = {i: ITEMS[i] for i in item_ids}
    for i in item_ids:
        ITEMS[i] = dataclasses.replace(ITEMS[i], references=())
    try:
        yield
    finally:
        ITEMS.update(saved)


if __name__ == "__main__":
    for item in ITEMS.values():
        c, e = best_score(item, constants(item)), best_score(item, echoes(item))
        print(
            f"{item.id:5} {item.function:32} constant {c * item.points:5.2f}/{item.points}"
            f"  echo {e * item.points:5.2f}/{item.points}"
        )
