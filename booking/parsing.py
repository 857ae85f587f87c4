"""Reading what a client sends, defensively: a value that is not what we write means "nothing chosen"."""

# A row id as this app writes it: ASCII digits, small enough for every database's integer column.
ROW_ID_DIGITS = 9


def row_id(text) -> int | None:
    """The id in "12"; None for "", "²" (a digit to str.isdigit, not to int), "-1", "1e3" or 111...1."""
    if not isinstance(text, str) or not 0 < len(text) <= ROW_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
