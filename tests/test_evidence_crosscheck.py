"""Register rows against files, coverage, copies across communes, inventory, texts and the CLI."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

from click.testing import CliRunner

from cchc_xl.evidence import (
    EVIDENCE_MESSAGES,
    EVIDENCE_SEVERITY,
    covered_codes,
    crosscheck,
    duplicates_across_communes,
    inspect_bundle,
    inventory,
    open_bundle,
)
from cchc_xl.evidence.cli import evidence_check
from conftest_evidence import digest_tree, row, sample, to_cp1258, write_zip


def make_folder(root: Path, files: dict[str, str]) -> Path:
    """Files named as given (NFD names kept NFD on disk), contents from conftest_evidence.sample."""
    root.mkdir(parents=True, exist_ok=True)
    for name, kind in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sample(kind))
    return root


def by_rule(findings) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for item in findings:
        grouped.setdefault(item.rule, []).append(item)
    return grouped


def test_register_against_files(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Kế hoạch CCHC 2022.pdf")
    folder = make_folder(tmp_path / "03922-gia-phu", {
        nfd: "scan",
        "TC 2/Quyết định 15.pdf": "signed",
        "bao-cao.pdf": "tampered",
        "thua.pdf": "scan",
        "Bao cao quy III.docx": "docx",
    })
    rows = [
        row("1.1.1", "Kế hoạch CCHC 2022.pdf", number=5),  # NFC in the register, NFD on disk
        row("1.1.2", "KẾ HOẠCH CCHC 2022", number=6),  # case and no extension
        row("2.1", "quyết định 15.PDF", number=7),
        row("3.1", "bao-cao.pdf", number=8),  # signature broken
        row("3.2", "Báo cáo quý III.pdf", number=9),  # missing; a .docx with a close name exists
        row("3.3", number=10),  # no file at all
    ]
    before = digest_tree(folder)
    with open_bundle(folder) as bundle:
        checks = inspect_bundle(bundle)
        findings = crosscheck(rows, bundle, checks)
        covered = covered_codes(rows, bundle, checks)
        table = inventory(bundle, checks, rows)
    assert digest_tree(folder) == before

    assert covered == {"1.1.1", "1.1.2", "2.1"}
    grouped = by_rule(findings)
    assert set(grouped) == {"evidence.signature_broken", "evidence.file_missing", "evidence.row_without_file",
                            "evidence.file_unreferenced", "evidence.not_pdf"}
    (missing,) = grouped["evidence.file_missing"]
    assert (missing.severity, missing.criterion, missing.cell) == ("error", "3.2", "'Tài liệu kiểm chứng'!A9")
    assert "Báo cáo quý III.pdf" in missing.message and "Bao cao quy III.docx" in missing.message
    (broken,) = grouped["evidence.signature_broken"]
    assert (broken.criterion, broken.cell) == ("3.1", "'Tài liệu kiểm chứng'!A8")
    assert "bao-cao.pdf" in broken.message and "Nguyễn Văn An" in broken.message
    assert grouped["evidence.row_without_file"][0].criterion == "3.3"
    unreferenced = sorted(f.message for f in grouped["evidence.file_unreferenced"])
    assert len(unreferenced) == 2 and "thua.pdf" in unreferenced[1]
    assert all(f.criterion is None for f in grouped["evidence.file_unreferenced"])

    rows_by_path = {r.path: r for r in table}
    kh = rows_by_path["Kế hoạch CCHC 2022.pdf"]
    assert (kh.criteria, kh.verdict, kh.severity, kh.pages) == ("1.1.1; 1.1.2", "Đạt", None, 2)
    assert kh.link.endswith(nfd) and kh.sha256 == checks[[c.name for c in checks].index(kh.path)].sha256
    qd = rows_by_path["TC 2/Quyết định 15.pdf"]
    assert qd.signed and qd.signer == "Nguyễn Văn An" and qd.signature_state == "nguyên vẹn"
    assert qd.signing_time is not None and qd.signing_time.hour == 9
    assert rows_by_path["thua.pdf"].verdict == "Cảnh báo: không có trong danh mục"
    assert rows_by_path["bao-cao.pdf"].severity == "error"


def test_register_against_windows_zip(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "03901-suoi-to.zip", [
        (to_cp1258("Suối Tọ/Thông báo niêm yết TTHC.pdf"), sample("scan")),
        (to_cp1258("Suối Tọ/Kế hoạch tuyên truyền.pdf"), sample("text")),
    ])
    rows = [row("3.1.1", "Thông báo niêm yết TTHC.pdf"), row("1.3", "Kế hoạch tuyên truyền.pdf")]
    with open_bundle(path) as bundle:
        checks = inspect_bundle(bundle)
        assert covered_codes(rows, bundle, checks) == {"3.1.1"}  # the other one is neither scan nor signed
        rules = [f.rule for f in crosscheck(rows, bundle, checks)]
    assert sorted(rules) == ["evidence.pdf_not_scan_or_signed", "evidence.zip_name_encoding",
                             "evidence.zip_name_encoding"]


def test_bundle_level_problems_become_findings(tmp_path: Path) -> None:
    with open_bundle(tmp_path / "03904-muong-thai") as bundle:
        findings = crosscheck([row("1.1", "a.pdf")], bundle, inspect_bundle(bundle))
    assert [f.rule for f in findings] == ["evidence.bundle_missing", "evidence.file_missing"]
    assert findings[0].severity == "error" and "03904-muong-thai" in findings[0].message


def test_duplicates_across_communes(tmp_path: Path) -> None:
    checks = {}
    for commune, files in {
        "xã Gia Phù": {"kh.pdf": "scan", "rieng.pdf": "signed"},
        "xã Tường Phù": {"ke-hoach.pdf": "scan"},
        "xã Huy Bắc": {"khac.pdf": "tampered", "rong.pdf": "text"},
    }.items():
        with open_bundle(make_folder(tmp_path / commune, files)) as bundle:
            checks[commune] = inspect_bundle(bundle)
    found = duplicates_across_communes(checks)
    assert [f.rule for f in found["xã Gia Phù"]] == ["evidence.duplicate_across_communes"]
    assert "kh.pdf" in found["xã Gia Phù"][0].message
    assert "xã Tường Phù (tệp “ke-hoach.pdf”)" in found["xã Gia Phù"][0].message
    assert "xã Gia Phù (tệp “kh.pdf”)" in found["xã Tường Phù"][0].message
    assert found["xã Huy Bắc"] == []
    assert found["xã Gia Phù"][0].severity == "warning"


# --- texts ----------------------------------------------------------------------------------------


def test_every_rule_has_a_message_and_stable_id() -> None:
    for rule, severity in EVIDENCE_SEVERITY.items():
        assert re.fullmatch(r"evidence\.[a-z0-9_]+", rule)
        assert severity in ("error", "warning", "info")
        assert rule in EVIDENCE_MESSAGES
    fields = {name for text in EVIDENCE_MESSAGES.values()
              for _, name, _, _ in string.Formatter().parse(text) if name}
    assert fields <= {"file", "detail", "criterion", "candidate", "source", "files", "errors", "warnings"}


def test_messages_are_vietnamese_with_diacritics() -> None:
    for rule in EVIDENCE_SEVERITY:
        text = EVIDENCE_MESSAGES[rule]
        assert any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"), rule
        if EVIDENCE_SEVERITY[rule] != "info":
            assert "Đề nghị" in text, rule  # says what to do


# --- command line -------------------------------------------------------------------------------


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = make_folder(tmp_path / "good", {"scan.pdf": "scan", "signed.pdf": "signed"})
    bad = make_folder(tmp_path / "bad", {"scan.pdf": "scan", "tampered.pdf": "tampered"})
    runner = CliRunner()
    ok = runner.invoke(evidence_check, [str(good)], env={"COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    assert "scan.pdf" in ok.output and "Nguyễn Văn An" in ok.output and "Đạt" in ok.output
    failed = runner.invoke(evidence_check, [str(bad)], env={"COLUMNS": "200"})
    assert failed.exit_code == 1
    assert "không còn hợp lệ" in failed.output and "tampered.pdf" in failed.output
    missing = runner.invoke(evidence_check, [str(tmp_path / "none.zip")], env={"COLUMNS": "200"})
    assert missing.exit_code == 2 and "Không tìm thấy" in missing.output  # a usage mistake


def test_cli_on_zip(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "tlkc.zip", [(to_cp1258("Báo cáo số 35.pdf"), sample("scan")),
                                             ("../x.pdf", b"x")])
    result = CliRunner().invoke(evidence_check, [str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Báo cáo số 35.pdf" in result.output and "../x.pdf" in result.output


def test_inventory_without_register(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", {"a.pdf": "scan", "b.pdf": "encrypted_user", "c.pdf": "cosigned"})
    with open_bundle(folder) as bundle:
        table = {r.file: r for r in inventory(bundle, inspect_bundle(bundle))}
    assert table["a.pdf"].verdict == "Đạt" and table["a.pdf"].layout == "bản quét (chỉ có ảnh)"
    assert table["a.pdf"].signature_state == "không có chữ ký số" and not table["a.pdf"].signed
    assert table["b.pdf"].verdict == "Lỗi: PDF có mật khẩu mở" and table["b.pdf"].pages is None
    assert table["c.pdf"].signature_state == "nguyên vẹn, có chỉnh sửa được phép sau khi ký; nguyên vẹn"
    assert table["c.pdf"].criteria == "" and table["c.pdf"].type == "tệp PDF"
