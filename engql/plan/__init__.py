"""The plan stage: checked queries to HTTP requests (batches, windows, auth), in words too."""
