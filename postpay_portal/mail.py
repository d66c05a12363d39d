"""E-mail headers are one line: Django refuses a subject with a line break for good
(``BadHeaderError``, which no retry cures), and names typed before names were checked may
hold one."""

import unicodedata

# A mail task's delivery: a failed SMTP connection is retried with backoff, and since a mail
# is not a state change, a redelivered message at worst repeats a mail (R19, R39).
MAIL_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
    "soft_time_limit": 30,
    "time_limit": 60,
}


def subject_line(text):
    """``text`` on one line: every control character and line or paragraph separator becomes
    a space, and runs of whitespace one space."""
    spaced = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(spaced.split())
