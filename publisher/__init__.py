"""publisher: ingest press releases, tag and link them, publish feeds and digest e-mails."""

__version__ = "0.1.0"
