"""Statement uploads: what the Overview's import accepts before a row is read (size, type, encoding)."""

from __future__ import annotations

import base64
import binascii
import re

from dashboard.data.models import STATEMENT_KINDS
from dashboard.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
KINDS = STATEMENT_KINDS


# characters no CSV text holds (tab, line feed and carriage return are text)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_upload(contents: str, filename: str | None) -> str:
    """The text of a ``dcc.Upload`` payload (``data:...;base64,...``); InvalidInput when it is not a CSV file."""
    if not isinstance(contents, str) or "," not in contents:
        raise InvalidInput("The upload is empty or malformed.")
    if filename is not None and (not isinstance(filename, str) or not filename.lower().endswith(".csv")):
        raise InvalidInput("Upload a .csv file.")
    header, payload = contents.split(",", 1)
    if ";base64" not in header:
        raise InvalidInput("The upload is malformed.")
    if len(payload) > MAX_BYTES * 4 // 3 + 4:
        raise InvalidInput(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("The upload is not valid base64.") from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.") from None
    control = CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise InvalidInput(
            f"The file is not a text CSV file: line {line:,} holds a control character "
            "(a spreadsheet or another binary file renamed .csv?). Save it as CSV and upload that."
        )
    return text
