"""The password policy: long enough, not common, not trivial; checked offline against a shipped list.

A password is refused, with the reason, when it is shorter than ``MIN_PASSWORD_LENGTH`` characters (not
counting spaces at either end), longer than ``MAX_PASSWORD_LENGTH``, made of too few different
characters ("aaaaaaaaaa", ten spaces), a run along the alphabet, the digits or the keyboard
("1234567890", "qwertyuiop"), the person's e-mail address or name, or a common password once
normalised: lower case, symbols removed, letter-for-digit swaps undone ("p@ssw0rd"), and digits at the
end removed ("password12"). The list is ``data/common_passwords.txt``, shipped with the project.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from dosewise.domain.errors import InvalidInput

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "check_password", "password_problem"]

# Security policy (not clinical numbers): documented in docs/web.md.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 5
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb")
_UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


@cache
def _blocklist() -> frozenset[str]:
    text = resources.files("dosewise.services").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _forms(password: str) -> set[str]:
    """The password as the list compares it: plain, and with digits and symbols at the ends removed and
    letter-for-digit swaps undone."""
    lower = password.lower()
    plain = "".join(c for c in lower if c.isalnum())
    core = lower.strip("0123456789!?.,;:-_+*#&%^~=/\\|'\"()[]{}<> ")
    forms = {
        plain,
        "".join(c for c in core if c.isalnum()),
        "".join(c for c in core.translate(_UNLEET) if c.isalnum()),
    }
    return {form for form in forms if form}


def _common(form: str, blocklist: frozenset[str]) -> bool:
    """A listed password, or two listed words run together ("dosewise" + "demo")."""
    if form in blocklist:
        return True
    return any(form[:i] in blocklist and form[i:] in blocklist for i in range(3, len(form) - 2))


def _is_run(text: str) -> bool:
    if len(text) < 4:
        return False
    for run in _RUNS:
        for line in (run, run[::-1]):
            if text in line * 3:
                return True
    return False


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, in plain words, or None when it is acceptable."""
    stripped = password.strip()
    if len(stripped) < MIN_PASSWORD_LENGTH:
        return (
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters (spaces at the ends do not count)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password can have at most {MAX_PASSWORD_LENGTH} characters"
    if len(set(stripped.lower())) < MIN_DISTINCT_CHARACTERS:
        return f"the password needs at least {MIN_DISTINCT_CHARACTERS} different characters"
    plain = "".join(c for c in stripped.lower() if c.isalnum())
    if _is_run(plain) or _is_run(stripped.lower().replace(" ", "")):
        return "the password is a run of letters, digits or keys that is easy to guess"
    address = email.strip().lower()
    local = address.split("@")[0]
    if address and (stripped.lower() == address or (len(local) >= 4 and plain.rstrip("0123456789") == local)):
        return "the password cannot be your e-mail address"
    if name.strip() and plain.rstrip("0123456789") == "".join(c for c in name.lower() if c.isalnum()):
        return "the password cannot be your name"
    if any(_common(form, _blocklist()) for form in _forms(stripped)):
        return "this password is too common: it is one of the first that attackers try"
    return None


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a weak password with ``InvalidInput`` saying why."""
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise InvalidInput(
            problem, hint="a few unrelated words make a long password that is easy to remember"
        )
