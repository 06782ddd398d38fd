"""Every Vietnamese text of the evidence subsystem, and the severity of each evidence rule.

Keys that are rule ids (`evidence.<something>`, listed in RULE_SEVERITY) are finding messages; the other
keys are labels for the inventory and the command line. Messages say what is wrong, where (the file) and
what to do. To be merged into cchc_xl.messages.
"""

from __future__ import annotations

from cchc_xl.records import Severity

RULE_SEVERITY: dict[str, Severity] = {
    # --- intake: the folder or zip itself -------------------------------------------------------
    "evidence.bundle_missing": "error",
    "evidence.zip_corrupt": "error",
    "evidence.zip_bomb": "error",
    "evidence.bundle_too_large": "error",
    "evidence.zip_unsafe_path": "warning",
    "evidence.link_skipped": "warning",
    "evidence.zip_name_encoding": "info",
    "evidence.file_ignored": "info",
    # --- one file ----------------------------------------------------------------------------------
    "evidence.zip_encrypted": "error",
    "evidence.file_too_large": "error",
    "evidence.file_unreadable": "error",
    "evidence.file_empty": "error",
    "evidence.not_pdf": "error",
    "evidence.pdf_corrupt": "error",
    "evidence.pdf_no_pages": "error",
    "evidence.pdf_encrypted": "error",
    "evidence.pdf_header_junk": "warning",
    "evidence.pdf_restricted": "info",
    "evidence.pdf_not_scan_or_signed": "warning",
    "evidence.signature_broken": "error",
    "evidence.modified_after_signing": "error",
    "evidence.annotated_after_signing": "warning",
    "evidence.signature_unverifiable": "warning",
    # --- register against files, and across communes ------------------------------------------
    "evidence.file_missing": "error",
    "evidence.row_without_file": "warning",
    "evidence.file_unreferenced": "warning",
    "evidence.duplicate_across_communes": "warning",
}

EVIDENCE_MESSAGES: dict[str, str] = {
    # --- intake ----------------------------------------------------------------------------------
    "evidence.bundle_missing": (
        "Không tìm thấy thư mục hoặc tệp nén tài liệu kiểm chứng “{file}”. Đề nghị xã gửi kèm thư mục "
        "(hoặc tệp .zip) cùng tên với tệp Excel."
    ),
    "evidence.zip_corrupt": (
        "Tệp nén “{file}” bị hỏng hoặc không phải tệp .zip (chi tiết kỹ thuật: {detail}). Đề nghị xã nén "
        "lại thư mục tài liệu kiểm chứng (định dạng .zip) và gửi lại."
    ),
    "evidence.zip_bomb": (
        "Tệp “{file}” trong tệp nén có tỷ lệ nén bất thường hoặc dung lượng giải nén quá lớn ({detail}) "
        "nên không được đọc. Đề nghị xã kiểm tra lại tệp và nén lại."
    ),
    "evidence.bundle_too_large": (
        "Bộ tài liệu kiểm chứng “{file}” vượt giới hạn cho phép ({detail}); phần vượt quá không được kiểm"
        " tra. Đề nghị xã chỉ gửi các tệp cần thiết."
    ),
    "evidence.zip_unsafe_path": (
        "Tệp nén có mục “{file}” với đường dẫn không an toàn (ra ngoài thư mục, đường dẫn tuyệt đối hoặc "
        "liên kết) nên đã bị bỏ qua. Đề nghị xã nén lại thư mục tài liệu kiểm chứng bằng chức năng nén "
        "thông thường."
    ),
    "evidence.link_skipped": (
        "“{file}” là lối tắt/liên kết (hoặc trỏ ra ngoài thư mục) nên đã bị bỏ qua. Đề nghị chép chính "
        "tệp tài liệu vào thư mục kiểm chứng."
    ),
    "evidence.zip_name_encoding": (
        "Tên tệp “{file}” trong tệp nén được ghi theo bảng mã cũ ({detail}); chương trình đã tự đọc lại "
        "tên tiếng Việt. Đề nghị kiểm tra tên tệp hiển thị đúng."
    ),
    "evidence.file_ignored": "Bỏ qua “{file}” (tệp ẩn hoặc tệp hệ thống, không phải tài liệu kiểm chứng).",
    # --- one file ----------------------------------------------------------------------------------
    "evidence.zip_encrypted": (
        "Tệp “{file}” trong tệp nén được đặt mật khẩu nên không đọc được. Đề nghị xã nén lại không đặt "
        "mật khẩu."
    ),
    "evidence.file_too_large": (
        "Tệp “{file}” có dung lượng {detail}, vượt giới hạn cho phép nên không được kiểm tra. Đề nghị xã "
        "quét lại với độ phân giải thấp hơn hoặc tách tệp."
    ),
    "evidence.file_unreadable": (
        "Không đọc được tệp “{file}” (chi tiết kỹ thuật: {detail}). Đề nghị xã gửi lại tệp này."
    ),
    "evidence.file_empty": "Tệp “{file}” rỗng (0 byte). Đề nghị xã gửi lại đúng tệp tài liệu.",
    "evidence.not_pdf": (
        "Tệp “{file}” là {detail}, không phải PDF. Tài liệu kiểm chứng điện tử phải là bản quét PDF hoặc "
        "văn bản điện tử có chữ ký số. Đề nghị xã chuyển sang đúng dạng và gửi lại."
    ),
    "evidence.pdf_corrupt": (
        "Tệp PDF “{file}” bị hỏng, không mở được (chi tiết kỹ thuật: {detail}). Đề nghị xã quét hoặc xuất"
        " lại tệp PDF và gửi lại."
    ),
    "evidence.pdf_no_pages": "Tệp PDF “{file}” không có trang nào. Đề nghị xã gửi lại đúng tệp tài liệu.",
    "evidence.pdf_encrypted": (
        "Tệp PDF “{file}” được đặt mật khẩu mở nên không xem được. Đề nghị xã gỡ mật khẩu và gửi lại."
    ),
    "evidence.pdf_header_junk": (
        "Tệp PDF “{file}” có {detail} byte lạ trước phần đầu “%PDF-”; một số phần mềm sẽ không mở được. "
        "Đề nghị xã xuất lại tệp PDF."
    ),
    "evidence.pdf_restricted": (
        "Tệp PDF “{file}” có mật khẩu chủ sở hữu (hạn chế in, sao chép) nhưng vẫn xem được."
    ),
    "evidence.pdf_not_scan_or_signed": (
        "Tệp PDF “{file}” không phải bản quét và không có chữ ký số. Tài liệu kiểm chứng phải là bản quét"
        " văn bản giấy hoặc văn bản điện tử có chữ ký số. Đề nghị xã gửi bản quét hoặc bản có ký số."
    ),
    "evidence.signature_broken": (
        "Chữ ký số “{detail}” trong tệp “{file}” không còn hợp lệ: nội dung đã ký bị thay đổi. Đề nghị xã"
        " gửi lại bản gốc có chữ ký số."
    ),
    "evidence.modified_after_signing": (
        "Tệp “{file}” đã bị sửa nội dung sau khi ký số (chữ ký “{detail}”). Đề nghị xã gửi lại bản gốc đã"
        " ký, không chỉnh sửa."
    ),
    "evidence.annotated_after_signing": (
        "Tệp “{file}” được thêm ghi chú/đánh dấu sau khi ký số (chữ ký “{detail}”). Đề nghị kiểm tra ghi "
        "chú không che nội dung văn bản."
    ),
    "evidence.signature_unverifiable": (
        "Không kiểm tra được chữ ký số trong tệp “{file}” (chi tiết kỹ thuật: {detail}). Đề nghị kiểm tra"
        " tệp bằng phần mềm ký số."
    ),
    # --- register against files ----------------------------------------------------------------
    "evidence.file_missing": (
        "Danh mục tài liệu kiểm chứng ghi tệp “{file}” nhưng không có tệp này trong thư mục/tệp nén kiểm "
        "chứng{detail}. Đề nghị xã bổ sung tệp hoặc sửa tên tệp trong danh mục."
    ),
    "evidence.file_missing.hint": " (có tệp gần giống tên: “{candidate}”)",
    "evidence.row_without_file": (
        "Dòng tài liệu kiểm chứng của tiêu chí {criterion} chưa ghi tên tệp. Đề nghị xã ghi tên tệp tài "
        "liệu kiểm chứng ở cột cuối."
    ),
    "evidence.file_unreferenced": (
        "Tệp “{file}” có trong thư mục kiểm chứng nhưng không dòng nào của danh mục tài liệu kiểm chứng "
        "nhắc đến. Đề nghị xã ghi tệp vào danh mục hoặc bỏ tệp."
    ),
    "evidence.duplicate_across_communes": (
        "Tệp “{file}” có nội dung giống hệt tệp của {detail} (có thể sao chép). Đề nghị kiểm tra lại, trừ"
        " khi đó là văn bản chung của huyện."
    ),
    # --- short verdicts (inventory column) -----------------------------------------------------------
    "evidence.short.zip_encrypted": "tệp nén có mật khẩu",
    "evidence.short.file_too_large": "quá dung lượng cho phép",
    "evidence.short.zip_bomb": "tỷ lệ nén bất thường",
    "evidence.short.file_unreadable": "không đọc được",
    "evidence.short.file_empty": "tệp rỗng",
    "evidence.short.not_pdf": "không phải PDF",
    "evidence.short.pdf_corrupt": "PDF bị hỏng",
    "evidence.short.pdf_no_pages": "PDF không có trang",
    "evidence.short.pdf_encrypted": "PDF có mật khẩu mở",
    "evidence.short.pdf_header_junk": "có byte lạ trước %PDF-",
    "evidence.short.pdf_restricted": "có mật khẩu chủ sở hữu",
    "evidence.short.pdf_not_scan_or_signed": "không phải bản quét, không có chữ ký số",
    "evidence.short.signature_broken": "chữ ký số hỏng",
    "evidence.short.modified_after_signing": "bị sửa sau khi ký",
    "evidence.short.annotated_after_signing": "thêm ghi chú sau khi ký",
    "evidence.short.signature_unverifiable": "không kiểm tra được chữ ký",
    "evidence.short.file_unreferenced": "không có trong danh mục",
    "evidence.short.duplicate_across_communes": "trùng tệp của xã khác",
    # --- labels: file types ------------------------------------------------------------------------
    "evidence.kind.pdf": "tệp PDF",
    "evidence.kind.docx": "tệp Word (.docx)",
    "evidence.kind.xlsx": "tệp Excel (.xlsx)",
    "evidence.kind.pptx": "tệp PowerPoint (.pptx)",
    "evidence.kind.odt": "tệp văn bản OpenDocument (.odt)",
    "evidence.kind.ods": "tệp bảng tính OpenDocument (.ods)",
    "evidence.kind.zip": "tệp nén (.zip)",
    "evidence.kind.rar": "tệp nén (.rar)",
    "evidence.kind.7z": "tệp nén (.7z)",
    "evidence.kind.ole": "tệp Word/Excel cũ (.doc/.xls)",
    "evidence.kind.rtf": "tệp văn bản RTF",
    "evidence.kind.jpeg": "ảnh JPEG",
    "evidence.kind.png": "ảnh PNG",
    "evidence.kind.tiff": "ảnh TIFF",
    "evidence.kind.gif": "ảnh GIF",
    "evidence.kind.bmp": "ảnh BMP",
    "evidence.kind.empty": "tệp rỗng",
    "evidence.kind.unknown": "tệp không rõ định dạng",
    # --- labels: PDF page content ----------------------------------------------------------------
    "evidence.layout.scan": "bản quét (chỉ có ảnh)",
    "evidence.layout.scan_ocr": "bản quét có lớp chữ",
    "evidence.layout.text": "văn bản có lớp chữ",
    "evidence.layout.mixed": "trang quét lẫn trang chữ",
    "evidence.layout.blank": "không có chữ, không có ảnh",
    # --- labels: signature state -----------------------------------------------------------------
    "evidence.sig.none": "không có chữ ký số",
    "evidence.sig.valid": "nguyên vẹn",
    "evidence.sig.later_changes": "nguyên vẹn, có chỉnh sửa được phép sau khi ký",
    "evidence.sig.annotated": "có ghi chú thêm sau khi ký",
    "evidence.sig.modified": "bị sửa sau khi ký",
    "evidence.sig.broken": "hỏng (nội dung đã bị thay đổi)",
    "evidence.sig.unverifiable": "không kiểm tra được",
    # --- labels: verdicts and severities -------------------------------------------------------
    "evidence.verdict.ok": "Đạt",
    "evidence.severity.error": "Lỗi",
    "evidence.severity.warning": "Cảnh báo",
    "evidence.severity.info": "Thông tin",
    # --- command line ----------------------------------------------------------------------------
    "evidence.cli.title": "Tài liệu kiểm chứng: {source}",
    "evidence.cli.col.file": "Tệp",
    "evidence.cli.col.type": "Loại",
    "evidence.cli.col.size": "Dung lượng",
    "evidence.cli.col.pages": "Số trang",
    "evidence.cli.col.layout": "Nội dung",
    "evidence.cli.col.signature": "Chữ ký số",
    "evidence.cli.col.signer": "Người ký",
    "evidence.cli.col.signing_time": "Thời gian ký",
    "evidence.cli.col.verdict": "Kết luận",
    "evidence.cli.problems": "Các vấn đề phát hiện:",
    "evidence.cli.no_files": "Không có tệp tài liệu kiểm chứng nào.",
    "evidence.cli.summary": "{files} tệp, {errors} lỗi, {warnings} cảnh báo.",
    "evidence.cli.help": (
        "Kiểm tra một thư mục hoặc tệp .zip tài liệu kiểm chứng: liệt kê từng tệp (loại, số trang, bản "
        "quét hay có chữ ký số, chữ ký còn nguyên vẹn không) và các vấn đề."
    ),
}


def say(key: str, **params: object) -> str:
    """The Vietnamese text for `key` with its parameters filled in."""
    return EVIDENCE_MESSAGES[key].format(**params)


def severity_of(rule: str) -> Severity:
    return RULE_SEVERITY[rule]
