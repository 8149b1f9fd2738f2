"""What the served apps share: which rendered package they wrap, and where the upstream is.

These modules run inside the rendered project's virtual environment (uvicorn imports them
with the repository root on PYTHONPATH), so they import only what that environment has,
and from this repository only modules that need nothing more (bench.config, support.urls).
"""

import importlib
import os
from types import ModuleType


def package_module(name: str) -> ModuleType:
    """`<package>.<name>` of the rendered service; the package comes from BENCH_PACKAGE."""
    return importlib.import_module(f"{os.environ['BENCH_PACKAGE']}.{name}")


def upstream_url() -> str:
    return os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:1")
