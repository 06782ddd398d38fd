"""Per-file checks: type by content, PDF structure, scans, encryption, signatures; never a crash."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_xl.evidence.inspect import detect_kind, inspect_file
from cchc_xl.evidence.intake import Limits, open_bundle
from cchc_xl.samplegen import pdfs
from conftest import examples
from conftest_evidence import digest_tree, sample


def rules(check) -> list[str]:
    return [issue.rule for issue in check.issues]


def test_text_pdf_has_a_text_layer_and_is_not_in_the_required_form() -> None:
    check = inspect_file("kh.pdf", sample("text"))
    assert check.kind == "pdf"
    assert check.size == len(sample("text"))
    assert check.sha256 == hashlib.sha256(sample("text")).hexdigest()
    assert check.pdf is not None and check.pdf.pages == 2 and check.pdf.layout == "text"
    assert not check.pdf.signed
    assert rules(check) == ["evidence.pdf_not_scan_or_signed"]
    assert not check.form_ok


def test_image_only_pdf_is_a_scan() -> None:
    check = inspect_file("scan.pdf", sample("scan"))
    assert check.pdf is not None
    assert (check.pdf.pages, check.pdf.layout, check.pdf.pages_with_text) == (2, "scan", 0)
    assert check.issues == ()
    assert check.form_ok


def test_pages_parsed_are_limited() -> None:
    data = pdfs.scan_pdf(seed=3, pages=4, dpi=40, quality=30)
    check = inspect_file("scan.pdf", data, Limits(max_pages_parsed=2))
    assert check.pdf is not None
    assert (check.pdf.pages, check.pdf.pages_checked) == (4, 2)


def test_pdf_with_user_password_cannot_be_read() -> None:
    check = inspect_file("pw.pdf", sample("encrypted_user"))
    assert check.pdf is not None and check.pdf.encrypted and check.pdf.needs_password
    assert rules(check) == ["evidence.pdf_encrypted"]
    assert not check.form_ok


def test_aes_encrypted_pdf_with_user_password() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sample("scan"))))
    writer.encrypt("secret", "owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    assert rules(inspect_file("aes.pdf", out.getvalue())) == ["evidence.pdf_encrypted"]


def test_owner_password_only_pdf_opens() -> None:
    check = inspect_file("restricted.pdf", sample("encrypted_owner"))
    assert check.pdf is not None and check.pdf.encrypted and not check.pdf.needs_password
    assert check.pdf.layout == "scan"
    assert rules(check) == ["evidence.pdf_restricted"]
    assert check.form_ok


def test_truncated_pdf_is_corrupt_not_a_crash() -> None:
    check = inspect_file("cut.pdf", sample("truncated"))
    assert check.kind == "pdf"
    assert "evidence.pdf_corrupt" in rules(check) or "evidence.pdf_no_pages" in rules(check)
    assert not check.form_ok


def test_junk_before_header_is_reported() -> None:
    check = inspect_file("mail.pdf", sample("junk_header"))
    assert check.kind == "pdf"
    assert check.pdf is not None and check.pdf.header_offset == 33
    assert rules(check)[0] == "evidence.pdf_header_junk"


@pytest.mark.parametrize(("kind", "expected"), [("png", "png"), ("docx", "docx")])
def test_non_pdf_renamed_pdf_is_detected_by_content(kind: str, expected: str) -> None:
    check = inspect_file("renamed.pdf", sample(kind))
    assert check.kind == expected
    assert rules(check) == ["evidence.not_pdf"]
    assert check.pdf is None and not check.form_ok


@pytest.mark.parametrize(("data", "kind"), [
    (b"", "empty"), (b"\xff\xd8\xff\xe0rest", "jpeg"), (b"II*\x00", "tiff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ole"), (b"PK\x03\x04garbage", "zip"),
    (b"hello world", "unknown"), (b"{\\rtf1 x}", "rtf"),
])
def test_kinds_by_magic(data: bytes, kind: str) -> None:
    assert detect_kind(data) == kind


def test_empty_file() -> None:
    assert rules(inspect_file("empty.pdf", b"")) == ["evidence.file_empty"]


# --- signatures -----------------------------------------------------------------------------------


def test_signed_pdf_is_intact_with_signer_and_time() -> None:
    check = inspect_file("signed.pdf", sample("signed"))
    assert check.pdf is not None and check.pdf.signed
    (sig,) = check.pdf.signatures
    assert sig.state == "valid"
    assert sig.intact and sig.valid and sig.covers_file_end and sig.changes == "none"
    assert sig.signer == "Nguyễn Văn An"
    assert sig.organisation == "UBND xã Gia Phù"
    assert sig.signing_time == pdfs.DEMO_SIGNING_TIME
    assert not sig.timestamped
    assert check.issues == ()
    assert check.form_ok  # a typed document, but digitally signed


def test_demo_certificate_has_non_repudiation() -> None:
    from cryptography import x509

    usage = pdfs.demo_identity().certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature


def test_bytes_changed_inside_signed_range_break_the_signature() -> None:
    check = inspect_file("tampered.pdf", sample("tampered"))
    assert check.pdf is not None
    (sig,) = check.pdf.signatures
    assert sig.state == "broken" and sig.intact is False
    assert rules(check) == ["evidence.signature_broken"]
    assert not check.form_ok


def test_incremental_update_after_signing_is_a_modification() -> None:
    data = sample("updated")
    assert data.startswith(sample("signed"))
    check = inspect_file("updated.pdf", data)
    assert check.pdf is not None
    (sig,) = check.pdf.signatures
    assert sig.intact and sig.valid  # the signed bytes themselves are unchanged…
    assert not sig.covers_file_end
    assert sig.state == "modified"  # …but content was added after them
    assert rules(check) == ["evidence.modified_after_signing"]
    assert not check.form_ok


def test_second_signature_is_an_allowed_later_change() -> None:
    check = inspect_file("cosigned.pdf", sample("cosigned"))
    assert check.pdf is not None
    first, second = check.pdf.signatures
    assert (first.state, second.state) == ("later_changes", "valid")
    assert (first.signer, second.signer) == ("Nguyễn Văn An", "Trần Thị Bình")
    assert check.issues == ()
    assert check.form_ok


def test_signed_scan() -> None:
    check = inspect_file("signed-scan.pdf", sample("signed_scan"))
    assert check.pdf is not None and check.pdf.layout == "scan" and check.pdf.signature_ok


def test_garbage_signature_is_unverifiable_not_a_crash() -> None:
    data = sample("signed").replace(b"/SubFilter /adbe.pkcs7.detached", b"/SubFilter /adbe.pkcs7.xxxxxxxx")
    data = data.replace(b"/Contents <3082", b"/Contents <0000", 1)
    check = inspect_file("odd.pdf", data)
    assert check.pdf is not None and check.pdf.signatures
    assert check.pdf.signatures[0].state in ("unverifiable", "broken")
    assert not check.form_ok


# --- determinism and robustness ------------------------------------------------------------------


def test_sample_pdfs_are_deterministic() -> None:
    assert pdfs.text_pdf(seed=7) == pdfs.text_pdf(seed=7)
    pdfs.scan_page_jpeg.cache_clear()
    assert pdfs.scan_pdf(seed=7, dpi=40) == pdfs.scan_pdf(seed=7, dpi=40)
    assert pdfs.sign_pdf(sample("text")) == sample("signed")
    assert pdfs.append_update(sample("signed")) == sample("updated")
    assert pdfs.encrypt_pdf(sample("scan"), user_password="123456") == sample("encrypted_user")
    assert pdfs.text_pdf(seed=7) != pdfs.text_pdf(seed=8)


def test_inspection_leaves_files_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for kind in ("text", "scan", "signed", "tampered", "updated", "encrypted_user", "truncated", "png"):
        (folder / f"{kind}.pdf").write_bytes(sample(kind))
    before = digest_tree(folder)
    with open_bundle(folder) as bundle:
        checks = [inspect_file(e.name, e.read()) for e in bundle.entries]
    assert len(checks) == 8
    assert digest_tree(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.pdf" for k in (
        "text", "scan", "signed", "tampered", "updated", "encrypted_user", "truncated", "png"))


def test_signing_time_of_inventory_is_vietnam_time() -> None:
    sig = inspect_file("signed.pdf", sample("signed")).pdf.signatures[0]  # type: ignore[union-attr]
    assert sig.signing_time is not None
    assert sig.signing_time.astimezone(dt.timezone(dt.timedelta(hours=7))).hour == 9


_FUZZ = settings(max_examples=examples(150, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    inspect_file("x.pdf", b"%PDF-1.7\n" + data)
    inspect_file("x.pdf", data)


@_FUZZ
@given(kind=st.sampled_from(["text", "scan", "signed", "updated"]), position=st.floats(0, 1),
       junk=st.binary(min_size=1, max_size=64))
def test_damaged_pdfs_never_crash(kind: str, position: float, junk: bytes) -> None:
    data = sample(kind)
    at = int(position * (len(data) - 1))
    check = inspect_file("x.pdf", data[:at] + junk + data[at + len(junk):])
    assert check.kind in ("pdf", "unknown", "zip", "jpeg", "png", "tiff", "gif", "bmp", "ole", "rtf", "rar",
                          "7z", "empty")
