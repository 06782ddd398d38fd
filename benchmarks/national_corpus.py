"""A national corpus (10,600 communes) of realistic returns with evidence, in minutes rather than an hour.

    .venv/bin/python benchmarks/national_corpus.py --communes 10600 [--pool 1000] [--dir DIR] [--check]

Making 10,600 returns the slow way (bench_returns.py: openpyxl fills, LibreOffice re-saves, then
bench_pipeline.add_evidence: ~21,000 PDFs, half signed by pyHanko) takes about an hour here. Instead, a pool of
P returns is made that way once — exactly the corpus bench_pipeline.py uses at P communes, cached and keyed
like it — and commune i's return is derived from variant i % P at the zip level:

- the cells whose text names the commune (the layout of the variant's commune against commune i's: titles,
  the commune code, the place of signing) rewritten in the variant's own encoding (inline strings for the
  openpyxl saves, a new shared string for LibreOffice's), and the signed metadata redone for commune i: code,
  name, the layout digest, the HMAC with the round's key. Every other member is copied byte for byte (LibreOffice's
  bytes stay LibreOffice's); the members changed are deflated again;
- the file name as bench_returns names it (one in 25 named after another commune);
- the evidence folder: each unsigned file (a scan, a text PDF exported without a signature, a file the register
  does not name) is the variant's with its comment after %%EOF naming commune i's file (as add_evidence does);
  each signed PDF is the variant's with the file identifier of its signed revision made unique, and its
  signature redone (message digest and RSA signature, same key and certificate), so it is still valid and
  still covers the whole file. Any PDF this cannot do with certainty is made and signed the slow way.

P is a multiple of 200, so variant i % P has commune i's kind and all that bench_returns decides by the
index (rejected 1 in 10, renamed 1 in 25, LibreOffice 1 in 8): the mix of the corpus is the pool's.
`--check` proves the derivation: a sample of derived returns and their variants imported by `cchc-xl import`
in two rounds give the same statuses, totals and finding rules, and each derived return is identified as
its own commune.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import shutil
import struct
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_returns import CORPUS_VERSION, ROOT, corpus, run_command, write_communes
from common import bench_settings, corpus_key, synthetic_commune

from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.fastzlib import crc32, deflate_raw
from cchc_xl.identity import RoundIdentity
from cchc_xl.templates import template
from cchc_xl.workbook.generate import workbook_name
from cchc_xl.workbook.layout import Layout, build_layout
from cchc_xl.workbook.signing import sign, verify

DERIVED_VERSION = 1
POOL = 1000  # a multiple of 200: lcm of what bench_returns decides by index (8, 10, 20, 25) and the kinds (10, 25)
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_META_CHANGED = ("commune_code", "commune_name", "commune_kind", "digest", "hmac")


class Doubt(Exception):
    """The fast derivation cannot be sure of its result: the slow path (or an error) instead."""


# -- names -----------------------------------------------------------------------------------------------------
def return_name(index: int) -> str:
    """The file name bench_returns gives commune `index`'s return (one in 25 named after the next commune)."""
    if index % 25 == 7:
        other = synthetic_commune(index + 1)
        return f"{other.code}-{other.slug}-ban-sua.xlsx"
    return workbook_name(synthetic_commune(index))


def pool_inbox(pool: int, root: Path) -> Path:
    """The pool: bench_pipeline's corpus at `pool` communes, made the slow way once (returns, then evidence)."""
    from bench_pipeline import evidence

    inbox = corpus(pool, root)
    evidence(inbox, random.Random(pool))  # (bench_pipeline's own seed at that size: the same folders)
    return inbox


def derived_dir(n: int, pool: int, root: Path) -> Path:
    from bench_pipeline import EVIDENCE_VERSION

    return root / f"v{CORPUS_VERSION}-{corpus_key()}-{n}-from-{pool}-d{DERIVED_VERSION}-e{EVIDENCE_VERSION}"


# -- the zip level ------------------------------------------------------------------------------------------------
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


@dataclass
class Member:
    info: zipfile.ZipInfo
    raw: bytes  # as stored (deflated)
    text: str | None = None  # set when the member is changed


def read_members(data: bytes) -> list[Member]:
    members = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            magic, *_rest, name_len, extra_len = _LOCAL.unpack_from(data, info.header_offset)
            if magic != b"PK\x03\x04" or info.flag_bits & 0x1 or info.compress_type != zipfile.ZIP_DEFLATED:
                raise Doubt(info.filename)
            start = info.header_offset + _LOCAL.size + name_len + extra_len
            members.append(Member(info, data[start:start + info.compress_size]))
    return members


def member_text(m: Member) -> str:
    if m.text is None:
        import zlib

        m.text = zlib.decompress(m.raw, -15).decode("utf-8")
    return m.text


def write_zip(members: list[Member], changed: set[str]) -> bytes:
    """The archive: unchanged members' stored bytes copied, changed ones deflated again; no data descriptors."""
    out, central = bytearray(), bytearray()
    for m in members:
        info = m.info
        if info.filename in changed:
            assert m.text is not None
            plain = m.text.encode("utf-8")
            raw, crc, size = deflate_raw(plain, 6), crc32(plain), len(plain)
        else:
            raw, crc, size = m.raw, info.CRC, info.file_size
        name = info.filename.encode("utf-8")
        flag = 0x800 if not info.filename.isascii() else 0
        y, mo, d, h, mi, s = info.date_time
        dos_time, dos_date = (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
        offset = len(out)
        out += _LOCAL.pack(b"PK\x03\x04", 20, flag, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc, len(raw), size,
                           len(name), 0) + name + raw
        central += _CENTRAL.pack(b"PK\x01\x02", 20, 20, flag, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc, len(raw),
                                 size, len(name), 0, 0, 0, 0, info.external_attr, offset) + name
    end = _END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


# -- the cell level -----------------------------------------------------------------------------------------------
def _escape(text: str, charrefs: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(ch if ch.isascii() else f"&#{ord(ch)};" for ch in text) if charrefs else text


class SharedStrings:
    """The shared-string table of a LibreOffice save: new texts appended (old entries left, unused)."""

    def __init__(self, member: Member) -> None:
        self.member = member
        text = member_text(member)
        found = re.search(r'uniqueCount="(\d+)"', text)
        if found is None or not text.rstrip().endswith("</sst>"):
            raise Doubt("sharedStrings")
        self.count = int(found.group(1))
        self.added: list[str] = []

    def add(self, value: str) -> int:
        self.added.append(f'<si><t xml:space="preserve">{_escape(value, False)}</t></si>')
        return self.count + len(self.added) - 1

    def finish(self) -> None:
        text = member_text(self.member)
        text = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{self.count + len(self.added)}"', text, count=1)
        end = text.rindex("</sst>")
        self.member.text = text[:end] + "".join(self.added) + text[end:]


def set_text(xml: str, ref: str, value: str, sst: SharedStrings | None) -> str:
    """`xml` with cell `ref` holding the text `value`, kept in the way the cell held its text before."""
    start = xml.find(f'<c r="{ref}"')
    if start < 0:
        raise Doubt(ref)
    head_end = xml.index(">", start)
    head = xml[start:head_end + 1]
    end = head_end + 1 if head.endswith("/>") else xml.index("</c>", head_end) + 4
    style = re.search(r'\ss="\d+"', head)
    s = style.group(0) if style else ""
    kind = re.search(r'\st="(\w+)"', head)
    if kind is not None and kind.group(1) == "s":
        if sst is None:
            raise Doubt(ref)
        cell = f'<c r="{ref}"{s} t="s"><v>{sst.add(value)}</v></c>'
    elif kind is not None and kind.group(1) == "inlineStr":
        old = xml[head_end + 1:end]
        charrefs = "&#" in old  # (openpyxl's saves here write every non-ASCII letter as a reference)
        space = ' xml:space="preserve"' if "xml:space" in old else ""
        cell = f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(value, charrefs)}</t></is></c>'
    else:
        raise Doubt(ref)
    return xml[:start] + cell + xml[end:]


# -- one variant, many communes -----------------------------------------------------------------------------------
@dataclass
class Variant:
    index: int
    members: list[Member]
    sheets: dict[str, str]  # sheet name -> member name
    meta: dict[str, str]
    meta_refs: dict[str, str]  # meta key -> the cell holding its value
    layout: Layout
    stem: str


def _sheet_members(members: list[Member]) -> dict[str, str]:
    by_name = {m.info.filename: m for m in members}
    book = ET.fromstring(member_text(by_name["xl/workbook.xml"]))
    rels = ET.fromstring(member_text(by_name["xl/_rels/workbook.xml.rels"]))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for sheet in book.findall("m:sheets/m:sheet", _NS):
        target = targets[sheet.get(f"{{{_NS['r']}}}id")]
        out[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _meta_cells(members: list[Member], part: str) -> tuple[dict[str, str], dict[str, str]]:
    """(the metadata, the cell holding each key's value) from the meta sheet's columns A and B."""
    by_name = {m.info.filename: m for m in members}
    shared: list[str] = []
    if "xl/sharedStrings.xml" in by_name:
        sst = ET.fromstring(member_text(by_name["xl/sharedStrings.xml"]))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in sst.findall("m:si", _NS)]
    cells: dict[str, str] = {}
    for c in ET.fromstring(member_text(by_name[part])).iterfind("m:sheetData/m:row/m:c", _NS):
        ref, kind = c.get("r", ""), c.get("t")
        if kind == "inlineStr":
            cells[ref] = "".join(t.text or "" for t in c.iter(f"{{{_NS['m']}}}t"))
        elif kind == "s":
            cells[ref] = shared[int(c.findtext("m:v", "0", _NS))]
        elif c.findtext("m:v", None, _NS) is not None:
            cells[ref] = c.findtext("m:v", "", _NS)
    meta, refs = {}, {}
    for ref, key in cells.items():
        if ref.startswith("A") and ref[1:].isdigit():
            meta[key] = cells.get(f"B{ref[1:]}", "")
            refs[key] = f"B{ref[1:]}"
    return meta, refs


def load_variant(path: Path, index: int) -> Variant:
    data = path.read_bytes()
    members = read_members(data)
    sheets = _sheet_members(members)
    meta, meta_refs = _meta_cells(members, sheets[template("commune").sheets.meta])
    # Read by hand, so proved: the HMAC over what was read, the layout's digest of the commune it names.
    if not verify(meta, bench_settings().key) or not all(k in meta_refs for k in _META_CHANGED):
        raise Doubt(f"{path.name}: metadata")
    layout = _layout(Commune(code=meta["commune_code"], name=meta["commune_name"], kind=meta["commune_kind"]),
                     meta.get("body", ""))
    if layout.digest() != meta["digest"]:
        raise Doubt(f"{path.name}: digest")
    return Variant(index, members, sheets, meta, meta_refs, layout, path.stem)


@cache
def _criteria() -> CriteriaSet:
    return load_set()


def _layout(commune: Commune, body: str) -> Layout:
    return build_layout(_criteria(), commune, identity=RoundIdentity(body=body))  # as importing/verify.py does


def derive_return(v: Variant, index: int) -> bytes:
    """Commune `index`'s return from variant `v`: its texts, its signed metadata; the rest as the variant's."""
    target = synthetic_commune(index)
    commune = Commune(code=target.code, name=target.name, kind=target.kind)
    if commune.kind != v.meta["commune_kind"]:
        raise Doubt("kind")
    layout = _layout(commune, v.meta.get("body", ""))
    edits: dict[str, list[tuple[str, str]]] = {}
    for old, new in zip(v.layout.cells, layout.cells, strict=True):
        if old.formula != new.formula or (old.sheet, old.row, old.col) != (new.sheet, new.row, new.col):
            raise Doubt(f"{old.sheet}!{old.ref}")
        if old.value != new.value:
            if not isinstance(new.value, str):
                raise Doubt(f"{old.sheet}!{old.ref}")
            edits.setdefault(v.layout.sheets[old.sheet], []).append((old.ref, new.value))
    meta = {**v.meta, "commune_code": commune.code, "commune_name": commune.name, "commune_kind": commune.kind,
            "digest": layout.digest()}
    meta["hmac"] = sign(meta, bench_settings().key)
    edits.setdefault(layout.sheets["meta"], []).extend(
        (v.meta_refs[k], meta[k]) for k in _META_CHANGED if meta[k] != v.meta[k])
    members = [Member(m.info, m.raw) for m in v.members]  # (fresh texts: the variant's stay as read)
    by_name = {m.info.filename: m for m in members}
    sst_member = by_name.get("xl/sharedStrings.xml")
    sst = SharedStrings(sst_member) if sst_member is not None else None
    changed = set()
    for sheet, cells in edits.items():
        m = by_name[v.sheets[sheet]]
        xml = member_text(m)
        for ref, value in cells:
            xml = set_text(xml, ref, value, sst)
        m.text = xml
        changed.add(m.info.filename)
    if sst is not None and sst.added:
        sst.finish()
        changed.add("xl/sharedStrings.xml")
    return write_zip(members, changed)


# -- evidence -----------------------------------------------------------------------------------------------------
_BYTERANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_FILE_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")


@cache
def _signing_key() -> Any:
    from cryptography.hazmat.primitives import serialization

    from cchc_xl.samplegen.pdfs import demo_identity

    return serialization.load_der_private_key(demo_identity(seed=3).key_der, None,
                                              unsafe_skip_rsa_key_validation=True)


def resign(data: bytes, tag: str) -> bytes:
    """The signed PDF `data` with the file identifier of its signed revision derived from `tag`, and its
    signature redone for those bytes (same key, certificate, signing time): distinct, valid, covering the file."""
    from asn1crypto import cms
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    ranges = list(_BYTERANGE.finditer(data))
    if len(ranges) != 1:
        raise Doubt("byte range")
    a0, a1, b0, b1 = map(int, ranges[0].groups())
    if a0 != 0 or b0 + b1 != len(data) or data[a1:a1 + 1] != b"<" or data[b0 - 1:b0] != b">":
        raise Doubt("coverage")
    ids = list(_FILE_ID.finditer(data, b0))
    if not ids:
        raise Doubt("file id")
    at, old_id = ids[-1].start(2), ids[-1].group(2)
    new_id = hashlib.sha256(tag.encode("utf-8")).hexdigest()[:32].encode()
    new_id = new_id.upper() if old_id.isupper() else new_id
    out = bytearray(data)
    out[at:at + 32] = new_id
    old_md = hashlib.sha256(data[:a1] + data[b0:]).digest()
    new_md = hashlib.sha256(bytes(out[:a1]) + bytes(out[b0:])).digest()
    hex_text = data[a1 + 1:b0 - 1]
    der = bytes.fromhex(hex_text.decode("ascii"))
    if der.count(old_md) != 1:
        raise Doubt("message digest")
    der = der.replace(old_md, new_md)
    info = cms.ContentInfo.load(der, strict=False)
    signer = info["content"]["signer_infos"][0]
    if (signer["digest_algorithm"]["algorithm"].native != "sha256"
            or signer["signature_algorithm"].signature_algo != "rsassa_pkcs1v15"):
        raise Doubt("algorithm")
    attrs = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    if attrs.get("message_digest") != new_md:
        raise Doubt("message digest")
    old_sig = signer["signature"].native
    to_sign = b"\x31" + signer["signed_attrs"].dump()[1:]  # the attributes as a SET, which the signature covers
    new_sig = _signing_key().sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
    if len(new_sig) != len(old_sig) or der.count(old_sig) != 1:
        raise Doubt("signature")
    new_hex = der.replace(old_sig, new_sig).hex().encode()
    new_hex = new_hex.upper() if hex_text.isupper() else new_hex
    if len(new_hex) != len(hex_text):
        raise Doubt("contents")
    out[a1 + 1:b0 - 1] = new_hex
    return bytes(out)


def _slow_signed(stem: str, name: str, k: int) -> bytes:
    """add_evidence's signed PDF for this file, made and signed the slow way."""

    from bench_pipeline import issued

    from cchc_xl.samplegen.pdfs import DocSpec, demo_identity, sign_pdf, text_pdf

    spec = DocSpec(commune=stem, kind="KẾ HOẠCH", number=f"{k + 1}/KH-UBND", issued=issued(k),
                   subject=f"Thực hiện tiêu chí, tệp {name}", signer="Nguyễn Văn An")
    seed = int(hashlib.sha256(f"{stem}/{name}".encode()).hexdigest()[:8], 16)
    return sign_pdf(text_pdf(seed=seed, pages=1 + k % 3, spec=spec), demo_identity(seed=3))


def derive_evidence(variant_folder: Path, stem: str, folder: Path) -> tuple[int, int]:
    """Commune `stem`'s evidence folder from the variant's; (files, made the slow way)."""
    folder.mkdir(exist_ok=True)
    slow = 0
    for k, pdf in enumerate(sorted(variant_folder.iterdir())):
        data = pdf.read_bytes()
        if b"/ByteRange" in data:
            try:
                data = resign(data, f"{stem}/{pdf.name}")
            except Doubt:
                data, slow = _slow_signed(stem, pdf.name, k), slow + 1
        else:
            trailer = f"\n% {variant_folder.name}/{pdf.name}\n".encode()
            if not data.endswith(trailer):
                raise Doubt(f"{pdf}: scan trailer")
            data = data[:-len(trailer)] + f"\n% {stem}/{pdf.name}\n".encode()
        (folder / pdf.name).write_bytes(data)
    return len(list(folder.iterdir())), slow


# -- the corpus ---------------------------------------------------------------------------------------------------
def _derive_group(args: tuple[str, int, list[int], str]) -> tuple[int, int]:
    """Variant `v`'s communes: their returns and evidence folders; (evidence files, made the slow way)."""
    pool_dir, v, indices, inbox_dir = args
    pool, inbox = Path(pool_dir), Path(inbox_dir)
    variant = load_variant(pool / return_name(v), v)
    files = slow = 0
    for i in indices:
        name = return_name(i)
        if i == v:  # the pool's own return and folder, as made
            shutil.copy(pool / name, inbox / name)
            if (pool / variant.stem).is_dir():
                shutil.copytree(pool / variant.stem, inbox / variant.stem)
                files += len(list((inbox / variant.stem).iterdir()))
            continue
        (inbox / name).write_bytes(derive_return(variant, i))
        evidence = pool / variant.stem
        if evidence.is_dir():
            f, s = derive_evidence(evidence, Path(name).stem, inbox / Path(name).stem)
            files, slow = files + f, slow + s
    return files, slow


def national_corpus(n: int, pool: int = POOL, root: Path = ROOT, jobs: int | None = None) -> tuple[Path, int]:
    """(the inbox, its evidence files) of `n` communes: the first `pool` are the pool's own returns and
    folders, the others derived from them. Made once and kept."""
    if pool % 200:
        raise SystemExit("--pool must be a multiple of 200")
    where = derived_dir(n, pool, root)
    inbox = where / "inbox"
    done = where / "made.json"
    if done.exists():
        return inbox, json.loads(done.read_text(encoding="utf-8"))["evidence_files"]
    source = pool_inbox(pool, root)
    started = time.perf_counter()
    shutil.rmtree(where, ignore_errors=True)
    inbox.mkdir(parents=True)
    print(f"deriving {n} returns from the {pool} of {source} into {inbox} …", file=sys.stderr)
    groups = [(str(source), v, list(range(v, n, pool)), str(inbox)) for v in range(min(pool, n))]
    with ProcessPoolExecutor(max_workers=jobs) as workers:
        results = list(workers.map(_derive_group, groups, chunksize=4))
    write_communes(where / "communes.csv", n)
    made = {"returns": n, "pool": str(source), "evidence_files": sum(f for f, _ in results),
            "signed_slowly": sum(s for _, s in results), "seconds": round(time.perf_counter() - started, 1)}
    done.write_text(json.dumps(made, indent=1), encoding="utf-8")
    print(f"made in {made['seconds']} s: {n} returns, {made['evidence_files']} evidence files "
          f"({made['signed_slowly']} signed the slow way)", file=sys.stderr)
    return inbox, made["evidence_files"]


# -- the proof ----------------------------------------------------------------------------------------------------
def _rules(submission: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((f["severity"], f["rule"], f.get("criterion"), f.get("cell")) for f in submission["findings"])


def check(n: int, pool: int, root: Path, sample: int) -> bool:
    """Import `sample` derived returns (with evidence) and their variants; True when each pair gives the same
    status, total and findings, and each derived return is identified as its own commune."""
    inbox, _ = national_corpus(n, pool, root)
    source = pool_inbox(pool, root)
    rng = random.Random(16)
    derived = [i for i in range(pool, n)]
    # Every kind of variant: LibreOffice saves, renamed files, rejected ones, with evidence; then chance.
    lo = set(sorted(p.name for p in source.glob("*.xlsx"))[::8])
    wanted = [i for i in derived if return_name(i % pool) in lo][:sample // 4]
    wanted += [i for i in derived if i % 25 == 7][:sample // 8] + [i for i in derived if i % 10 == 3][:sample // 8]
    wanted += [i for i in derived if (source / Path(return_name(i % pool)).stem).is_dir()][:sample // 8]
    rest = [i for i in derived if i not in set(wanted)]
    wanted = sorted(set(wanted) | set(rng.sample(rest, min(len(rest), max(0, sample - len(set(wanted)))))))
    if len({i % pool for i in wanted}) != len(wanted):  # one derived return per variant: one file per name
        wanted = list({i % pool: i for i in wanted}.values())
    work = root / f"check-{n}-from-{pool}"
    shutil.rmtree(work, ignore_errors=True)
    reports = {}
    for side, pick in (("variants", lambda i: (source, i % pool)), ("derived", lambda i: (inbox, i))):
        box = work / side / "inbox"
        box.mkdir(parents=True)
        for i in wanted:
            folder, j = pick(i)
            name = return_name(j)
            shutil.copy(folder / name, box / name)
            if (folder / Path(name).stem).is_dir():
                shutil.copytree(folder / Path(name).stem, box / Path(name).stem)
        write_communes(work / side / "communes.csv", n)
        run_command(box, work / side / "run", jobs=2)
        report = json.loads((work / side / "run" / "out" / "import-report.json").read_text(encoding="utf-8"))
        reports[side] = {Path(s["file"]).name: s for s in report["submissions"]}
    ok = True
    for i in wanted:
        a, b = reports["variants"][return_name(i % pool)], reports["derived"][return_name(i)]
        same = (a["status"], a.get("self_total"), _rules(a)) == (b["status"], b.get("self_total"), _rules(b))
        own = b["commune_code"] == synthetic_commune(i).code
        clean = not any(r[1].startswith(("tamper.", "meta.")) for r in _rules(b))
        if not (same and own and clean):
            ok = False
            print(f"DIFFERENT {return_name(i % pool)} -> {return_name(i)}:\n  {a}\n  {b}")
    ok = _signatures_valid(work / "derived" / "inbox") and ok
    ok = _all_distinct(inbox) and ok
    statuses: dict[str, int] = {}
    for s in reports["derived"].values():
        statuses[s["status"]] = statuses.get(s["status"], 0) + 1
    rules = sorted({r[1] for s in reports["derived"].values() for r in _rules(s)})
    evidence = sum(len(list(p.iterdir())) for p in (work / "derived" / "inbox").iterdir() if p.is_dir())
    print(f"check: {len(wanted)} derived returns ({len([i for i in wanted if return_name(i % pool) in lo])} "
          f"LibreOffice saves, {evidence} evidence files) against their variants: "
          f"{'identical statuses, totals and findings' if ok else 'DIFFERENCES above'}; statuses {statuses}; "
          f"rules {rules}")
    return ok


def _signatures_valid(inbox: Path) -> bool:
    """Every signed PDF under `inbox` validated by pyHanko: intact, valid for its certificate, covering the
    whole file."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from cchc_xl.samplegen.pdfs import demo_identity

    trust = ValidationContext(trust_roots=[x509.Certificate.load(demo_identity(seed=3).certificate_der)])
    signed = [p for p in sorted(inbox.glob("*/*.pdf")) if b"/ByteRange" in p.read_bytes()]
    bad = []
    for pdf in signed:
        (sig,) = PdfFileReader(io.BytesIO(pdf.read_bytes())).embedded_signatures
        status = validate_pdf_signature(sig, trust)
        if not (status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE):
            bad.append(pdf)
    print(f"pyHanko: {len(signed) - len(bad)} of {len(signed)} signed PDFs intact, valid, covering the whole file")
    return not bad


def _all_distinct(inbox: Path) -> bool:
    """No two files of the corpus (returns, evidence PDFs) with the same bytes: no check is a cache hit."""
    files = [*inbox.glob("*.xlsx"), *inbox.glob("*/*.pdf")]
    digests = {hashlib.sha256(f.read_bytes()).digest() for f in files}
    print(f"{len(digests)} distinct contents among {len(files)} files")
    return len(digests) == len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10600)
    parser.add_argument("--pool", type=int, default=POOL)
    parser.add_argument("--dir", type=Path, default=ROOT)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--check", action="store_true", help="import derived returns and their variants, compare")
    parser.add_argument("--sample", type=int, default=80)
    args = parser.parse_args()
    started = time.perf_counter()
    inbox, pdfs = national_corpus(args.communes, args.pool, args.dir, args.jobs)
    print(f"{inbox}: {args.communes} returns, {pdfs} evidence files ({time.perf_counter() - started:.1f} s)")
    if args.check and not check(args.communes, args.pool, args.dir, args.sample):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
