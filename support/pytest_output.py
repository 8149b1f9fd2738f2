"""Read the outcome of a rendered project's own pytest run from its output."""

import re

# Anything but a pass on pytest's closing line: a skip is not allowed either.
NOT_PASSED = {"failed", "error", "errors", "skipped", "deselected", "xfailed", "xpassed"}


def pytest_summary(output: str) -> dict[str, int]:
    """Counts from pytest's closing line, e.g. {"passed": 26, "skipped": 1}.

    Searched for rather than taken as the last line: stderr (interleaved in `output`) may
    carry messages printed after it.
    """
    closing = re.findall(r"^=*\s*(\d+ \w+.* in [\d.]+s)\b.*$", output, re.MULTILINE)
    assert closing, f"no pytest summary in:\n{output}"
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", closing[-1])}
