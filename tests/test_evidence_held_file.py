"""A folder's file kept open while it is checked (intake.HeldFile): qpdf maps the file itself, and the
answer is the one for the bytes read — the file settled and unchanged, or else its bytes read again.

| case                                   | qpdf reads      | the check               |
|----------------------------------------|-----------------|-------------------------|
| settled file (changed long ago)        | the mapped file | the plain path's        |
| a file just written                    | the bytes       | the plain path's        |
| changed on disk after it was read      | the bytes again | the bytes' (not the disk's) |
| a zip's entry                          | the bytes       | the plain path's        |
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

import pytest
from asn1crypto import cms

from cchc_xl.evidence import check_cache, inspect, intake, lean_pdf, lean_signature, stream_scan
from cchc_xl.samplegen import pdfs
from conftest_evidence import write_zip


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_cache, "cache", check_cache.CheckCache())


def _mapped(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each PDF opened for the fast path was the mapped file."""
    seen: list[bool] = []
    plain = lean_pdf.opened

    def spy(data: bytes, held: intake.HeldFile | None = None):  # type: ignore[no-untyped-def]
        seen.append(held is not None and held.settled)
        return plain(data, held)

    monkeypatch.setattr(lean_pdf, "opened", spy)
    return seen


def _plain(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> inspect.FileCheck:
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    try:
        return inspect.inspect_file(name, data)
    finally:
        monkeypatch.delenv(stream_scan.SWITCH)


def _entry(folder: Path, name: str) -> intake.Entry:
    with intake.open_bundle(folder) as bundle:
        found = bundle.find(name)
    assert found is not None
    return found


def _signature_flipped(data: bytes) -> bytes:
    """The same file, one byte of its RSA signature value changed (same size)."""
    found = lean_signature.last_byte_range(data, inspect._BYTE_RANGE)
    assert found is not None
    start, end = found[1] + 1, found[2] - 1
    value = binascii.unhexlify(data[start:end])
    signature = cms.ContentInfo.load(value)["content"]["signer_infos"][0]["signature"].native
    changed = value.replace(signature, bytes([signature[0] ^ 1]) + signature[1:])
    return data[:start] + binascii.hexlify(changed).upper() + data[end:]


def test_a_settled_file_is_mapped_and_checked_as_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "SETTLED_NS", -10**18)  # every file counts as settled
    files = {"ky-so.pdf": pdfs.sign_pdf(pdfs.text_pdf(seed=3, pages=2)),
             "ban-chup.pdf": pdfs.scan_pdf(seed=4, pages=2, dpi=72)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    plain = {name: _plain(name, data, monkeypatch) for name, data in files.items()}
    seen = _mapped(monkeypatch)
    for name in files:
        assert inspect.inspect_entry(_entry(tmp_path, name)) == plain[name], name
    assert seen == [True, True]


def test_a_file_just_written_is_read_from_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = pdfs.sign_pdf(pdfs.text_pdf(seed=3, pages=1))
    (tmp_path / "moi.pdf").write_bytes(data)
    plain = _plain("moi.pdf", data, monkeypatch)
    seen = _mapped(monkeypatch)
    held = _entry(tmp_path, "moi.pdf").hold()
    assert held is not None
    with held:
        assert not held.settled and not held.unchanged()
    assert inspect.inspect_entry(_entry(tmp_path, "moi.pdf")) == plain
    assert seen == [False]


def test_a_file_changed_after_it_was_read_is_checked_as_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "SETTLED_NS", -10**18)
    data = pdfs.sign_pdf(pdfs.text_pdf(seed=6, pages=1))
    changed = _signature_flipped(data)
    assert len(changed) == len(data) and _plain("x.pdf", changed, monkeypatch).pdf.signatures[0].state == "broken"
    plain = _plain("doi.pdf", data, monkeypatch)
    path = tmp_path / "doi.pdf"
    path.write_bytes(data)
    held = _entry(tmp_path, "doi.pdf").hold()
    assert held is not None
    with held:
        assert held.data == data and held.unchanged()
        with open(path, "r+b") as writer:  # rewritten in place, as an editor saving over it would
            writer.write(changed)
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, held.identity[3]))  # even with its old modification time
        seen = _mapped(monkeypatch)
        check = inspect.inspect_file("doi.pdf", held.data, inspect.DEFAULT_LIMITS, held)
        assert not held.unchanged()
    assert check == plain
    assert check.pdf is not None and check.pdf.signatures[0].state == "valid"
    assert seen == [True, False]  # mapped first, then the bytes read again


def test_a_zip_entry_is_not_held(tmp_path: Path) -> None:
    data = pdfs.text_pdf(seed=1, pages=1)
    archive = write_zip(tmp_path / "minh-chung.zip", [("a.pdf", data)])
    with intake.open_bundle(archive) as bundle:
        assert bundle.entries[0].hold() is None
        assert inspect.inspect_entry(bundle.entries[0]).sha256 == inspect.inspect_file("a.pdf", data).sha256


def test_a_blocked_or_missing_file_reads_as_before(tmp_path: Path) -> None:
    (tmp_path / "lon.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 200)
    tight = intake.Limits(max_file_bytes=100)
    with intake.open_bundle(tmp_path, tight) as bundle:
        entry = bundle.entries[0]
        with pytest.raises(intake.EvidenceReadError) as blocked:
            entry.hold()
        assert blocked.value.rule == "evidence.file_too_large"
    entry = _entry(tmp_path, "lon.pdf")
    (tmp_path / "lon.pdf").unlink()
    assert inspect.inspect_entry(entry).issues[0].rule == "evidence.file_unreadable"
