"""``engql repl``: an interactive shell that knows the Engagement API."""
