"""The notes table."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import Base


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
