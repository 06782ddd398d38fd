"""Where bundled data lives: the source tree (editable install) or the wheel's _data folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def bundled(relative: str) -> Path:
    """A bundled file such as 'criteria/phu-yen-2022.yaml'."""
    in_repo = _REPO / relative
    if in_repo.exists():
        return in_repo
    return Path(str(resources.files("cchc_xl") / "_data" / relative))
