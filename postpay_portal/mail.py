"""E-mail headers are one line: Django refuses a subject with a line break for good
(``BadHeaderError``, which no retry cures), and names typed before names were checked may
hold one."""

import unicodedata


def subject_line(text):
    """``text`` on one line: every control character and line or paragraph separator becomes
    a space, and runs of whitespace one space."""
    spaced = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(spaced.split())
