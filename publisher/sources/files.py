"""Read a source's bytes (local file or bounded http fetch) as numbered UTF-8 lines, streaming."""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from publisher.config import SourceConfig
from publisher.errors import SourceError
from publisher.sources.fetch import USER_AGENT, fetch_bytes

# fetch_bytes and USER_AGENT have always been importable from here.
__all__ = ["USER_AGENT", "fetch_bytes", "iter_lines", "nesting_line", "open_binary", "read_bytes", "source_label"]
# Strings (JSON and TOML basic strings), brackets and newlines: enough to find where nesting runs away.
_STRUCTURE = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]')


def source_label(src: SourceConfig) -> str:
    return str(src.path) if src.path is not None else str(src.url)


def open_binary(src: SourceConfig) -> BinaryIO:
    """A binary stream of the source: the file itself (streamed) or the fetched, size-capped bytes."""
    if src.path is not None:
        try:
            return open(src.path, "rb")
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror}", source=src.path) from None
    assert src.url is not None
    if src.url.startswith("file://"):
        path = Path(urllib.request.url2pathname(src.url.removeprefix("file://")))
        try:
            return open(path, "rb")
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror}", source=src.url) from None
    data = fetch_bytes(
        src.url, timeout=src.timeout, max_bytes=src.max_bytes, retries=src.retries, backoff=src.retry_backoff_seconds
    )
    return io.BytesIO(data)


def read_bytes(src: SourceConfig) -> bytes:
    with open_binary(src) as fh:
        return fh.read()


def iter_lines(stream: BinaryIO, label: str) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text without newline, error) per line. `error` names a decoding problem (the text is then
    decoded with replacement characters); callers decide to fail or skip, and iteration can go on either way."""
    for number, raw in enumerate(stream, start=1):
        error = None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = f"not valid UTF-8 (byte {exc.start + 1} of the line)"
            text = raw.decode("utf-8", errors="replace")
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text.rstrip("\r\n"), error


def nesting_line(text: str, limit: int = 500) -> int:
    """The line where brackets first nest deeper than `limit` (for a parser's RecursionError); 1 if none does."""
    depth, line = 0, 1
    for m in _STRUCTURE.finditer(text):
        token = m.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > limit:
                return line
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")
    return 1
