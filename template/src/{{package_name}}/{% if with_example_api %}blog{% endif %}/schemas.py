"""Request and response bodies. Field limits match the columns, so bad input is a 422."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from ..core.params import INTEGER_MAX, StorableStr

# pattern: at least one character that is not whitespace (JSON Schema patterns search).
Name = Annotated[StorableStr, Field(min_length=1, max_length=100, pattern=r"\S")]
# Stored lowercased: addresses differ in case only by mistake, and the unique constraint
# on the column then also refuses ADA@example.com beside ada@example.com.
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(str.lower)]
Title = Annotated[StorableStr, Field(min_length=1, max_length=200, pattern=r"\S")]
Body = Annotated[StorableStr, Field(min_length=1, max_length=100_000)]
# strict: an id is a JSON number; "1" and true are refused, not converted.
Id = Annotated[int, Field(ge=1, le=INTEGER_MAX, strict=True)]


class RequestBody(BaseModel):
    """A request body: a field the API does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AuthorCreate(RequestBody):
    name: Name
    email: Email


class AuthorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    created_at: datetime


class PostCreate(RequestBody):
    title: Title
    body: Body
    author_id: Id


class PostUpdate(RequestBody):
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
