"""Benchmark (not a test): how many exercise-1 submissions the batch grader grades per second.

Run from the repository root::

    .venv/bin/python benchmarks/grade_throughput.py            # 48 submissions
    .venv/bin/python benchmarks/grade_throughput.py --n 200

The submissions are copies of three sample notebooks from the grader's test corpus — all
right, partly right, untouched stubs — so every item is judged, with and without its known
mistakes. It measures

1. **process start-up** alone: start the sandboxed interpreter (import NumPy and the
   companion package, with the resource limits) until its driver says hello, then kill it;
2. **throughput**: grade the whole batch with one worker and with one worker per core, and
   report submissions per second per core (wall-clock, gradebook writing included) and,
   from the reports, the median time per submission and the part of it that is start-up.

The target is at least 1 submission per second per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from companion.grade import Limits, collect, grade
from companion.grade.gradebook import write_outputs
from companion.grade.sandbox import Child

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [
    ROOT / "tests" / "grading_corpus" / "submissions" / name
    for name in ("alice/01_gradients.ipynb", "bob/01_gradients.ipynb", "carol_01_gradients.ipynb")
]


def startup_seconds(repeats: int = 20) -> list[float]:
    """Wall-clock seconds from starting a sandboxed process to its driver's greeting."""
    times = []
    for _ in range(repeats):
        child = Child(Limits())
        try:
            times.append(child.wait_ready(time.perf_counter() + 60))
        finally:
            child.kill()
    return times


def make_batch(folder: Path, n: int) -> None:
    for i in range(n):
        sample = SAMPLES[i % len(SAMPLES)]
        (folder / f"student{i:04d}_01_gradients.ipynb").write_bytes(sample.read_bytes())


def throughput(folder: Path, jobs: int) -> dict:
    submissions, _ = collect([folder], 2**24)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        reports = grade(submissions, Limits(), jobs=jobs)
        write_outputs(reports, Path(out))
        seconds = time.perf_counter() - started
    assert all(r["status"] == "graded" for r in reports)
    per_submission = [r["timing"]["total_s"] for r in reports]
    startup = [r["timing"]["startup_s"] for r in reports]
    return {
        "jobs": jobs,
        "submissions": len(reports),
        "seconds": seconds,
        "per_second_per_core": len(reports) / seconds / jobs,
        "median_submission_s": statistics.median(per_submission),
        "median_startup_s": statistics.median(startup),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=48, help="submissions in the batch")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    times = startup_seconds()
    print(
        f"process start-up (python + numpy + companion, limits set): median "
        f"{statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms "
        f"over {len(times)} starts"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batch"
        folder.mkdir()
        make_batch(folder, args.n)
        for jobs in sorted({1, cores}):
            result = throughput(folder, jobs)
            print(
                f"-j {jobs}: {result['submissions']} submissions in {result['seconds']:.1f} s = "
                f"{result['per_second_per_core']:.2f} submissions/s/core; per submission: "
                f"median {result['median_submission_s'] * 1000:.0f} ms, of which start-up "
                f"{result['median_startup_s'] * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
