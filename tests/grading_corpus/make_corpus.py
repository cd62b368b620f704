"""Build the sample submissions the grader's tests grade (run once; the output is committed).

    .venv/bin/python tests/grading_corpus/make_corpus.py

Each submission starts from an exercise notebook — the instructor's source with its solution
markers removed (a learner who solved everything) or the learner version (stubs) — and then
changes what a real or a hostile learner would change. ``expected.csv`` holds the gradebook
the grader must reproduce exactly; regenerate it only after checking every row by hand:

    .venv/bin/python -m companion.grade tests/grading_corpus/submissions -o /tmp/out \\
        --cell-timeout 1.5 --call-timeout 1.5 --timeout 60
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "submissions"
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def solved(name: str) -> nbformat.NotebookNode:
    """The source notebook as a learner who solved every item would hand it in."""
    notebook = nbformat.read(ROOT / "exercises" / "source" / name, as_version=4)
    for cell in notebook.cells:
        cell.source = MARKERS.sub("", cell.source + "\n").rstrip("\n")
    return notebook


def stubs(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "exercises" / name, as_version=4)


def defining_cell(notebook: nbformat.NotebookNode, function: str) -> int:
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and cell.source.lstrip().startswith(f"def {function}("):
            return index
    raise LookupError(function)


def replace(notebook, function: str, code: str):
    notebook = copy.deepcopy(notebook)
    notebook.cells[defining_cell(notebook, function)].source = code.strip("\n")
    return notebook


def insert_after(notebook, function: str, code: str):
    notebook = copy.deepcopy(notebook)
    cell = nbformat.v4.new_code_cell(code.strip("\n"))
    cell.id = f"inserted-{len(notebook.cells)}"
    notebook.cells.insert(defining_cell(notebook, function) + 1, cell)
    return notebook


def write(notebook, relative: str) -> None:
    path = OUT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


EX1 = "01_gradients.ipynb"

FORWARD = '''
def numerical_gradient(f, x, h=1e-5):
    """Forward differences: a classic mistake."""
    x = x.copy()
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad
'''

UNNORMALISED = '''
def directional_derivative(f, x, v, h=1e-5):
    """Forgets to normalise v: right only when v is already a unit vector."""
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
'''

IN_PLACE = '''
def numerical_gradient(f, x, h=1e-5):
    """Perturbs x in place and never puts it back."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''


def build() -> None:
    good = solved(EX1)
    write(good, "alice/01_gradients.ipynb")  # everything right
    write(  # partly right: 1.1 a forward difference, 1.4 right only on the unit-vector case
        replace(
            replace(good, "numerical_gradient", FORWARD), "directional_derivative", UNNORMALISED
        ),
        "bob/01_gradients.ipynb",
    )
    write(stubs(EX1), "carol_01_gradients.ipynb")  # handed in untouched
    write(  # a syntax error in one cell: only that item is lost
        replace(
            good,
            "relative_error",
            "def relative_error(a, b)\n    return np.max(np.abs(a - b))",
        ),
        "dave_01_gradients.ipynb",
    )
    write(  # an infinite loop in an experiment cell: the cell is skipped
        insert_after(good, "numerical_gradient", "while True:\n    pass"),
        "erin_01_gradients.ipynb",
    )
    write(  # an infinite loop in the function under test
        replace(
            good,
            "convergence_order",
            "def convergence_order(hs, errors):\n    while True:\n        pass",
        ),
        "frank_01_gradients.ipynb",
    )
    text = nbformat.writes(good)
    (OUT / "grace_01_gradients.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")
    deleted = copy.deepcopy(good)  # the function's cell (and its check) deleted
    index = defining_cell(deleted, "directional_derivative")
    del deleted.cells[index : index + 2]
    write(deleted, "heidi_01_gradients.ipynb")
    write(  # enormous output: 100 MB from a cell, 20 MB from each call of a function
        insert_after(
            replace(
                good,
                "relative_error",
                "def relative_error(a, b):\n"
                "    print('x' * 20_000_000)\n"
                "    tiny = np.finfo(np.float64).tiny\n"
                "    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), "
                "tiny)))",
            ),
            "numerical_gradient",
            "print('spam ' * 20_000_000)",
        ),
        "ivan_01_gradients.ipynb",
    )
    write(  # the process dies: a segfault in a function, os._exit in a cell
        insert_after(
            replace(
                good,
                "numerical_gradient",
                "def numerical_gradient(f, x, h=1e-5):\n    import ctypes\n"
                "    return ctypes.string_at(0)",
            ),
            "relative_error",
            "import os\nos._exit(0)",
        ),
        "judy_01_gradients.ipynb",
    )
    cheat = insert_after(
        stubs(EX1),
        "numerical_gradient",
        "# make every comparison succeed, then return anything\n"
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool)\n"
        "np.array_equal = lambda *args, **kwargs: True",
    )
    for function, args in (
        ("numerical_gradient", "f, x, h=1e-5"),
        ("relative_error", "a, b"),
        ("convergence_order", "hs, errors"),
        ("directional_derivative", "f, x, v, h=1e-5"),
    ):
        cheat = replace(cheat, function, f"def {function}({args}):\n    return 42.0")
    write(cheat, "mallory_01_gradients.ipynb")
    write(  # reads the expected value from the checker's stack frame
        replace(
            stubs(EX1),
            "numerical_gradient",
            "import sys\n\n"
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    frame = sys._getframe(1)\n"
            "    while frame is not None:\n"
            "        item = frame.f_locals.get('item')\n"
            "        if hasattr(item, 'reference'):\n"
            "            return item.reference(f, x, h)\n"
            "        frame = frame.f_back\n"
            "    return None",
        ),
        "niaj_01_gradients.ipynb",
    )
    own_check = insert_after(
        stubs(EX1),
        "numerical_gradient",
        "def check(item, function):\n    print(f'[PASS] {item}: all cases pass')\n\n"
        "def summary(namespace):\n    print('4 of 4 items pass')",
    )
    write(  # its own check, and wrong functions
        replace(own_check, "relative_error", "def relative_error(a, b):\n    return 0.5"),
        "oscar_01_gradients.ipynb",
    )
    write(  # junk written to every file descriptor the protocol might use; a failing cell
        insert_after(
            insert_after(
                good,
                "convergence_order",
                "import os\nfor fd in range(3, 64):\n    try:\n"
                "        os.write(fd, b'\\x00\\x00\\x00\\x05junk!')\n"
                "    except OSError:\n        pass",
            ),
            "numerical_gradient",
            "raise RuntimeError('a cell that fails')",
        ),
        "peggy_01_gradients.ipynb",
    )
    write(  # sys.exit() in a cell ends that cell only, as in Jupyter
        insert_after(good, "numerical_gradient", "import sys\nsys.exit('bye')"),
        "quentin_01_gradients.ipynb",
    )
    write(  # starts processes that leave the process group; the grader must end them
        insert_after(
            good,
            "numerical_gradient",
            "import os, time\npids = []\nfor _ in range(3):\n    pid = os.fork()\n"
            "    if pid == 0:\n        os.setsid()\n        time.sleep(600)\n        os._exit(0)\n"
            "    pids.append(pid)\nprint('forked', pids)",
        ),
        "rupert_01_gradients.ipynb",
    )
    write(  # asks for 3.2 GB inside a function: the memory cap makes it a MemoryError
        replace(
            good,
            "relative_error",
            "def relative_error(a, b):\n    workspace = np.ones(400_000_000)\n"
            "    return float(np.max(np.abs(a - b)) + 0 * workspace[0])",
        ),
        "sybil_01_gradients.ipynb",
    )
    write(replace(good, "numerical_gradient", IN_PLACE), "walter_01_gradients.ipynb")
    write(solved("02_gradient_descent.ipynb"), "trent/homework.ipynb")  # renamed: metadata
    ex3 = solved("03_backpropagation.ipynb")
    ex3 = replace(
        ex3, "linear_grad_W", "def linear_grad_W(x, grad_out):\n    return grad_out.T @ x"
    )
    ex3 = replace(ex3, "linear_grad_b", "def linear_grad_b(grad_out):\n    return grad_out.mean(0)")
    write(ex3, "victor/03_backpropagation.ipynb")
    rebound = replace(  # the course's own functions re-bound, directly and through a lambda
        stubs(EX1),
        "numerical_gradient",
        "import companion.gradients\n\nnumerical_gradient = companion.gradients.numerical_gradient",
    )
    rebound = replace(
        rebound,
        "relative_error",
        "from companion import gradients\n\n"
        "relative_error = lambda a, b: gradients.relative_error(a, b)  # noqa: E731",
    )
    write(rebound, "yvonne_01_gradients.ipynb")
    notes = nbformat.v4.new_notebook()
    notes.cells = [nbformat.v4.new_markdown_cell("My notes"), nbformat.v4.new_code_cell("x = 1")]
    notes.cells[0].id, notes.cells[1].id = "notes", "code"
    write(notes, "notes.ipynb")


if __name__ == "__main__":
    build()
    print(f"wrote {len(list(OUT.rglob('*.ipynb')))} notebooks in {OUT}")
