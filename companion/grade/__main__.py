"""``python -m companion.grade PATH... -o OUTDIR`` (also installed as ``course-grade``).

Exit status: 0 when every input was read and graded (whatever the scores), 1 when an input
could not be read or a submission could not be graded at all, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import Limits, collect, grade
from .gradebook import summary_table, write_outputs
from .sandbox import limits_from_options


def _parser() -> argparse.ArgumentParser:
    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="python -m companion.grade",
        description="Grade submitted exercise notebooks into OUTDIR/gradebook.csv and one "
        "JSON report per submission in OUTDIR/reports/.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a notebook, a folder or a zip")
    parser.add_argument("-o", "--outdir", required=True, type=Path, help="where to write")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help=f"submissions graded at once (default: one per CPU core, here {os.cpu_count()})",
    )
    parser.add_argument(
        "--exercise",
        type=int,
        default=None,
        help="grade every notebook as this exercise (default: recognise it by file name)",
    )
    limits = parser.add_argument_group("limits per submission")
    limits.add_argument(
        "--cell-timeout",
        type=float,
        default=defaults.cell_timeout,
        help="seconds per code cell (default %(default)g)",
    )
    limits.add_argument(
        "--call-timeout",
        type=float,
        default=defaults.call_timeout,
        help="seconds per call of a learner's function (default %(default)g)",
    )
    limits.add_argument(
        "--timeout",
        type=float,
        default=defaults.notebook_timeout,
        help="seconds per notebook in all (default %(default)g)",
    )
    limits.add_argument(
        "--memory",
        type=int,
        default=defaults.memory_mb,
        help="address-space cap in MB (default %(default)d)",
    )
    limits.add_argument(
        "--max-output",
        type=float,
        default=defaults.max_output_mb,
        help="MB a submission may print per process (default %(default)g)",
    )
    limits.add_argument(
        "--max-notebook",
        type=float,
        default=defaults.max_notebook_mb,
        help="largest notebook file read, in MB (default %(default)g)",
    )
    limits.add_argument(
        "--user", default=None, help="run submissions as this user (the grader must run as root)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print no table")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    limits = limits_from_options(parser, args)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.user is not None and os.geteuid() != 0:
        parser.error("--user needs the grader to run as root")
    submissions, problems = collect(args.paths, int(limits.max_notebook_mb * 2**20))
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not submissions:
        print("error: no notebooks found in the given paths", file=sys.stderr)
        return 2
    jobs = args.jobs or os.cpu_count() or 1
    started = time.perf_counter()
    reports = grade(submissions, limits, jobs, args.exercise)
    seconds = time.perf_counter() - started
    gradebook = write_outputs(reports, args.outdir)
    if not args.quiet:
        print(summary_table(reports))
        print()
    flagged = [r["submission"] for r in reports if r["flags"]]
    failed = [r["submission"] for r in reports if r["status"] == "grader-error"]
    print(
        f"graded {len(reports)} submission(s) in {seconds:.1f} s with {min(jobs, len(reports))} "
        f"worker(s); wrote {gradebook} and {len(reports)} report(s) in "
        f"{args.outdir / 'reports'}"
    )
    for name in flagged:
        print(f"flagged for review (see its report): {name}")
    for name in failed:
        print(f"could not be graded (see its report): {name}", file=sys.stderr)
    return 1 if problems or failed else 0


if __name__ == "__main__":
    sys.exit(main())
