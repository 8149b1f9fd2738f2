"""What a user does to a generated service in its first months, as files written to disk.

Each edit is one a real service gets: its own feature module with a model, a migration and
tests, a dependency, a changed default, a local `.env`. The update tests check that every
one of them survives `copier update`. The files the user writes are in `files/`.
"""

from dataclasses import dataclass
from pathlib import Path

from support.project import Project

EXAMPLE_REVISION = "5f0c1a2b3d4e"
NOTES_REVISION = "a1b2c3d4e5f6"

# What the user writes, as files ruff checks here and mypy checks in the project: each one
# and where in the project it goes ("{package}" is the package's name). The feature module
# imports the package relatively, so it holds for any package name.
# They follow the generated README's "Add a feature" steps.
FILES = Path(__file__).resolve().parent / "files"
DESTINATIONS = {
    "notes/__init__.py": "src/{package}/notes/__init__.py",
    "notes/models.py": "src/{package}/notes/models.py",
    "notes/schemas.py": "src/{package}/notes/schemas.py",
    "tests_notes/__init__.py": "tests/notes/__init__.py",
    "tests_notes/test_notes.py": "tests/notes/test_notes.py",
    "create_notes.py": f"migrations/versions/2026_12_01_{NOTES_REVISION}_create_notes.py",
    "local.env": ".env",
}


@dataclass(frozen=True)
class UserEdits:
    """What the edits left: new files (whole) and edited template files (the edited lines)."""

    files: dict[str, str]
    lines: dict[str, list[str]]

    def python_files(self) -> list[str]:
        """The Python files the user wrote or edited."""
        return sorted(path for path in {*self.files, *self.lines} if path.endswith(".py"))

    def lost(self, project: Path) -> list[str]:
        """Each edit an update undid, described."""
        lost = [
            f"{path} changed or gone"
            for path, content in self.files.items()
            if not (project / path).is_file() or (project / path).read_text() != content
        ]
        for path, lines in self.lines.items():
            text = (project / path).read_text()
            lost += [f"{path} lost {line!r}" for line in lines if line not in text]
        return lost


# The feature's import in api.py, beside the example's or as the first of the package's.
API_IMPORT_EXAMPLE = ("from . import blog\n", "from . import blog, notes\n")
API_IMPORT_BARE = (
    "from fastapi import APIRouter\n",
    "from fastapi import APIRouter\n\nfrom . import notes\n",
)


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new))


def as_first_revision(migration: str) -> str:
    """The notes migration for a service without the example API: it revises nothing."""
    for old, new in [
        (f"Revises: {EXAMPLE_REVISION}", "Revises: None"),
        (f'"{EXAMPLE_REVISION}"', "None"),
    ]:
        assert migration.count(old) == 1, f"{old!r} is not in the notes migration exactly once"
        migration = migration.replace(old, new)
    return migration


def make_user_edits(project: Project) -> UserEdits:
    """A feature module with its model, migration and tests; a new dependency; a changed
    default; a local `.env`."""
    root, package = project.path, project.package
    files = {
        destination.format(package=package): (FILES / name).read_text()
        for name, destination in DESTINATIONS.items()
    }
    if not project.answers["with_example_api"]:
        migration = DESTINATIONS["create_notes.py"]
        files[migration] = as_first_revision(files[migration])
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)

    # Register the router where the README says; releases before api.py had it in main.py.
    routers = f"src/{package}/api.py"
    if (root / routers).is_file():
        example = "from . import blog\n" in (root / routers).read_text()
        old, new = API_IMPORT_EXAMPLE if example else API_IMPORT_BARE
        replace_once(root / routers, old, new)
        with (root / routers).open("a") as api:
            api.write("router.include_router(notes.router)\n")
        wired = [new.rstrip("\n").rpartition("\n")[2], "router.include_router(notes.router)"]
    else:
        routers = f"src/{package}/main.py"
        replace_once(root / routers, "from .core.errors", "from . import notes\nfrom .core.errors")
        replace_once(
            root / routers,
            "    return app\n",
            '    app.include_router(notes.router, prefix="/api/v1")\n    return app\n',
        )
        wired = ["from . import notes", 'app.include_router(notes.router, prefix="/api/v1")']
    # Import the models where Alembic and the tests see them.
    models = f"src/{package}/models.py"
    replace_once(
        root / models,
        "from .core.models import Base\n",
        "from .core.models import Base\nfrom .notes.models import Note\n",
    )
    replace_once(root / models, '"Base"', '"Base", "Note"')

    # A dependency of their own, and a default they prefer.
    replace_once(root / "pyproject.toml", '    "fastapi>=', '    "humanize>=4.9",\n    "fastapi>=')
    settings = f"src/{package}/core/settings.py"
    replace_once(
        root / settings,
        "health_check_timeout: float = Field(default=2.0",
        "health_check_timeout: float = Field(default=1.5",
    )
    return UserEdits(
        files=files,
        lines={
            routers: wired,
            models: ["from .notes.models import Note", '"Base", "Note"'],
            "pyproject.toml": ['"humanize>=4.9"'],
            settings: ["health_check_timeout: float = Field(default=1.5"],
        },
    )
