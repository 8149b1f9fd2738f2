"""Process-wide settings of the interpreter for a long-running server."""

import gc

# How many new objects that can form reference cycles (net of those freed) make the garbage
# collector scan its youngest generation. Python's default (700; 2,000 from 3.13) has a
# busy server scan every few requests, which under load costs about a fifth of the CPU of
# a single-row read and shows in the slowest requests as pauses. Garbage that is not part of
# a cycle is freed at once whatever this is; what waits longer is only cyclic garbage.
YOUNG_GENERATION_THRESHOLD = 10_000


def tune_garbage_collection() -> None:
    """Call once the application is built, before it serves."""
    # Everything alive now (modules, the app with its routes and schemas, the ORM mappers)
    # lives as long as the process: frozen, no later collection scans it again.
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
