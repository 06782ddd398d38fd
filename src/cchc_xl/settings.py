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

import codecs
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cchc_xl.messages import say

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


class ConfigError(ValueError):
    """A cchc-xl.toml that cannot be read: one Vietnamese message naming the file (and the line)."""


def read_config(path: Path) -> dict[str, Any]:
    """The TOML in `path`, as Windows editors save it too: a UTF-8 byte-order mark is skipped and UTF-16 (what
    PowerShell's `>` and Notepad's "Unicode" write) is decoded. ConfigError for anything else."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(say("config.unreadable", path=path, reason=exc.strerror or exc)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    if "\ufffd" in text:
        raise ConfigError(say("config.encoding", path=path))
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        raise ConfigError(say("config.syntax", path=path, line=where.group(1) if where else "?",
                              column=where.group(2) if where else "?")) from None


def load_settings(cwd: Path | None = None, config: Path | None = None) -> Settings:
    """Settings from the environment and `config` (default: CCHC_XL_CONFIG, else `cwd`'s cchc-xl.toml)."""
    config_path = config or Path(os.environ.get("CCHC_XL_CONFIG") or (cwd or Path.cwd()) / CONFIG_NAME)
    district: dict[str, str] = {}
    if config_path.is_file():
        district = read_config(config_path).get("district", {})
    key = os.environ.get("CCHC_XL_KEY") or district.get("key") or ""
    password = os.environ.get("CCHC_XL_PASSWORD") or district.get("sheet_password") or DEMO_PASSWORD
    return Settings(key=(key or DEMO_KEY).encode("utf-8"), key_is_demo=not key, sheet_password=password)
