"""Workbook layouts and texts, read from workbook_templates/*.yaml (data, not code)."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from cchc_xl.paths import bundled


@cache
def template(name: str) -> dict[str, Any]:
    """workbook_templates/<name>.yaml as a dict (read once; treat as read-only)."""
    path = bundled(f"workbook_templates/{name}.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))
