"""Request and response bodies of the notes."""

from pydantic import BaseModel


class NoteIn(BaseModel):
    text: str


class NoteOut(BaseModel):
    id: int
    text: str
    size: str
