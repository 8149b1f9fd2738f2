"""`uv run python -m bench`: see bench/run.py, and README.md's Performance section."""

import sys

from bench.run import parse, run, unwind_on_sigterm

if __name__ == "__main__":
    unwind_on_sigterm()
    try:
        run(parse())
    except KeyboardInterrupt:
        sys.exit(130)
