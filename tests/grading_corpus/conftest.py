"""The sample submissions are data for the grader's tests: pytest must never run them itself
(nbval would execute infinite loops, fork bombs and segfaults in the test process)."""

collect_ignore = ["submissions"]
