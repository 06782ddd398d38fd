"""District settings: the signing key and the sheet password.

Looked up in this order: environment variables (CCHC_XL_KEY, CCHC_XL_PASSWORD), then a file
`cchc-xl.toml` in the working directory (or the path in CCHC_XL_CONFIG, or the workspace's file given by
the caller) — the same file `cchc-xl init` writes with its round (see `cchc_xl.workspace`):

    [district]
    key = "a long random secret kept by Phòng Nội vụ"
    sheet_password = "..."

Without either, a documented demo key is used and every command that signs or verifies says so.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEMO_KEY = "cchc-xl-demo-key-not-for-real-work"
DEMO_PASSWORD = "cchc"
CONFIG_NAME = "cchc-xl.toml"


@dataclass(frozen=True)
class Settings:
    key: bytes
    key_is_demo: bool
    sheet_password: str

    @property
    def key_id(self) -> str:
        """A short, public fingerprint of the key: tells which key signed a workbook."""
        return hashlib.sha256(b"cchc-xl key id:" + self.key).hexdigest()[:12]


def load_settings(cwd: Path | None = None, config: Path | None = None) -> Settings:
    """Settings from the environment and `config` (default: CCHC_XL_CONFIG, else `cwd`'s cchc-xl.toml)."""
    config_path = config or Path(os.environ.get("CCHC_XL_CONFIG") or (cwd or Path.cwd()) / CONFIG_NAME)
    district: dict[str, str] = {}
    if config_path.is_file():
        with config_path.open("rb") as fh:
            district = tomllib.load(fh).get("district", {})
    key = os.environ.get("CCHC_XL_KEY") or district.get("key") or ""
    password = os.environ.get("CCHC_XL_PASSWORD") or district.get("sheet_password") or DEMO_PASSWORD
    return Settings(key=(key or DEMO_KEY).encode("utf-8"), key_is_demo=not key, sheet_password=password)
