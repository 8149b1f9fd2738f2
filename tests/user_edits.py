"""What a user does to a generated service in its first months, as files written to disk.

Each edit is one a real service gets: its own feature module with a model, a migration and
tests, a dependency, a changed default, a local `.env`. The update tests check that every
one of them survives `copier update`.
"""

from dataclasses import dataclass
from pathlib import Path

from support.project import Project

EXAMPLE_REVISION = "5f0c1a2b3d4e"
NOTES_REVISION = "a1b2c3d4e5f6"

NOTES_MODULE = '''\
"""Notes: a feature the service's own team added after generating it."""

import humanize
from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .core.errors import NotFoundError
from .core.models import Base
from .core.params import IdPath
from .core.session import SessionDep


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))


class NoteIn(BaseModel):
    text: str


class NoteOut(BaseModel):
    id: int
    text: str
    size: str


def _out(note: Note) -> NoteOut:
    return NoteOut(id=note.id, text=note.text, size=humanize.naturalsize(len(note.text)))


router = APIRouter(prefix="/notes", tags=["notes"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_note(payload: NoteIn, session: SessionDep) -> NoteOut:
    note = Note(text=payload.text)
    session.add(note)
    await session.flush()
    return _out(note)


@router.get("/{note_id}")
async def get_note(note_id: IdPath, session: SessionDep) -> NoteOut:
    note = await session.get(Note, note_id)
    if note is None:
        raise NotFoundError("Note", note_id)
    return _out(note)
'''

NOTES_TESTS = """\
from httpx import AsyncClient


async def test_a_note_is_stored_and_read_back(client: AsyncClient) -> None:
    created = await client.post("/api/v1/notes", json={"text": "Remember the milk"})
    assert created.status_code == 201, created.text

    read = await client.get(f"/api/v1/notes/{created.json()['id']}")

    note = {"id": created.json()["id"], "text": "Remember the milk", "size": "17 Bytes"}
    assert read.json() == note


async def test_an_unknown_note_is_404(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/notes/999")).status_code == 404
"""

NOTES_MIGRATION = '''\
"""Create notes

Revision ID: {revision}
Revises: {down_revision}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: str | Sequence[str] | None = {down_revision!r}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )


def downgrade() -> None:
    op.drop_table("notes")
'''

LOCAL_ENV = "# Local settings, never committed.\nHEALTH_CHECK_TIMEOUT=3\n"


@dataclass(frozen=True)
class UserEdits:
    """What the edits left: new files (whole) and edited template files (the edited lines)."""

    files: dict[str, str]
    lines: dict[str, list[str]]

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


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new))


def make_user_edits(project: Project) -> UserEdits:
    """A feature module with its model, migration and tests; a new dependency; a changed
    default; a local `.env`."""
    root, package = project.path, project.package
    down_revision = EXAMPLE_REVISION if project.answers["with_example_api"] else None
    files = {
        f"src/{package}/notes.py": NOTES_MODULE,
        "tests/test_notes.py": NOTES_TESTS,
        f"migrations/versions/2026_12_01_{NOTES_REVISION}_create_notes.py": (
            NOTES_MIGRATION.format(revision=NOTES_REVISION, down_revision=down_revision)
        ),
        ".env": LOCAL_ENV,
    }
    for path, content in files.items():
        (root / path).write_text(content)

    # Wire the feature in: the app's routers, and the models that Alembic and tests see.
    main = f"src/{package}/main.py"
    replace_once(root / main, "from .core.errors", "from . import notes\nfrom .core.errors")
    replace_once(
        root / main,
        "    return app\n",
        '    app.include_router(notes.router, prefix="/api/v1")\n    return app\n',
    )
    models = f"src/{package}/models.py"
    with (root / models).open("a") as registry:
        registry.write("\nfrom .notes import Note  # noqa: E402, F401\n")

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
            main: ["from . import notes", 'app.include_router(notes.router, prefix="/api/v1")'],
            models: ["from .notes import Note"],
            "pyproject.toml": ['"humanize>=4.9"'],
            settings: ["health_check_timeout: float = Field(default=1.5"],
        },
    )
