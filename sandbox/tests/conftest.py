"""Shared pytest fixtures for the sandbox's tests."""

from __future__ import annotations

import pathlib
import sys

SANDBOX_DIR = pathlib.Path(__file__).resolve().parents[1]
if str(SANDBOX_DIR) not in sys.path:
    sys.path.insert(0, str(SANDBOX_DIR))
