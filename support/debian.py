"""Debian packages that the tests' and the benchmark's tools come from, installed on demand."""

import os
import shutil
import subprocess
from collections.abc import Sequence


def program(name: str, also_in: Sequence[str] = ()) -> str | None:
    """Where the program `name` is: on PATH, or in one of the `also_in` directories."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *also_in]))


def ensure_installed(package: str, name: str, also_in: Sequence[str] = ()) -> str:
    """The path of the program `name`, installing Debian's `package` first if it is missing."""
    if found := program(name, also_in):
        return found
    print(f"{name} is missing: installing {package} with apt-get", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "-q", package]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        # A fresh machine has no package lists yet.
        subprocess.run([*sudo, "apt-get", "update", "-q"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)
    if found := program(name, also_in):
        return found
    raise RuntimeError(f"apt-get installed {package}, but {name} is not where it looks")
