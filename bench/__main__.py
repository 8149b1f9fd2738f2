"""`uv run python -m bench`: see bench/run.py, and README.md's Performance section."""

import signal
import sys

from bench.run import parse, run


def _stop(signum: int, _frame: object) -> None:
    # Unwind like Ctrl-C does, so that every server is stopped and every database dropped.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    try:
        run(parse())
    except KeyboardInterrupt:
        sys.exit(130)
