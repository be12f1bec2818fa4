"""Money: integer fen inside, decimal strings of yuan ("50000.00") at the edges (DESIGN §6)."""

from __future__ import annotations

import re

from servicekit.errors import InvalidInput

_YUAN = re.compile(r"(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?")


def yuan_to_fen(text: object, field: str = "amount") -> int:
    """Parse a yuan amount such as "50000" or "50000.5" or "50000.00" into fen.

    Refused: numbers given as JSON numbers (floats lose cents), negatives, signs, exponents,
    more than two decimals, more than 13 integer digits.
    """
    if not isinstance(text, str) or not _YUAN.fullmatch(text):
        raise InvalidInput(
            "money.invalid",
            f"{field} must be a non-negative amount of yuan as a string with at most two "
            f'decimals, e.g. "50000.00"; got {text!r}.',
            f"{field} 须为以字符串表示的非负人民币金额（元），最多两位小数，如 \"50000.00\"；"
            f"收到 {text!r}。",
            {"field": field, "value": str(text)},
        )
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def fen_to_yuan(fen: int) -> str:
    """Format fen as a yuan string with two decimals ("-" for negatives)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
