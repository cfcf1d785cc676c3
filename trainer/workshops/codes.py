"""Join codes: short, read aloud and typed from a projector, so no look-alike characters.

Left out: 0 O Q D (round ones), 1 I L J (strokes), 2 Z, 5 S, 8 B, U V, G 6 (lower case is
folded to upper case). 18 characters, 6 of them: 34 million codes, against at most 30 wrong
guesses a minute from one address (the join view's rate limit).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from trainer import rate_limits
from trainer.extensions import client_address

ALPHABET = "ACEFHKMNPRTWXY3479"
LENGTH = 6
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """What someone typed (full-width, lower case, with spaces or hyphens) as a code."""
    return _NOT_CODE.sub("", unicodedata.normalize("NFKC", typed or "").upper())


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def spaced(code: str) -> str:
    """For reading aloud from the projector: 「KXM 4PR」."""
    return f"{code[:3]} {code[3:]}"


# The scope of rate_limits.remember for a join code that worked from an address today: the
# room's code, exempt from the wrong-code limit there (views/join.py).
KNOWN_CODE = "join-code-known"


def known_from_here(code: str) -> None:
    """The room's code is known at this request's address for today. The projector is usually
    on the venue's network: opened there, it makes the code known before the first phone joins,
    so typos from the hall cannot lock the room out."""
    rate_limits.remember(KNOWN_CODE, client_address(), code)
