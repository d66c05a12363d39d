"""Event ids (CONTRACT §4): ``evt_`` + 26 characters of Crockford base32 — a ULID.

48 bits of Unix milliseconds then 80 random bits, so ids are unique for ever and sort by
the time they were written. Within one process the ids are strictly increasing: in the same
millisecond (or when the clock steps back) the previous random part is incremented instead
of drawn again, so the events one transaction appends sort in the order it appended them.
"""

import os
import secrets
import threading
import time

PREFIX = "evt_"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # digits, then upper-case letters: ascending
LENGTH = len(PREFIX) + 26
_RANDOM_BITS = 80

_lock = threading.Lock()
_last = [0, 0]  # [milliseconds, random part] of the last id of this process


def _forget_last():
    # A forked worker child must not continue its parent's sequence: two children would
    # then produce the same "previous + 1" in the same millisecond.
    _last[0] = _last[1] = 0


os.register_at_fork(after_in_child=_forget_last)


def _encode(value):
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_event_id():
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last[0]:
            ms, rand = _last[0], _last[1] + 1
            if rand >> _RANDOM_BITS:  # 2^80 ids in one millisecond: borrow the next one
                ms, rand = ms + 1, secrets.randbits(_RANDOM_BITS)
        else:
            rand = secrets.randbits(_RANDOM_BITS)
        _last[0], _last[1] = ms, rand
    return PREFIX + _encode((ms << _RANDOM_BITS) | rand)


def looks_like_event_id(value):
    return (
        isinstance(value, str)
        and len(value) == LENGTH
        and value.startswith(PREFIX)
        and all(c in ALPHABET for c in value[len(PREFIX) :])
    )
