"""Read a source's bytes (local file or bounded http fetch) as numbered UTF-8 lines, streaming."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from publisher.config import SourceConfig
from publisher.errors import FetchError, SourceError

USER_AGENT = "publisher/0.1 (+https://example.org/publisher)"


def source_label(src: SourceConfig) -> str:
    return str(src.path) if src.path is not None else str(src.url)


def fetch_bytes(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """GET `url` ourselves (never via feedparser) with a timeout and a size cap."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"response is {declared} bytes, over max_bytes={max_bytes}", source=url)
            data: bytes = resp.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason}", source=url) from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot fetch: {exc.reason}", source=url) from None
    except TimeoutError:
        raise FetchError(f"timed out after {timeout} s", source=url) from None
    except OSError as exc:
        raise FetchError(f"cannot fetch: {exc}", source=url) from None
    if len(data) > max_bytes:
        raise FetchError(f"response is over max_bytes={max_bytes}", source=url)
    return data


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
    return io.BytesIO(fetch_bytes(src.url, timeout=src.timeout, max_bytes=src.max_bytes))


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
