"""Workbook layouts and texts, read from workbook_templates/*.yaml (data, not code).

Texts name the round's assessing body through `[[…]]` tokens (see `cchc_xl.identity`): `template(name,
identity)` gives them filled for that round; without an identity they speak of "cơ quan đánh giá".
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.paths import bundled


@cache
def _raw(name: str) -> dict[str, Any]:
    path = bundled(f"workbook_templates/{name}.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def template(name: str, identity: RoundIdentity = NEUTRAL) -> dict[str, Any]:
    """workbook_templates/<name>.yaml as a dict, its texts filled for `identity` (read once per identity;
    treat as read-only)."""
    return _fill(_raw(name), identity)  # type: ignore[no-any-return]


def _fill(value: Any, identity: RoundIdentity) -> Any:
    if isinstance(value, str):
        return identity.fill(value)
    if isinstance(value, dict):
        return {k: _fill(v, identity) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, identity) for v in value]
    return value
