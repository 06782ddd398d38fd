"""Write docs/rules.md from the one list of import rule ids (cchc_xl.messages.FINDINGS + evidence rules)."""

from __future__ import annotations

import sys
from pathlib import Path

from cchc_xl.messages import EVIDENCE_MESSAGES, EVIDENCE_SEVERITY, FINDINGS

SEVERITY = {"error": "lỗi (không tiếp nhận)", "warning": "cảnh báo", "info": "thông tin"}


def render() -> str:
    lines = ["# Mã quy tắc kiểm tra (rule ids)", "",
             "Sinh tự động bởi `python scripts/gen_rules_doc.py` từ `src/cchc_xl/messages.py` và",
             "the evidence section of the same file; đừng sửa tay. Mã quy tắc ổn định giữa các phiên bản.", "",
             "| mã | mức độ | nội dung mẫu |", "|---|---|---|"]
    rows = {rule: (sev, text) for rule, (sev, text) in FINDINGS.items()}
    rows.update({rule: (EVIDENCE_SEVERITY[rule], EVIDENCE_MESSAGES[rule]) for rule in EVIDENCE_SEVERITY})
    for rule in sorted(rows):
        sev, text = rows[rule]
        lines.append(f"| `{rule}` | {SEVERITY[sev]} | {text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    target.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
