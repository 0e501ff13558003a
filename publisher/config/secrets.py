"""The secret behind signed links: from the environment or the config, else generated once into a private file."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.errors import ConfigError

if TYPE_CHECKING:
    from publisher.config.schema import Config

log = logging.getLogger("publisher.config")

MIN_LENGTH = 16
# Secrets that were documented as examples or defaults somewhere: anyone could forge links signed with them.
KNOWN_DEFAULTS = frozenset({"change-me-in-production", "changeme", "change-me", "secret", "development", "dev"})


def check_secret(value: str, where: str, key: str = "digest.secret_key") -> str:
    """`value` when it is fit to sign links with; ConfigError naming `where` otherwise."""
    if value.strip().lower() in KNOWN_DEFAULTS:
        raise ConfigError(f"{where} is a published example value; anyone could forge links with it", key=key)
    if len(value) < MIN_LENGTH:
        raise ConfigError(f"{where} is shorter than {MIN_LENGTH} characters", key=key)
    return value


def resolve_secret(cfg: Config) -> str:
    """The secret for signed links, in this order: the environment variable named by digest.secret_key_env,
    digest.secret_key, else the contents of digest.secret_key_file (generated on first use)."""
    name = cfg.digest.secret_key_env
    from_env = os.environ.get(name)
    if from_env:
        return check_secret(from_env, f"environment variable {name}", key="digest.secret_key_env")
    if cfg.digest.secret_key:
        return check_secret(cfg.digest.secret_key, "digest.secret_key")
    return file_secret(cfg.digest.secret_key_file)


def secret_source(cfg: Config) -> str:
    """Where the secret comes from, for check-config (never the secret itself)."""
    if os.environ.get(cfg.digest.secret_key_env):
        return f"environment variable {cfg.digest.secret_key_env}"
    if cfg.digest.secret_key:
        return "digest.secret_key in the config file"
    state = "generated on first run" if not cfg.digest.secret_key_file.exists() else "generated earlier"
    return f"{cfg.digest.secret_key_file} ({state}; every machine serving this list must share it)"


@functools.lru_cache(maxsize=8)
def file_secret(path: Path) -> str:
    """The secret stored in `path`, created there (mode 0600, atomically) when missing.

    Two processes starting at once agree: the file is made under a temporary name and linked into place,
    which fails for the second one, which then reads the first one's secret.
    """
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", key="digest.secret_key_file") from None
    if existing:
        return check_secret(existing, str(path), key="digest.secret_key_file")
    value = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secret-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
                f.write(value + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except FileExistsError:
        return file_secret.__wrapped__(path)  # another process won the race: use its secret
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}", key="digest.secret_key_file") from None
    log.warning(
        "generated a new secret for signed links in %s; set %s in production (and on every machine of the list)",
        path,
        "the environment variable named by digest.secret_key_env",
    )
    return value
