"""Notes: a feature the service's own team added after generating it."""

import humanize
from fastapi import APIRouter, status

from ..core.errors import NotFoundError
from ..core.params import IdPath
from ..core.session import SessionDep
from .models import Note
from .schemas import NoteIn, NoteOut


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
