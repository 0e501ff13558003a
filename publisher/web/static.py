"""Serve the generated feed folder over HTTP: clean URLs, right types, strong ETags, 304s and gzip."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import Request, Response, redirect
from werkzeug.security import safe_join

# Feeds engineers write these; types that readers and validators expect (RFC 4287, RSS 2.0 best practice, OPML).
CONTENT_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
}
DEFAULT_TYPE = "application/octet-stream"
# JSON Feed 1.1 (jsonfeed.org/version/1.1) has its own type; which .json file is a feed, its `version` says.
JSON_FEED_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_JSON_FEED_MAX_BYTES = 16 * 1024 * 1024  # larger JSON is read as data: parsing it for its type is not worth it
CACHE_CONTROL = "public, max-age=300"
# Generated HTML may carry inline styles and remote images, never scripts.
STATIC_CSP = (
    "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline'; script-src 'none'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)
GZIP_MIN_BYTES = 256


def content_type(path: Path, body: bytes) -> str:
    """The Content-Type of a file: by its suffix, except that a .json file holding a JSON Feed is one."""
    ctype = CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)
    if path.suffix.lower() == ".json" and _is_json_feed(body):
        return JSON_FEED_TYPE
    return ctype


def _is_json_feed(body: bytes) -> bool:
    """A JSON object whose `version` is a JSON Feed version URL (read once per file version, then cached)."""
    if len(body) > _JSON_FEED_MAX_BYTES or not body.lstrip().startswith(b"{"):
        return False
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return False
    version = doc.get("version") if isinstance(doc, dict) else None
    return isinstance(version, str) and version.startswith(JSON_FEED_VERSION)


def _compressible(content_type: str) -> bool:
    return content_type.startswith("text/") or any(t in content_type for t in ("xml", "json", "javascript", "svg"))


@dataclass(frozen=True)
class StaticFile:
    """One file's bytes, read once, with everything a response needs."""

    body: bytes
    gzipped: bytes | None  # None: not worth compressing
    etag: str  # strong, content hash, without quotes
    last_modified: dt.datetime
    content_type: str


class FeedFiles:
    """The feed folder as a small cached file server; the cache key includes mtime and size, so
    files replaced atomically by the feed writer are picked up at once."""

    def __init__(self, root: Path, *, cache_entries: int = 256) -> None:
        self.root = root
        self._cache: OrderedDict[tuple[str, int, int], StaticFile] = OrderedDict()
        self._cache_entries = cache_entries
        self._lock = threading.Lock()

    def resolve(self, url_path: str) -> Path | str | None:
        """The file for a URL path (try `p`, `p.html`, `p/index.html`); a str means "redirect here"; None: 404."""
        url_path = url_path.lstrip("/")
        parts = url_path.split("/")
        # Dot-files include the temporary files of atomic writes; never show them.
        if any(p.startswith(".") for p in parts if p) or "\\" in url_path or "\x00" in url_path:
            return None
        root = self.root.resolve()
        joined = safe_join(str(root), url_path) if url_path else str(root)
        if joined is None:
            return None
        base = Path(joined)
        if base.is_dir():
            if url_path and not url_path.endswith("/"):
                # Relative, so it also works when the site lives under a path prefix.
                return parts[-1] + "/"
            candidates = [base / "index.html"]
        else:
            candidates = [base, base.with_name(base.name + ".html")]
        for c in candidates:
            try:
                real = c.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            # A symlink must not lead out of the folder.
            if real.is_file() and real.is_relative_to(root):
                return real
        return None

    def load(self, path: Path) -> StaticFile | None:
        try:
            with path.open("rb") as fh:
                st = os.fstat(fh.fileno())
                key = (str(path), st.st_mtime_ns, st.st_size)
                with self._lock:
                    hit = self._cache.get(key)
                    if hit is not None:
                        self._cache.move_to_end(key)
                        return hit
                body = fh.read()
        except OSError:
            return None  # vanished between resolve and open
        ctype = content_type(path, body)
        gz = None
        if _compressible(ctype) and len(body) >= GZIP_MIN_BYTES:
            # mtime=0: the same bytes always give the same gzip stream, so its ETag stays strong.
            gz = gzip.compress(body, compresslevel=6, mtime=0)
        modified = dt.datetime.fromtimestamp(st.st_mtime_ns // 1_000_000_000, dt.UTC)
        f = StaticFile(body, gz, hashlib.sha256(body).hexdigest()[:32], modified, ctype)
        with self._lock:
            self._cache[key] = f
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        return f


def _accepts_gzip(request: Request) -> bool:
    return request.accept_encodings["gzip"] > 0


def file_response(request: Request, f: StaticFile) -> Response:
    """200 (gzip when accepted) or 304, with a strong ETag per encoding (RFC 9110 §8.8.3)."""
    use_gz = f.gzipped is not None and _accepts_gzip(request)
    etag = f"{f.etag}-gz" if use_gz else f.etag
    headers = {
        "ETag": f'"{etag}"',
        "Last-Modified": f.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Cache-Control": CACHE_CONTROL,
        "Content-Security-Policy": STATIC_CSP,
    }
    if f.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    not_modified = False
    if request.if_none_match:
        # Either encoding's tag names the same content: the client's copy is current.
        not_modified = request.if_none_match.contains_weak(etag) or request.if_none_match.contains_weak(
            f.etag if use_gz else f"{f.etag}-gz"
        )
    elif request.if_modified_since is not None:
        not_modified = f.last_modified <= request.if_modified_since
    if not_modified:
        return Response(status=304, headers=headers)
    body = f.gzipped if use_gz else f.body
    assert body is not None
    resp = Response(body, status=200, headers=headers, content_type=f.content_type)
    if use_gz:
        resp.headers["Content-Encoding"] = "gzip"
    return resp


def serve_path(request: Request, files: FeedFiles, url_path: str) -> Response | None:
    """The response for a feed-folder URL, or None when there is no such file (caller renders 404)."""
    target = files.resolve(url_path)
    if isinstance(target, str):
        return redirect(target, code=308)  # type: ignore[return-value]
    if target is None:
        return None
    f = files.load(target)
    return file_response(request, f) if f is not None else None
