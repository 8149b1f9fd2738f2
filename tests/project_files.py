"""Reading a rendered project's files, for tests that judge them as text."""

import re
from pathlib import Path

# `${{ ... }}` is GitHub Actions' own expression syntax, not Jinja left behind.
JINJA_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")


def files(project: Path) -> dict[Path, str]:
    """Every file of `project` (relative path) and its text."""
    return {
        path.relative_to(project): path.read_text()
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


def jinja_residue(project: Path) -> dict[str, list[str]]:
    """The Jinja left in each file that has any (Alembic's Mako template is not Jinja)."""
    return {
        str(path): JINJA_RESIDUE.findall(text)
        for path, text in files(project).items()
        if path.suffix != ".mako" and JINJA_RESIDUE.search(text)
    }
