"""Evidence intake: folders and zips, Vietnamese names, nothing escapes, zip-bomb limits."""

from __future__ import annotations

import os
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest

from cchc_xl.evidence import intake
from cchc_xl.evidence.inspect import inspect_bundle
from cchc_xl.evidence.intake import EvidenceReadError, Limits, best_legacy_decoding, open_bundle, read_file
from conftest_evidence import RawNameInfo, digest_tree, sample, to_cp1258, write_zip

VIETNAMESE_NAMES = [
    "Kế hoạch số 12-KH-UBND.pdf",
    "Quyết định 1550 Phù Yên.pdf",
    "Báo cáo CCHC quý III.pdf",
    "Tiêu chí 3.1.2/Thông báo niêm yết TTHC.pdf",
    "ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG.pdf",
]


def codes(bundle) -> list[str]:
    return [p.rule for p in bundle.problems]


def names(bundle) -> list[str]:
    return [e.name for e in bundle.entries]


# --- zip names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIETNAMESE_NAMES)
def test_cp1258_names_without_utf8_flag_are_recovered(tmp_path: Path, name: str) -> None:
    raw = to_cp1258(name)
    assert not raw.isascii()
    path = write_zip(tmp_path / "tlkc.zip", [(raw, sample("scan"))])
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].flag_bits & 0x800 == 0
        assert archive.namelist()[0] != name  # what a naive reader shows: cp437 mojibake
    before = digest_tree(path)
    with open_bundle(path) as bundle:
        assert names(bundle) == [name]
        assert ("evidence.zip_name_encoding", name, "cp1258") in [(p.rule, p.params["file"], p.params["detail"]) for p in
                                                                  bundle.problems]
        assert bundle.entries[0].read() == sample("scan")
    assert digest_tree(path) == before


@pytest.mark.parametrize("name", VIETNAMESE_NAMES)
def test_utf8_names_without_flag_are_not_left_as_cp437_mojibake(tmp_path: Path, name: str) -> None:
    path = write_zip(tmp_path / "tlkc.zip", [(name.encode("utf-8"), b"%PDF-1.4")])
    with zipfile.ZipFile(path) as archive:
        mojibake = archive.namelist()[0]
    assert mojibake == name.encode("utf-8").decode("cp437")
    with open_bundle(path) as bundle:
        assert names(bundle) == [name]
        assert "evidence.zip_name_encoding" not in codes(bundle)


def test_cp437_encoded_name_is_read_as_cp437(tmp_path: Path) -> None:
    # An old DOS-codepage tool can only write the Vietnamese letters cp437 has (á, à, â, é, ê, ô…).
    name = "Báo cáo thường niên.pdf".replace("ư", "u").replace("ờ", "o")  # "Báo cáo thuong niên.pdf"
    path = write_zip(tmp_path / "tlkc.zip", [(name.encode("cp437"), b"x")])
    with open_bundle(path) as bundle:
        assert names(bundle) == [name]


def test_flagged_utf8_names_and_nfd_names_are_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Kế hoạch.pdf")
    path = write_zip(tmp_path / "tlkc.zip", [(nfd, b"x"), ("Báo cáo.pdf", b"y")])
    with open_bundle(path) as bundle:
        assert names(bundle) == ["Báo cáo.pdf", "Kế hoạch.pdf"]
        assert bundle.find("kế hoạch") is not None


def test_unicode_path_extra_field_wins_over_legacy_bytes(tmp_path: Path) -> None:
    name = "Thông báo số 5.pdf"
    raw = to_cp1258(name).replace(b"\xf4", b"?")  # a lossy legacy name, as 7-Zip writes beside the field
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + name.encode("utf-8")
    extra = struct.pack("<HH", 0x7075, len(body)) + body
    path = write_zip(tmp_path / "tlkc.zip", [(RawNameInfo(raw, extra=extra), b"x")])
    with open_bundle(path) as bundle:
        assert names(bundle) == [name]


def test_legacy_decoding_prefers_vietnamese() -> None:
    raw = to_cp1258("Kế hoạch")
    assert best_legacy_decoding(raw) == ("Kế hoạch", "cp1258")
    assert vietnamese_looking(raw.decode("cp437")) is False


def vietnamese_looking(text: str) -> bool:
    from cchc_xl.evidence.intake import vietnamese_score

    return vietnamese_score(text) > 0


# --- nothing escapes ------------------------------------------------------------------------------


def test_unsafe_zip_paths_are_skipped(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "evil.zip", [
        ("../../etc/cron.d/evil.pdf", b"x"),
        ("/abs/path.pdf", b"x"),
        (b"C:\\Windows\\evil.pdf", b"x"),
        (b"..\\..\\evil2.pdf", b"x"),
        ("ok/../../evil3.pdf", b"x"),
        ("good/ok.pdf", b"x"),
    ])
    before = digest_tree(tmp_path)
    with open_bundle(path) as bundle:
        assert names(bundle) == ["good/ok.pdf"]
        assert codes(bundle).count("evidence.zip_unsafe_path") == 5
        inspect_bundle(bundle)
    assert digest_tree(tmp_path) == before  # nothing extracted, nothing changed


def test_windows_backslashes_become_folders(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "tlkc.zip", [(b"TC 1.1\\KH 12.pdf", b"x")])
    with open_bundle(path) as bundle:
        assert names(bundle) == ["TC 1.1/KH 12.pdf"]


def test_symlinked_zip_entries_are_skipped(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link.pdf")
    link.external_attr = (0o120777 << 16)
    path = write_zip(tmp_path / "tlkc.zip", [(link, b"/etc/passwd"), ("a.pdf", b"x")])
    with open_bundle(path) as bundle:
        assert names(bundle) == ["a.pdf"]
        assert codes(bundle) == ["evidence.zip_unsafe_path"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_folder_links_are_skipped_and_inputs_untouched(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(b"%PDF-secret")
    folder = tmp_path / "03922-gia-phu"
    (folder / "TC 1").mkdir(parents=True)
    (folder / "TC 1" / "KH.pdf").write_bytes(sample("scan"))
    (folder / "link.pdf").symlink_to(outside / "secret.pdf")
    (folder / "linkdir").symlink_to(outside, target_is_directory=True)
    before = digest_tree(folder)
    with open_bundle(folder) as bundle:
        assert names(bundle) == ["TC 1/KH.pdf"]
        assert sorted(str(p.params["file"]) for p in bundle.problems) == ["link.pdf", "linkdir"]
        assert set(codes(bundle)) == {"evidence.link_skipped"}
        inspect_bundle(bundle)
    assert digest_tree(folder) == before


def test_hidden_and_system_files_are_ignored(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "tlkc.zip", [
        ("__MACOSX/._a.pdf", b"x"), ("__MACOSX/sub/._b.pdf", b"x"), ("Thumbs.db", b"x"),
        ("sub/desktop.ini", b"x"), (".hidden.pdf", b"x"), ("~$draft.docx", b"x"), ("a.pdf", b"x"),
    ])
    with open_bundle(path) as bundle:
        assert names(bundle) == ["a.pdf"]
        ignored = [p.params["file"] for p in bundle.problems if p.rule == "evidence.file_ignored"]
        assert ignored == ["__MACOSX/", "Thumbs.db", "sub/desktop.ini", ".hidden.pdf", "~$draft.docx"]


def test_folder_names_are_nfc_and_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    nfd = unicodedata.normalize("NFD", "Quyết định.pdf")
    (folder / nfd).write_bytes(b"x")
    (folder / "a.pdf").write_bytes(b"y")
    (folder / ".DS_Store").write_bytes(b"z")
    with open_bundle(folder) as bundle:
        assert names(bundle) == ["Quyết định.pdf", "a.pdf"]
        assert bundle.find("QUYẾT ĐỊNH.PDF") is bundle.entries[0]


# --- limits ---------------------------------------------------------------------------------------


def test_zip_bomb_entry_is_not_read(tmp_path: Path) -> None:
    bomb = bytes(20 * 1024 * 1024)  # compresses about 1000 times
    path = write_zip(tmp_path / "bomb.zip", [("bomb.pdf", bomb), ("ok.pdf", sample("scan"))])
    assert path.stat().st_size < 200_000
    before = digest_tree(path)
    with open_bundle(path) as bundle:
        entry = bundle.find("bomb.pdf")
        assert entry is not None and entry.blocked == "evidence.zip_bomb"
        checks = {c.name: c for c in inspect_bundle(bundle)}
    assert [i.rule for i in checks["bomb.pdf"].issues] == ["evidence.zip_bomb"]
    assert checks["bomb.pdf"].sha256 == ""
    assert checks["ok.pdf"].form_ok
    assert digest_tree(path) == before


def test_total_size_and_count_limits(tmp_path: Path) -> None:
    entries = [(f"f{i:02}.pdf", bytes([i]) * 1000) for i in range(10)]
    path = write_zip(tmp_path / "many.zip", entries)
    with open_bundle(path, Limits(max_entries=4)) as bundle:
        assert len(bundle.entries) == 4
        assert codes(bundle) == ["evidence.bundle_too_large"]
    with open_bundle(path, Limits(max_total_bytes=3500, ratio_floor_bytes=10**9)) as bundle:
        assert len(bundle.entries) == 3
        assert codes(bundle) == ["evidence.bundle_too_large"]
    with open_bundle(path, Limits(max_file_bytes=999)) as bundle:
        assert {e.blocked for e in bundle.entries} == {"evidence.file_too_large"}


def test_folder_file_size_limit(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "big.pdf").write_bytes(b"%PDF-" + bytes(5000))
    with open_bundle(folder, Limits(max_file_bytes=1000)) as bundle:
        check = inspect_bundle(bundle, Limits(max_file_bytes=1000))[0]
    assert [i.rule for i in check.issues] == ["evidence.file_too_large"]


def test_a_file_is_read_whole_up_to_the_limit_even_when_it_grew_after_its_size_was_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-" + bytes(995))
    assert read_file(path, 1000) == path.read_bytes()
    with pytest.raises(EvidenceReadError) as refused:
        read_file(path, 999)
    assert (refused.value.rule, refused.value.detail) == ("evidence.file_too_large", intake._size_text(1000))
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((0,) * 6 + (10,) + (0,) * 3))  # "10 bytes"
    assert read_file(path, 1000) == path.read_bytes()  # read on past the size first seen
    with pytest.raises(EvidenceReadError):
        read_file(path, 999)
    monkeypatch.setattr(os, "fstat", real_fstat)


# --- broken bundles -----------------------------------------------------------------------------


def test_corrupt_zip_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    with open_bundle(path) as bundle:
        assert bundle.entries == []
        assert codes(bundle) == ["evidence.zip_corrupt"]


def test_truncated_zip_is_a_problem(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "full.zip", [("a.pdf", sample("scan"))])
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[:-30])
    with open_bundle(cut) as bundle:
        assert codes(bundle) == ["evidence.zip_corrupt"]


def test_damaged_entry_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", [("a.pdf", sample("scan"))])
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the compressed data
    path.write_bytes(bytes(data))
    with open_bundle(path) as bundle:
        check = inspect_bundle(bundle)[0]
    assert [i.rule for i in check.issues] == ["evidence.file_unreadable"]


def test_encrypted_zip_entry(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "pw.zip", [("secret.pdf", b"x"), ("open.pdf", b"y")])
    data = bytearray(path.read_bytes())
    # Mark secret.pdf encrypted (flag bit 0) in its local and central headers, as a password zip has it.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        header = data.find(signature)
        data[header + flag_offset] |= 0x1
    path.write_bytes(bytes(data))
    with open_bundle(path) as bundle:
        blocked = {e.name: e.blocked for e in bundle.entries}
    assert blocked == {"open.pdf": None, "secret.pdf": "evidence.zip_encrypted"}


def test_missing_bundle(tmp_path: Path) -> None:
    with open_bundle(tmp_path / "nowhere") as bundle:
        assert bundle.kind == "missing"
        assert codes(bundle) == ["evidence.bundle_missing"]


# --- find -----------------------------------------------------------------------------------------


def test_find_by_name_path_case_extension(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "t.zip", [
        ("Gia Phu/TC 1.1/Kế hoạch 12.PDF", b"a"),
        ("Gia Phu/TC 2/Kế hoạch 12.pdf", b"b"),
        ("Gia Phu/QĐ 12.2022.pdf", b"c"),
    ])
    with open_bundle(path) as bundle:
        def found(name: str) -> str | None:
            entry = bundle.find(name)
            return entry.name if entry else None

        assert found("kế hoạch 12.pdf") in {"Gia Phu/TC 1.1/Kế hoạch 12.PDF", "Gia Phu/TC 2/Kế hoạch 12.pdf"}
        assert found("TC 2\\Kế hoạch 12") == "Gia Phu/TC 2/Kế hoạch 12.pdf"
        assert found(unicodedata.normalize("NFD", "tc 1.1/KẾ HOẠCH 12")) == "Gia Phu/TC 1.1/Kế hoạch 12.PDF"
        assert found("QĐ 12.2022") == "Gia Phu/QĐ 12.2022.pdf"
        assert found("  qđ  12.2022.pdf ") == "Gia Phu/QĐ 12.2022.pdf"
        assert found("Kế hoạch") is None
        assert found("hoạch 12.pdf") is None  # basename must match whole
        assert found("") is None


def test_find_ignores_a_page_reference(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "t.zip", [("KH 12.pdf", b"a")])
    with open_bundle(path) as bundle:
        for typed in ("KH 12.pdf (trang 3)", "KH 12.pdf, tr. 2-4", "KH 12 trang 5", "kh 12.PDF [p. 7]"):
            assert bundle.find(typed) is bundle.entries[0], typed
