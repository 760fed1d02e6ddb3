"""Bourse PVD: the job and volunteer offer board of Petites villes de demain."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
