"""The sizes engql accepts in text it is given, in one place, each refused with a code.

A service that checks or compiles queries it did not write can rely on them: past each
limit the input is refused with a diagnostic (never an exception), and checking takes
time and memory in proportion to the text. docs/language.md lists them under "Limits".
"""

from __future__ import annotations

MAX_QUERY_CHARS = 64 * 1024 * 1024
"""Longer text is refused before parsing (E005): about 3 million inline IDs."""
MAX_STATEMENTS = 10_000
"""More statements in one script are refused before parsing (E006)."""
MAX_TWEET_IDS = 10_000_000
"""Most Tweet IDs one statement may name, however given (E309)."""
MAX_IDS_FILE_BYTES = 32 * MAX_TWEET_IDS
"""Largest IDs file read (E308): 32 bytes a line for MAX_TWEET_IDS lines, room for a
19-digit ID with CRLF or a short CSV row, and a bound on the memory a file can take."""
MAX_JSON_IDS_FILE_BYTES = 1_000_000_000
"""Largest IDs file read (E308) when its first entry is JSON: a million Tweets as twarc2
writes them, at about 1 KB a Tweet with its text, metrics and its page's expansions.
Only its IDs are kept beside its text, so reading one peaks at about twice its size
(1.9 GB for a million Tweets in 973 MB), near the 1.6 GB of a plain file of
MAX_TWEET_IDS IDs at MAX_IDS_FILE_BYTES' 32 bytes a line (bench/README.md)."""
MAX_DIAGNOSTICS = 1_000
"""Most diagnostics one check returns, then one that counts the rest (E007 when an error
is among them, W001 when they are all warnings); checking stops after this many errors."""
MAX_REPORTS_PER_CODE = 20
"""Past this many diagnostics of one code in one statement, the rest are counted, not shown."""
MAX_QUOTED_CHARS = 60
"""Longest piece of the user's text a message quotes; a longer one is cut and marked."""
MAX_SHOWN_COLUMNS = 160
"""Widest excerpt of a source line shown under a message, around the caret."""
