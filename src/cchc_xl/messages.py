"""Every user-facing Vietnamese text of the program (workbook sheet texts live in workbook_templates/).

Texts are format strings keyed by a stable id; `say(key, **params)` fills them, rendering Decimals the
Vietnamese way (1,25). Identifiers and developer logs stay in English elsewhere.
"""

from __future__ import annotations

from decimal import Decimal

from cchc_xl.numbers import fmt

MESSAGES: dict[str, str] = {
    # --- criteria set: structure --------------------------------------------------------------
    "set.yaml_invalid": "Tệp tiêu chí không đọc được (YAML sai cú pháp): {detail}",
    "set.not_found": "Không tìm thấy tệp tiêu chí: {path}",
    "set.field_invalid": "{place}: trường “{field}” không hợp lệ: {detail}",
    "set.field_missing": "{place}: thiếu trường bắt buộc “{field}”",
    "set.field_unknown": "{place}: trường “{field}” không được hỗ trợ",
    "set.excel_unreadable": "Không đọc được tệp Excel “{file}”: {detail}",
    "set.excel_sheet_missing": "Thiếu sheet “{sheet}” trong tệp tiêu chí",
    "set.excel_value": "{place}: giá trị “{value}” ở cột “{column}” không hợp lệ",
    # --- criteria set: consistency ------------------------------------------------------------
    "set.code_duplicate": "{place}: mã “{code}” bị trùng (đã dùng ở {other})",
    "set.code_hierarchy": "{place}: mã “{code}” không thuộc “{parent}” (phải bắt đầu bằng “{prefix}.”)",
    "set.code_format": "{place}: mã “{code}” không đúng dạng (lĩnh vực: I, II… hoặc 1, 2…; "
                       "tiêu chí: 1.1; tiêu chí thành phần: 1.1.1)",
    "set.children_sum": "{place}: tổng điểm tối đa các mục con là {sum}, khác điểm tối đa {max} của “{code}”",
    "set.total_sum": "Tổng điểm tối đa các lĩnh vực là {sum}, khác tổng điểm của bộ tiêu chí {total}",
    "set.max_not_positive": "{place}: điểm tối đa của “{code}” phải lớn hơn 0",
    "set.max_precision": "{place}: điểm tối đa của “{code}” chỉ được có tối đa 2 chữ số thập phân",
    "set.rule_missing": "{place}: “{code}” không có mục con nên phải có cách chấm điểm (rule)",
    "set.rule_on_parent": "{place}: “{code}” có mục con nên không được có cách chấm điểm riêng",
    "set.tiers_empty": "Bộ tiêu chí chưa có ngưỡng xếp loại",
    "set.tiers_order": "Ngưỡng xếp loại phải giảm dần, không trùng nhau (“{name}”: {min})",
    "set.tiers_range": "Ngưỡng xếp loại “{name}” ({min}) phải nằm trong khoảng 0 đến {total}",
    "set.tiers_cover": "Ngưỡng xếp loại thấp nhất phải là 0 để mọi tổng điểm đều được xếp loại",
    "set.adjust_cap": "{place}: điểm của “{code}” ({points}) vượt mức trần {cap} của khối",
    "set.area_empty": "{place}: lĩnh vực “{code}” chưa có tiêu chí nào",
    # --- criteria set: rule parameters (also used by the importer for declared values) --------
    "rule.level_out_of_range": "{place}: mức điểm {points} của “{code}” nằm ngoài khoảng 0 đến {max}",
    "rule.level_duplicate": "{place}: “{code}” có hai mức điểm trùng nhau",
    "rule.level_max_missing": "{place}: mức cao nhất của “{code}” phải bằng điểm tối đa {max}",
    "rule.thresholds_not_ordered": "{place}: các ngưỡng tỷ lệ của “{code}” phải giảm dần",
    "rule.tier_points_not_ordered": "{place}: điểm theo ngưỡng của “{code}” phải giảm dần",
    "rule.percent_out_of_range": "{place}: ngưỡng {percent}% của “{code}” phải từ 0 đến 100",
    "rule.per_item_above_max": "{place}: điểm mỗi lần ({per_item}) của “{code}” vượt điểm tối đa {max}",
    "rule.step_not_divisor": "{place}: bước chấm {step} của “{code}” không chia hết điểm tối đa {max}",
    # --- places ----------------------------------------------------------------------------------
    "place.node": "Mục “{code}”",
    "place.row": "Sheet “{sheet}”, dòng {row}",
    "place.set": "Thông tin bộ tiêu chí",
    "place.sheet": "Sheet “{sheet}”",
    # --- commune list ------------------------------------------------------------------------
    "communes.missing": "{file}, dòng {row}: thiếu mã (code) hoặc tên (name) đơn vị",
    "communes.duplicate": "{file}, dòng {row}: mã đơn vị {code} bị trùng",
    # --- criteria CLI ----------------------------------------------------------------------------
    "cli.criteria_ok": "Bộ tiêu chí “{id}” (phiên bản {version}) hợp lệ: {areas} lĩnh vực, {items} mục chấm "
                       "điểm, tổng {total} điểm.",
    "cli.criteria_bad": "Bộ tiêu chí có {count} lỗi:",
    "cli.criteria_exported": "Đã xuất bộ tiêu chí ra {path}",
    "cli.criteria_imported": "Đã đọc bộ tiêu chí từ {src} và ghi ra {path}",
    "cli.show_header": "{title} — phiên bản {version}, tổng {total} điểm",
    "cli.show_district": "do huyện chấm",
    "cli.show_tiers": "Xếp loại",
}


def say(key: str, **params: object) -> str:
    """The Vietnamese text for `key` with its parameters filled in."""
    text = MESSAGES[key]
    shown = {k: _show(v) for k, v in params.items()}
    return text.format(**shown)


def _show(value: object) -> object:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Decimal) for v in value):
        return "; ".join(fmt(v) for v in value)
    return value
