"""Request and response bodies. Field limits match the columns, so bad input is a 422."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from ..core.params import INTEGER_MAX, StorableStr

Name = Annotated[StorableStr, Field(min_length=1, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=254)]
Title = Annotated[StorableStr, Field(min_length=1, max_length=200)]
Body = Annotated[StorableStr, Field(min_length=1, max_length=100_000)]
Id = Annotated[int, Field(ge=1, le=INTEGER_MAX)]


class AuthorCreate(BaseModel):
    name: Name
    email: Email


class AuthorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    created_at: datetime


class PostCreate(BaseModel):
    title: Title
    body: Body
    author_id: Id


class PostUpdate(BaseModel):
    """A partial update: fields left out keep their value; null is not a value."""

    # None only stands for "left out": the schema does not offer null, and a null is refused.
    title: Title | SkipJsonSchema[None] = None
    body: Body | SkipJsonSchema[None] = None

    @field_validator("title", "body")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("may be left out, but not set to null")
        return value


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    author: AuthorRead
    created_at: datetime
    updated_at: datetime
