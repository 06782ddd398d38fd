"""The metadata block of a generated workbook and its HMAC-SHA256 signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import Layout, set_fingerprint

META_KEYS = ("commune_code", "commune_name", "commune_kind", "set_id", "set_version", "set_sha256", "set_year",
             "template_version", "generated_at", "key_id", "digest", "body")
# Keys signed only when present: a workbook made before they existed still verifies.
_OPTIONAL = ("body",)


def signed_payload(meta: dict[str, str], keys: tuple[str, ...] = META_KEYS,
                   optional: tuple[str, ...] = _OPTIONAL) -> bytes:
    """The signed text of a workbook kind's metadata: its `keys` (an `optional` key only when present)."""
    signed = {k: meta.get(k, "") for k in keys if k not in optional or meta.get(k)}
    return json.dumps(signed, ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign(meta: dict[str, str], key: bytes, keys: tuple[str, ...] = META_KEYS,
         optional: tuple[str, ...] = _OPTIONAL) -> str:
    """The HMAC-SHA256 of a workbook kind's signed keys (the commune workbook's by default; the council's
    and the answer workbook's pass theirs)."""
    return hmac.new(key, signed_payload(meta, keys, optional), hashlib.sha256).hexdigest()


def verify(meta: dict[str, str], key: bytes, keys: tuple[str, ...] = META_KEYS,
           optional: tuple[str, ...] = _OPTIONAL) -> bool:
    return hmac.compare_digest(sign(meta, key, keys, optional), meta.get("hmac", ""))


def make_meta(layout: Layout, settings: Settings, generated_at: dt.datetime) -> dict[str, str]:
    c, s = layout.commune, layout.cset
    meta = {
        "commune_code": c.code, "commune_name": c.name, "commune_kind": c.kind,
        "set_id": s.id, "set_version": s.version, "set_sha256": set_fingerprint(s), "set_year": str(s.year),
        "template_version": str(template("commune").template_version),
        "generated_at": generated_at.replace(microsecond=0).isoformat(), "key_id": settings.key_id,
        "digest": layout.digest(), "body": layout.identity.body,
    }
    meta["hmac"] = sign(meta, settings.key)
    return meta
