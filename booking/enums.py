"""A string enum whose members carry the words people read, as indico's RichStrEnum does."""

from enum import StrEnum


class RichStrEnum(StrEnum):
    """Stored as its value; shown as its title. Declare members as NAME = "value", "Title"."""

    def __new__(cls, value: str, title: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member._title = title
        return member

    @property
    def title(self) -> str:  # shadows str.title on purpose: a state's title is its display name
        return self._title

