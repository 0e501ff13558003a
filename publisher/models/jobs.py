"""Tables for scheduler run history and the single-scheduler lock (owned by the scheduler work)."""

from __future__ import annotations
