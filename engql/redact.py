"""The last line of defence for secrets: every credential this process has loaded, and
``scrub``, which replaces them in any text before it is shown.

Credentials are checked when they are read and engql's own messages never quote them;
but an exception's text or a server's error message is not engql's to word (a header
value quoted back, a proxy that reflects the request). Text of that kind goes through
``scrub``. Each secret is known in the forms it may take in such text: as it is,
percent-encoded and -decoded (as in an OAuth header or a bearer token), and escaped
as Python and JSON write strings and bytes.
"""

from __future__ import annotations

import io
import json
import re
import threading
from typing import IO, cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

REDACTED = "<redacted>"
MIN_LENGTH = 8
"""Shorter values are not scrubbed: no credential X issues is that short, and replacing a
few common characters everywhere would garble every message."""


class Secrets:
    """A set of secrets to scrub from text; thread-safe. The process has one, ``SECRETS``,
    which every ``Settings`` made adds its credentials to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)
        """The forms of every secret, and one pattern that finds them, longest first;
        replaced whole, so a reader without the lock sees a pair that belongs together."""

    def remember(self, secret: str | None) -> None:
        """Scrub ``secret`` (in all its forms) from every later ``scrub``."""
        if not secret or len(secret) < MIN_LENGTH:
            return
        forms = {
            secret,
            unquote(secret),
            quote(secret, safe=""),
            repr(secret)[1:-1],
            ascii(secret)[1:-1],
            repr(secret.encode("utf-8", "surrogateescape"))[2:-1],
            json.dumps(secret)[1:-1],
        }
        with self._lock:
            known = self._known[0] | {form for form in forms if len(form) >= MIN_LENGTH}
            if known != self._known[0]:
                longest_first = sorted(known, key=len, reverse=True)
                self._known = (known, re.compile("|".join(map(re.escape, longest_first))))

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by ``<redacted>``."""
        known, pattern = self._known
        if pattern is None or not any(form in text for form in known):
            return text
        return pattern.sub(REDACTED, text)


SECRETS = Secrets()
remember = SECRETS.remember
scrub = SECRETS.scrub


def shown_url(url: str) -> str:
    """``url`` as messages show it: any user name and password in it as ``<redacted>``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED if "@" in url else url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def remember_url(url: str) -> None:
    """Scrub the ``user:password`` part of ``url``, and the password alone, if it has one."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return
    userinfo = netloc.rpartition("@")[0]
    remember(userinfo)
    remember(userinfo.partition(":")[2])


class ScrubbedText(io.TextIOBase):
    """A text stream that passes what is written on to ``stream``, scrubbed. Each write
    is scrubbed on its own: engql writes a message, or a line, at a time."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True


def scrubbed(stream: IO[str]) -> IO[str]:
    """``stream`` with every write scrubbed."""
    return cast(IO[str], ScrubbedText(stream))
