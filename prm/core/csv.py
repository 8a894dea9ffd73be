"""CSV output that spreadsheets open safely."""

import re

# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def csv_safe(value: object) -> str:
    """Neutralise formula injection: prefix risky text with an apostrophe.

    Plain numbers (negative amounts such as "-12.50" included) stay as they are, so spreadsheets
    still read them as numbers."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text
