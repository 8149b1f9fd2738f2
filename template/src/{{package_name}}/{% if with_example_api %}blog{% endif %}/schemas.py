"""Request and response bodies. Field limits match the columns, so bad input is a 422."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

Name = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=254)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(min_length=1, max_length=100_000)]


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
    author_id: int


class PostUpdate(BaseModel):
    """A partial update: fields left out keep their value; null is not a value."""

    title: Title | None = None
    body: Body | None = None

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
