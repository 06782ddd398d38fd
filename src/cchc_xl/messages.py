"""Every user-facing Vietnamese text of the program (workbook sheet texts live in workbook_templates/).

Texts are format strings keyed by a stable id; `say(key, **params)` fills them, rendering Decimals the
Vietnamese way (1,25). The texts of rules (what a check returns as a `records.Problem`: import findings,
evidence, criteria set problems) are read through one registry, `RULES` (severity, text, declared
parameters), and shown by `render(problem)`. Identifiers and developer logs stay in English elsewhere.
"""

from __future__ import annotations

import errno
from decimal import Decimal
from typing import NamedTuple

from cchc_xl.numbers import fmt
from cchc_xl.records import Problem, Severity

MESSAGES: dict[str, str] = {
    # --- criteria set: structure --------------------------------------------------------------
    "set.yaml_invalid": "Tệp tiêu chí không đọc được (YAML sai cú pháp): {detail}",
    "set.yaml_syntax": "sai cú pháp (thường do thụt lề lệch, thiếu dấu “:” hoặc thiếu dấu ngoặc)",
    "set.yaml_encoding": "tệp không ở bảng mã UTF-8; hãy lưu lại với mã hoá UTF-8",
    "set.yaml_unknown_place": "không xác định được vị trí lỗi",
    "set.not_found": "Không tìm thấy tệp tiêu chí: {path}",
    "set.unreadable": "Không đọc được tệp tiêu chí {path}: {reason}",
    "set.unreadable.directory": "đây là một thư mục, không phải tệp",
    "set.unreadable.permission": "không có quyền đọc tệp",
    "set.unreadable.other": "lỗi hệ thống khi đọc tệp (mã lỗi {errno})",
    "set.yaml_at": "{problem} (dòng {line}, cột {column})",
    "set.yaml_alias": "không dùng bí danh YAML (*tên, &tên) trong tệp tiêu chí; hãy viết đầy đủ từng mục",
    "set.yaml_depth": "tệp lồng nhau quá {limit} cấp",
    "set.yaml_too_large": "tệp lớn {size} byte, vượt giới hạn {limit} byte của tệp tiêu chí",
    "set.yaml_number": "số “{text}” không hợp lệ (chỉ dùng số thập phân hữu hạn, ví dụ 0.5)",
    "set.field_invalid": "{place}: trường “{field}” không hợp lệ: {detail}",
    "set.field_missing": "{place}: thiếu trường bắt buộc “{field}”",
    "set.field_unknown": "{place}: trường “{field}” không được hỗ trợ",
    "set.excel_unreadable": "Không đọc được tệp Excel “{file}”: {detail}",
    "set.excel_sheet_missing": "Thiếu sheet “{sheet}” trong tệp tiêu chí",
    "set.excel_value": "{place}: giá trị “{value}” ở cột “{column}” không hợp lệ",
    # what a field_invalid says, by pydantic error type (the English detail never reaches the user)
    "safety.detail.entries": "{n} tệp thành phần",
    "safety.detail.bytes": "{n} byte khi giải nén",
    "safety.detail.zip": "cấu trúc nén của tệp bị hỏng hoặc tệp bị cắt cụt",
    "safety.detail.unreadable": "không đọc được tệp từ đĩa",
    "safety.detail.unsupported": "tệp dùng kiểu nén không được hỗ trợ",
    "set.detail.other": "giá trị không đúng kiểu",
    "set.detail.missing": "thiếu giá trị",
    "set.detail.extra_forbidden": "trường không được hỗ trợ",
    "set.detail.decimal_parsing": "phải là một số, ví dụ 1 hoặc 0.5",
    "set.detail.decimal_type": "phải là một số, ví dụ 1 hoặc 0.5",
    "set.detail.finite_number": "phải là số hữu hạn (không được là NaN hay vô cực)",
    "set.detail.int_parsing": "phải là số nguyên",
    "set.detail.int_type": "phải là số nguyên",
    "set.detail.int_from_float": "phải là số nguyên",
    "set.detail.string_type": "phải là chữ (văn bản)",
    "set.detail.date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "set.detail.date_type": "phải là ngày dạng YYYY-MM-DD",
    "set.detail.date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "set.detail.date_from_datetime_inexact": "phải là ngày, không kèm giờ",
    "set.detail.literal_error": "không thuộc các giá trị cho phép",
    "set.detail.union_tag_invalid": "loại “{tag}” không có; chỉ dùng: {expected_tags}",
    "set.detail.union_tag_not_found": "thiếu loại cách chấm điểm (kind)",
    "set.detail.too_short": "phải có ít nhất {min_length} mục",
    "set.detail.list_type": "phải là một danh sách",
    "set.detail.dict_type": "phải là một bảng khoá–giá trị",
    "set.detail.model_type": "phải là một bảng khoá–giá trị",
    "set.detail.model_attributes_type": "phải là một bảng khoá–giá trị",
    "set.detail.bool_parsing": "phải là true hoặc false",
    "set.detail.bool_type": "phải là true hoặc false",
    "set.detail.greater_than": "phải lớn hơn {gt}",
    # --- bundled workbook templates (workbook_templates/*.yaml): an installation or editing mistake ----------
    "template.invalid": "Mẫu bảng tính {file} không hợp lệ: {problems}",
    "template.problem": "khoá “{field}”: {detail}",
    "template.detail.not_a_column": "không phải khoá của một cột trong bảng",
    "template.detail.one_count": "phải có đúng một chỗ {{n}} (số dòng) và không có dấu ngoặc nhọn nào khác",
    "template.detail.column_spec": "một cột ghi là [tiêu đề, độ rộng] hoặc [tiêu đề, độ rộng, kiểu ô nhập]",
    # --- criteria set: consistency ------------------------------------------------------------
    "set.code_duplicate": "{place}: mã “{code}” bị trùng: mã này đã dùng cho {first}{at}; "
                          "mã xuất hiện {count} lần trong bộ tiêu chí",
    "set.dup.area": "lĩnh vực “{title}”",
    "set.dup.criterion": "tiêu chí “{title}” thuộc lĩnh vực “{parent}”",
    "set.dup.sub": "tiêu chí thành phần “{title}” thuộc tiêu chí “{parent}”",
    "set.dup.bonus": "mục điểm thưởng “{title}”",
    "set.dup.penalty": "mục điểm trừ “{title}”",
    "set.dup.at": " ở {place}",
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
    "set.cap_invalid": "Mức trần {cap} của khối {block} phải không âm và có tối đa 2 chữ số thập phân",
    "set.block.bonus": "điểm thưởng",
    "set.block.penalty": "điểm trừ",
    "set.area_empty": "{place}: lĩnh vực “{code}” chưa có tiêu chí nào",
    "set.code_name": "{place}: mã “{code}” không dùng được làm tên ô trong Excel: chỉ dùng chữ cái không dấu, "
                     "chữ số, dấu chấm, dấu gạch dưới, bắt đầu bằng chữ cái hoặc chữ số, tối đa {limit} ký tự "
                     "(không dấu cách, không dấu tiếng Việt, không dùng “TONG”)",
    "set.code_name_clash": "{place}: mã “{code}” trùng tên ô Excel với tiêu chí “{other}” (dấu chấm được đổi "
                           "thành dấu gạch dưới); hãy đặt mã khác",
    "set.tier_duplicate": "Tên xếp loại “{name}” bị trùng: mỗi mức xếp loại phải có tên riêng",
    "set.tier_blank": "Ngưỡng xếp loại từ {min} điểm chưa có tên",
    "set.figure_label_blank": "{place}: số liệu {n} của “{code}” chưa có tên (đơn vị cần biết phải kê khai gì)",
    "set.rescale_no_body": "Bộ tiêu chí đặt quy đổi khi không chấm các tiêu chí do cơ quan đánh giá chấm, "
                           "nhưng không có tiêu chí nào do cơ quan đánh giá chấm",
    # --- criteria set: rule parameters (also used by the importer for declared values) --------
    "rule.level_out_of_range": "{place}: mức điểm {points} của “{code}” nằm ngoài khoảng 0 đến {max}",
    "rule.level_duplicate": "{place}: “{code}” có hai mức điểm trùng nhau",
    "rule.level_max_missing": "{place}: mức cao nhất của “{code}” phải bằng điểm tối đa {max}",
    "rule.thresholds_not_ordered": "{place}: các ngưỡng tỷ lệ của “{code}” phải giảm dần",
    "rule.tier_points_not_ordered": "{place}: điểm theo ngưỡng của “{code}” phải giảm dần",
    "rule.percent_out_of_range": "{place}: ngưỡng {percent}% của “{code}” phải từ 0 đến 100",
    "rule.per_item_above_max": "{place}: điểm mỗi lần ({per_item}) của “{code}” vượt điểm tối đa {max}",
    "rule.step_not_divisor": "{place}: bước chấm {step} của “{code}” không chia hết điểm tối đa {max}",
    "rule.points_precision": "{place}: mức điểm {points} của “{code}” chỉ được có tối đa 2 chữ số thập phân",
    # --- places ----------------------------------------------------------------------------------
    "place.node": "Mục “{code}”",
    "place.row": "Sheet “{sheet}”, dòng {row}",
    "place.set": "Thông tin bộ tiêu chí",
    "place.sheet": "Sheet “{sheet}”",
    "set.not_a_mapping": "không phải một bảng khoá–giá trị",
    "meta.key_note": " (mã khoá {key_id})",
    "tamper.renamed_note": " hoặc đổi tên (có sheet lạ “{sheet}”)",
    # --- commune list ------------------------------------------------------------------------
    "communes.not_found": "Không tìm thấy tệp danh sách đơn vị {file}.",
    "communes.unreadable": "Không đọc được tệp danh sách đơn vị {file} (không phải tệp .csv hoặc .xlsx, hoặc "
                           "tệp bị hỏng, đang mở ở chương trình khác).",
    "communes.empty": "{file}: danh sách đơn vị không có dòng nào.",
    "communes.no_code_column": "{file}, dòng tiêu đề: thiếu cột mã đơn vị (“Mã” hoặc “code”); các cột có: {found}.",
    "communes.no_name_column": "{file}, dòng tiêu đề: thiếu cột tên đơn vị (“Tên” hoặc “name”); các cột có: {found}.",
    "communes.code_empty": "{file}, dòng {row}: thiếu mã đơn vị.",
    "communes.name_empty": "{file}, dòng {row}: đơn vị mã {code} thiếu tên.",
    "communes.duplicate": "{file}, dòng {row}: mã đơn vị {code} bị trùng (đã có ở dòng {first}).",
    "communes.lost_zero": "{file}, dòng {row}: mã đơn vị {code} ngắn hơn các mã khác ({digits} chữ số): có phải "
                          "{meant}? (Excel hay bỏ số 0 ở đầu mã khi lưu.) Hãy sửa mã, lưu cột mã dạng văn bản, rồi "
                          "chạy lại.",
    "communes.kind_unknown": "{file}, dòng {row}: loại đơn vị “{kind}” không rõ (dùng một trong: {kinds}).",
    # --- rounds (đợt đánh giá) ----------------------------------------------------------------------
    "round.hint": "Hãy lập đợt đánh giá trước, trong thư mục làm việc: cchc-xl init THƯ_MỤC --criteria "
                  "TỆP_TIÊU_CHÍ.yaml --communes DANH_SÁCH.csv --year NĂM --body \"UBND huyện …\", rồi chạy "
                  "lệnh trong thư mục đó (hoặc thêm --workspace THƯ_MỤC).",
    "round.none_here": "Chưa có đợt đánh giá ở đây (không có tệp cchc-xl.toml của đợt trong thư mục này).",
    "round.none": "Chưa có cơ sở dữ liệu {db}.",
    "round.no_config": "Không có tệp {path}.",
    "round.config_unreadable": "Không đọc được tệp cấu hình {path} (sai cú pháp TOML?).",
    "round.config_exists": "Đã có tệp {path}: thư mục này đã là thư mục của một đợt đánh giá. Chọn thư mục "
                           "khác cho đợt mới.",
    "round.config_comment": "cchc-xl: đợt đánh giá {round} ({body}, năm {year}). Giữ kín tệp này: khoá ký "
                            "các bảng tự đánh giá nằm ở đây.",
    "round.store_unreadable": "Tệp {db} không phải cơ sở dữ liệu của cchc-xl hoặc đã hỏng.",
    "round.exists": "Đợt đánh giá {round} đã có trong {db}.",
    "round.body_empty": "Thiếu tên cơ quan đánh giá (--body, ví dụ \"UBND huyện Bắc Yên\").",
    "round.deadline_invalid": "Hạn nộp “{got}” không đúng dạng NĂM-THÁNG-NGÀY (ví dụ 2026-11-15).",
    "round.pick": "Cơ sở dữ liệu {db} có nhiều đợt đánh giá ({rounds}): chọn một bằng --round.",
    "round.unknown": "Không có đợt đánh giá {round} trong {db}; các đợt có: {rounds}.",
    "round.other_set": "Tệp {file} là bộ tiêu chí {got}, khác bộ tiêu chí của đợt đánh giá {round} ({set}). "
                       "Bỏ --criteria để dùng bộ của đợt, hoặc lập đợt mới cho bộ này (cchc-xl init).",
    "round.other_communes": "Danh sách {file} khác danh sách {count} đơn vị của đợt đánh giá {round}. Bỏ "
                            "--communes để dùng danh sách của đợt, hoặc lập đợt mới (cchc-xl init).",
    "round.created": "Đã lập đợt đánh giá {round}: {body}, năm {year}, bộ tiêu chí {set}, {count} đơn vị. "
                     "Cấu hình và khoá ký mới: {config}; cơ sở dữ liệu: {db}.",
    "round.next": "Các lệnh tiếp theo chạy trong thư mục {dir} (hoặc thêm --workspace {dir}), không cần "
                  "--criteria hay --communes.",
    # --- the store (SQLite file or PostgreSQL server) ----------------------------------------------
    "store.no_driver": "Muốn dùng cơ sở dữ liệu PostgreSQL {url} cần cài thêm thư viện psycopg: "
                       "pip install \"cchc-xl[postgres]\".",
    "store.unreachable": "Không kết nối được cơ sở dữ liệu PostgreSQL {url}. Kiểm tra máy chủ đang chạy, địa "
                         "chỉ, tên cơ sở dữ liệu, người dùng và mật khẩu (README, mục PostgreSQL).",
    "store.unusable": "Cơ sở dữ liệu PostgreSQL {url} không dùng được: máy chủ từ chối tạo hoặc nâng cấp các bảng "
                      "(người dùng cần là chủ của cơ sở dữ liệu; README, mục PostgreSQL).",
    "store.lost": "Mất kết nối với cơ sở dữ liệu PostgreSQL {url} giữa chừng. Những gì đã ghi vẫn còn nguyên; phần "
                  "đang ghi dở không được lưu. Chạy lại lệnh khi máy chủ hoạt động trở lại: tệp đã ghi nhận không "
                  "bị ghi trùng.",
    "store.copy_same": "Nguồn và đích là cùng một cơ sở dữ liệu ({db}): không có gì để chép.",
    "store.copy_none": "Cơ sở dữ liệu {db} không có đợt đánh giá nào để chép.",
    "store.copy_other_set": "Đợt {round} trong {dst} có bộ tiêu chí {dst_set}, khác bộ {src_set} của đợt cùng mã "
                            "trong {src}: không chép.",
    "store.copy_done": "Đã chép đợt {round} từ {src} sang {dst}: {submissions} bài nộp mới ({known} đã có), "
                       "{appraisals} kết quả thẩm định mới, {events} sự kiện mới.",
    "report.rounds_other_year": "Chỉ xếp hạng chung được các đợt cùng năm; các đợt đã chọn: {rounds}.",
    "report.rounds_other_set": "Chỉ xếp hạng chung được các đợt cùng bộ tiêu chí; các đợt đã chọn: {rounds}.",
    "report.rounds_shared_unit": "Đơn vị mã {code} có trong cả đợt {first} và đợt {second}: không xếp hạng "
                                 "chung được.",
    "status.header": "Đợt đánh giá {round}: {body}, năm {year}; bộ tiêu chí {set}; {count} đơn vị{deadline}.",
    "status.deadline": "; hạn nộp {date}",
    "status.line": "  {label}: {count}/{total}",
    "status.received": "Đã nhận",
    "status.accepted": "Được tiếp nhận",
    "status.appraised": "Đã thẩm định",
    "status.finalized": "Đã chốt",
    "status.missing": "Chưa nộp",
    "status.missing_names": "  Chưa nộp: {names}",
    "status.previous": "  Đợt trước trong cùng cơ sở dữ liệu: {round}.",
    "appraise.other_set": "Cơ sở dữ liệu có bản tự đánh giá theo bộ tiêu chí khác bộ của đợt ({set}): {codes}. "
                          "Không lập bảng thẩm định.",
    # --- criteria CLI ----------------------------------------------------------------------------
    "cli.criteria_ok": "Bộ tiêu chí “{id}” (phiên bản {version}) hợp lệ: {areas} lĩnh vực, {items} mục chấm "
                       "điểm, tổng {total} điểm.",
    "cli.criteria_bad": "Bộ tiêu chí có {count} lỗi:",
    "cli.criteria_exported": "Đã xuất bộ tiêu chí ra {path}",
    "cli.criteria_imported": "Đã đọc bộ tiêu chí từ {src} và ghi ra {path}",
    "cli.show_header": "{title} — phiên bản {version}, tổng {total} điểm",
    "cli.show_district": "do huyện chấm",
    "cli.show_tiers": "Xếp loại",
    "cli.show_bonus": "Điểm thưởng (cộng tối đa {cap} điểm):",
    "cli.show_penalty": "Điểm trừ (trừ tối đa {cap} điểm):",
    "cli.show_adjustment": "{code} {title}: {points} điểm",
    "cli.demo_key": "Lưu ý: đang dùng khoá ký thử nghiệm. Khi dùng thật, đặt khoá riêng của huyện trong biến môi "
                    "trường CCHC_XL_KEY hoặc tệp cchc-xl.toml.",
    "cli.generate_failed": "Không ghi được bảng tự đánh giá của đơn vị {code} ({why}); các đơn vị khác không bị "
                           "ảnh hưởng. Đóng tệp nếu đang mở (Excel, WPS) hoặc kiểm tra thư mục ghi bảng rồi chạy lại lệnh.",
    "generate.worker_died": "Một tiến trình tạo bảng tự đánh giá bị dừng đột ngột (có thể do máy thiếu bộ nhớ): các "
                            "bảng đã tạo xong nằm trong {dir}, không có bảng ghi dở. Chạy lại lệnh, hoặc chạy với "
                            "--jobs 1.",
    "cli.generated": "Đã tạo {count} bảng tự đánh giá trong thư mục {out}",
    "cli.importing": "Đang tiếp nhận",
    "cli.appraise_prepared": "Đã lập {count} bảng thẩm định trong {dir}.",
    "cli.appraise_skipped": "Không lập bảng thẩm định cho {codes} (bản tự đánh giá không được tiếp nhận hoặc đã chốt).",
    "appraise.submission_gone": "bản tự đánh giá của đơn vị vừa được rút trong lúc lập bảng",
    "cli.appraise_failed": "Không lập được bảng thẩm định cho đơn vị {code} ({why}); các đơn vị khác không bị ảnh "
                           "hưởng. Kiểm tra thư mục ghi bảng rồi chạy lại lệnh.",
    "appraise.interrupted": "Lập bảng thẩm định bị dừng giữa chừng: các bảng đã lập xong nằm trong {dir}, mỗi bảng "
                            "được ghi trọn vẹn (không có bảng ghi dở). Chạy lại lệnh để lập đủ.",
    "appraise.worker_died": "Một tiến trình lập bảng thẩm định bị dừng đột ngột (có thể do máy thiếu bộ nhớ): các "
                            "bảng đã lập xong nằm trong {dir}, không có bảng ghi dở. Chạy lại lệnh, hoặc chạy với "
                            "--jobs 1.",
    "cli.appraise_columns": "Tệp|Đơn vị|Kết quả|Điểm thẩm định|Xếp loại|Số điểm thay đổi|Lỗi",
    "cli.appraise_done": "Đã đọc {count} bảng thẩm định: {recorded} được ghi nhận, {rejected} bị từ chối"
                         "{unchanged}.",
    "cli.appraise_unchanged": ", {count} đã nhập trước đó (không đổi)",
    "cli.finalized": "Đã chốt kết quả: {codes}.",
    "cli.finalize_none": "Không có đơn vị nào đã thẩm định để chốt.",
    "cli.reopened": "Đã mở lại kết quả của đơn vị {code}; lý do đã được ghi lại.",
    "cli.reopen_refused": "Đơn vị {code} chưa được chốt nên không cần mở lại.",
    "cli.history_header": "Lịch sử điểm tiêu chí {criterion} của đơn vị {code}:",
    "cli.history_self": "  {at}  tự đánh giá (lần {version}, {file}): {points}",
    "cli.history_appraisal": "  {at}  thẩm định ({by}, {file}): {points} — lý do: {reason}{superseded}",
    "cli.history_superseded": " (đã được thay thế)",
    "cli.history_events": "Các sự kiện:",
    "cli.history_round1": "  {at}  thẩm định vòng 1 ({by}, {file}): {points} — lý do: {reason}{superseded}",
    "cli.history_round2": "  {at}  thẩm định vòng 2, sau giải trình ({by}, {file}): {points} — lý do: {reason}"
                          "{superseded}",
    "cli.history_answer": "  {at}  đơn vị trả lời ({by}, {file}): {answer}{explanation}{evidence}{status}",
    "cli.history_answer_deemed": "  {at}  đơn vị không gửi bảng giải trình trước hạn {deadline}: coi như đồng ý",
    "cli.history_answer_explanation": " — giải trình: {text}",
    "cli.history_answer_evidence": " — TLKC bổ sung: {files}",
    "cli.history_answer_rejected": " (không được ghi nhận: {reason})",
    "cli.answers_written": "Đã lập {count} bảng giải trình trong {dir}; hạn gửi lại {deadline}.",
    "cli.answers_skipped": "Không lập bảng giải trình cho {codes} (không có điểm thẩm định khác điểm tự đánh giá, "
                           "đã trả lời, đã thẩm định vòng 2 hoặc đã chốt).",
    "cli.answers_no_deadline": "Chưa có hạn gửi lại bảng giải trình: hãy ghi --deadline NĂM-THÁNG-NGÀY.",
    "cli.answers_bad_date": "Ngày “{got}” không đúng dạng NĂM-THÁNG-NGÀY (ví dụ 2026-12-10).",
    "cli.answers_columns": "Tệp|Đơn vị|Kết quả|Tiêu chí giải trình|Lỗi",
    "cli.answers_done": "Đã đọc {count} bảng giải trình: {recorded} được ghi nhận, {rejected} bị từ chối{unchanged}.",
    "cli.round2_prepared": "Đã lập {count} bảng thẩm định vòng 2 (chỉ các tiêu chí được giải trình) trong {dir}.",
    "cli.round2_deemed": "Không gửi giải trình trước hạn, được ghi nhận là đồng ý với kết quả vòng 1: {codes}.",
    "cli.round2_pending": "Chưa đến hạn hoặc cần lập lại bảng giải trình, chưa đưa vào vòng 2: {codes}.",
    "cli.round2_accepted": "Đồng ý toàn bộ kết quả vòng 1: {codes}.",
    "cli.finalize_refused": "Chưa chốt {code}: {why}. Dùng --force để chốt vẫn (được ghi lại).",
    "cli.finalize_why_pending": "đang chờ đơn vị gửi bảng giải trình (hạn {deadline})",
    "cli.finalize_why_stale": "kết quả vòng 1 đã thay đổi sau khi gửi bảng giải trình; cần lập lại bảng giải trình",
    "cli.finalize_why_contested": "các tiêu chí {items} đang được giải trình, chưa thẩm định vòng 2",
    "cli.finalize_forced": "Đã chốt {code} dù còn giải trình chưa xử lý ({why}); đã ghi lại.",
    "status.answers": "  Giải trình: {issued} bảng đã gửi, {received} đã nhận, {deemed} quá hạn coi như đồng ý, "
                      "{pending} đang chờ, {contested} chờ thẩm định vòng 2, {decided} đã thẩm định vòng 2.",
    "cli.report_no_store": "Chưa có cơ sở dữ liệu {db}: hãy tiếp nhận (cchc-xl import) trước khi lập báo cáo.",
    "cli.report_done": "Đã lập bảng xếp hạng {path}: {ranked}/{listed} đơn vị được xếp hạng ({stage}). "
                       "Xếp loại: {tiers}. Đứng đầu: {first}.",
    "cli.report_stage_self": "điểm tự đánh giá, chưa thẩm định",
    "cli.report_stage_final": "điểm cuối cùng sau thẩm định",
    "cli.report_stage_mixed": "một phần đã thẩm định",
    "cli.report_stage_none": "chưa có kết quả",
    "demo.generate": "1. Tạo {count} bảng tự đánh giá vào {dir}",
    "demo.fill": "2. Mô phỏng các xã điền và gửi lại (kèm TLKC dạng PDF, một số lỗi cố ý) vào {dir}",
    "approval.points": "{points} điểm",
    "approval.blank": "ô điểm để trống",
    "approval.trusted": "đã được xác minh theo chứng thư gốc tin cậy",
    "approval.untrusted": "chữ ký nguyên vẹn nhưng chưa xác minh được người ký (không có trong danh sách "
                          "chứng thư tin cậy)",
    "demo.approvals": "   Văn bản phê duyệt: in sheet “Phụ lục 2” bằng LibreOffice, rồi ký số hoặc scan (có dấu, chữ "
                      "ký); một xã có văn bản khác bảng một mục, một xã không có",
    "demo.no_approvals": "   Máy không có LibreOffice: không tạo được văn bản phê duyệt (Phụ lục 2 đã ký); thiếu văn "
                         "bản phê duyệt chỉ được cảnh báo trong bản demo này.",
    "demo.import": "3. Tiếp nhận hộp thư",
    "demo.planted": "Các lỗi cố ý cài vào và phát hiện tương ứng:",
    "demo.planted_line": "  - {commune} [{kind}] → {rule}: {found}",
    "demo.not_found": "KHÔNG PHÁT HIỆN",
    "demo.report": "5. Lập bảng xếp hạng cho lãnh đạo",
    "demo.outputs": "Kết quả nằm trong {dir}: 1-bang-tu-danh-gia (bảng trắng), 2-hop-thu (bài gửi về), "
                    "3-ket-qua-tiep-nhan (báo cáo, bảng kiểm tra, tệp phản hồi), 4-tham-dinh, 5-tham-dinh-da-nhap, "
                    "6-ket-qua-tham-dinh, 6a-giai-trinh … 6f-ket-qua-vong-2 (vòng giải trình), 7-xep-hang.xlsx, "
                    "cchc.sqlite.",
    "demo.appraise": "4. Hội đồng thẩm định (mô phỏng): lập bảng, nhập điểm thẩm định, ghi nhận và chốt kết quả",
    # --- safety: demo folder, backups, withdraw, dry run, mistakes (issue 14) ----------------------
    "demo.not_a_folder": "Không chạy thử vào {dir}: đây là một tệp (hoặc lối tắt), không phải thư mục. Hãy chọn "
                         "một thư mục mới, ví dụ: cchc-xl demo chay-thu. Không có gì bị thay đổi.",
    "demo.folder_unreadable": "Không đọc được thư mục {dir}. Hãy chọn một thư mục mới, ví dụ: cchc-xl demo "
                              "chay-thu.",
    "demo.folder_not_empty": "Không chạy thử vào {dir}: thư mục đã có {count} mục không do lệnh demo tạo ra (có "
                             "thể là thư mục làm việc thật). Lệnh demo chỉ ghi vào thư mục mới, thư mục trống, "
                             "hoặc thư mục do chính nó tạo lần trước. Hãy chọn thư mục khác, ví dụ: cchc-xl demo "
                             "chay-thu. Không có gì bị thay đổi.",
    "demo.marker": "Thư mục này do lệnh cchc-xl demo tạo ra; chạy lại demo vào đây sẽ ghi đè các kết quả chạy thử.",
    "import.interrupted": "Tiếp nhận bị dừng sau {done}/{total} tệp: {done} tệp đã đọc xong được lưu trong {db}; "
                          "báo cáo và bảng kiểm tra của lần này chưa được ghi. Chạy lại cùng lệnh: tệp đã lưu không "
                          "bị lưu hai lần.",
    "import.interrupted_dry": "Chạy thử bị dừng sau {done}/{total} tệp; không có gì được lưu.",
    "import.worker_died": "Một tiến trình đọc tệp bị dừng đột ngột (có thể do máy thiếu bộ nhớ) sau {done}/{total} "
                          "tệp: {done} tệp đã đọc xong được lưu trong {db}; báo cáo và bảng kiểm tra của lần này "
                          "chưa được ghi. Chạy lại cùng lệnh (tệp đã lưu không bị lưu hai lần), hoặc chạy với "
                          "--jobs 1.",
    "import.worker_died_dry": "Một tiến trình đọc tệp bị dừng đột ngột sau {done}/{total} tệp; không có gì được lưu. "
                              "Chạy lại lệnh, hoặc chạy với --jobs 1.",
    "store.waiting": "Cơ sở dữ liệu {db} đang được một lệnh hoặc chương trình khác ghi; đang chờ (tối đa {seconds} "
                     "giây)…",
    "import.files": "tệp",
    "import.phase.read": "Đọc và kiểm tra",
    "import.phase.crosscheck": "Đối chiếu tài liệu giữa các đơn vị",
    "import.phase.revise": "Cập nhật tệp phản hồi",
    "import.phase.write": "Ghi báo cáo và bảng kiểm tra",
    "import.finding_line": "  {file}: [{severity}] {rule}{where}: {message}",
    "import.severity.error": "lỗi",
    "import.severity.warning": "cảnh báo",
    "import.severity.info": "thông tin",
    "cli.quiet_help": "Chỉ in dòng tổng kết (và các lỗi).",
    "cli.verbose_help": "In thêm từng phát hiện của từng tệp.",
    "event.round_created": "Lập đợt đánh giá ({body}, năm {year}, bộ tiêu chí {set})",
    "event.submission": "Nhận bản tự đánh giá lần {version} ({file}): {status}",
    "event.submission_revised": "Cập nhật kết quả bản lần {version} ({file}): {status}{uncounted}",
    "event.appraisal": "Nhập bảng thẩm định ({file}, người thẩm định {by}): {status}, {changed} điểm thay đổi",
    "event.finalize": "Chốt kết quả (bởi {by})",
    "event.reopen": "Mở lại kết quả (bởi {by}), lý do: {reason}",
    "event.withdrawn": "Rút bản tự đánh giá lần {version} ({file}, bởi {by}), lý do: {reason}",
    "event.answer_request": "Lập bảng giải trình (hạn {deadline}; tiêu chí: {items})",
    "event.answer": "Nhận bảng giải trình ({file}, bởi {by}): {status}; giải trình các tiêu chí: {contested}",
    "event.finalize_forced": "Chốt kết quả khi còn giải trình chưa xử lý (bởi {by}; tiêu chí: {contested})",
    "event.status.deemed_accepted": "quá hạn, coi như đồng ý",
    "event.status.explain": "có giải trình",
    "event.status.agree": "đồng ý",
    "event.other": "{kind}: {detail}",
    "event.uncounted": ", không được tính",
    "evidence.cli.json_help": "In kết quả dạng JSON ra stdout (cho chương trình khác).",
    "evidence.cli.missing": "Không tìm thấy {path}. Lệnh này kiểm tra một thư mục hoặc tệp .zip tài liệu kiểm "
                            "chứng, ví dụ: cchc-xl evidence check hop-thu/03898-tan-lang.zip",
    "evidence.cli.is_workbook": "{path} là một bảng tính, không phải thư mục hay tệp .zip tài liệu kiểm chứng. "
                                "Để tiếp nhận bảng tự đánh giá (kèm tài liệu cùng tên), dùng: cchc-xl import "
                                "THƯ_MỤC_HỘP_THƯ",
    "evidence.cli.is_criteria": "{path} là tệp bộ tiêu chí. Để kiểm tra, dùng: cchc-xl criteria check {path}",
    "criteria.is_workbook": "{path} là tệp Excel. Để đọc bộ tiêu chí từ Excel, dùng: cchc-xl criteria import "
                            "{path} (lệnh này kiểm tra rồi ghi ra tệp .yaml).",
    "criteria.is_zip": "{path} là tệp nén, không phải bộ tiêu chí (.yaml). Tài liệu kiểm chứng thì dùng: cchc-xl "
                       "evidence check {path}",
    "criteria.json_help": "In kết quả dạng JSON ra stdout (cho chương trình khác).",
    "status.json_help": "In tiến độ dạng JSON ra stdout (cho chương trình khác).",
    "report.not_xlsx": "Bảng xếp hạng chỉ ghi ra tệp Excel: hãy dùng --out có đuôi .xlsx (ví dụ --out "
                       "{suggest}), không phải “{suffix}”.",
    "output.locked": "Không ghi được {path}: {reason}. Những tệp khác vẫn được ghi; hãy đóng tệp rồi chạy lại.",
    "output.locked_some": "{count} tệp không ghi được (đang mở trong Excel hoặc không có quyền ghi): {files}. "
                          "Hãy đóng các tệp đó rồi chạy lại lệnh; những gì khác đã xong vẫn được giữ.",
    "code.unknown": "Mã đơn vị {code} không có trong danh sách {count} đơn vị của đợt đánh giá {round}.",
    "code.lost_zero": "Mã đơn vị {code} không có trong danh sách của đợt; có phải {suggest}? (Excel hay bỏ số 0 ở "
                      "đầu mã: hãy gõ đủ {suggest}.)",
    "criterion.unknown": "Bộ tiêu chí {set} không có tiêu chí {code}. Xem các mã: cchc-xl criteria show",
    "inbox.is_workbook": "{path} là một tệp; lệnh import đọc cả một thư mục hộp thư (mỗi bảng tính cạnh tài liệu "
                         "kiểm chứng cùng tên). Ví dụ: cchc-xl import {folder}",
    "inbox.is_zip": "{path} là tệp nén. Tài liệu kiểm chứng của một xã thì kiểm tra bằng: cchc-xl evidence check "
                    "{path}; hộp thư thì giải nén ra một thư mục rồi: cchc-xl import THƯ_MỤC",
    "inbox.is_file": "{path} là một tệp, không phải thư mục hộp thư. Ví dụ: cchc-xl import hop-thu",
    "inbox.empty": "Thư mục {inbox} không có bảng tự đánh giá nào (.xlsx, .xlsm, .xls, .ods). Kiểm tra lại "
                   "đường dẫn hộp thư. Không có gì được lưu.",
    "inbox.nested": "Thư mục {inbox} không có bảng tự đánh giá nào ngay bên trong, nhưng {count} thư mục con có "
                    "(ví dụ “{first}”). Hãy để các bảng tính ngay trong {inbox}, mỗi bảng cạnh thư mục hoặc tệp "
                    ".zip tài liệu kiểm chứng cùng tên, rồi chạy lại. Không có gì được lưu.",
    "inbox.ignored_header": "{count} mục trong hộp thư không được đọc:",
    "inbox.ignored_lock": "tệp khoá tạm của Excel (tệp đang mở), bỏ qua",
    "inbox.ignored_hidden": "tệp ẩn hoặc tệp hệ thống, bỏ qua",
    "inbox.ignored_unrelated": "không phải bảng tự đánh giá, cũng không trùng tên với bảng nào (tài liệu kiểm "
                               "chứng phải cùng tên với bảng tính)",
    "inbox.ignored_more": "  … và {count} mục khác.",
    "fault.disk_full": "ổ đĩa đã đầy: hãy giải phóng chỗ trống rồi chạy lại",
    "fault.read_only": "ổ đĩa hoặc thư mục chỉ cho đọc: hãy chọn thư mục khác, có quyền ghi",
    "fault.no_permission": "không có quyền ghi hoặc đọc (hoặc tệp đang mở trong Excel): đóng tệp hoặc chọn thư "
                           "mục khác",
    "fault.not_found": "không tìm thấy tệp hoặc thư mục",
    "fault.is_folder": "đây là một thư mục, cần một tệp",
    "fault.not_folder": "một phần của đường dẫn không phải thư mục",
    "fault.name_too_long": "tên hoặc đường dẫn quá dài: hãy dùng thư mục ngắn hơn",
    "fault.in_use": "tệp đang được chương trình khác mở (Excel?): hãy đóng tệp rồi chạy lại",
    "fault.store_locked": "cơ sở dữ liệu đang được một lệnh hoặc chương trình khác dùng: chờ lệnh đó xong rồi "
                          "chạy lại",
    "fault.store_read_only": "cơ sở dữ liệu hoặc thư mục chứa nó chỉ cho đọc: hãy cấp quyền ghi hoặc chép sang "
                             "thư mục khác",
    "fault.not_a_store": "tệp không phải cơ sở dữ liệu của cchc-xl hoặc đã hỏng: khôi phục bản sao lưu "
                         "(cchc-xl store restore)",
    "fault.store_cannot_open": "không mở được tệp cơ sở dữ liệu (thư mục không tồn tại hoặc không có quyền)",
    "fault.disk_io": "lỗi đọc ghi ổ đĩa",
    "fault.store_other": "lỗi cơ sở dữ liệu",
    "fault.os_other": "lỗi hệ thống (mã {code})",
    "fault.other": "lỗi {kind}",
    "fault.store": "Không ghi hoặc đọc được cơ sở dữ liệu: {reason}. Những gì đã lưu trước đó vẫn nguyên vẹn.",
    "fault.file": "Không ghi hoặc đọc được {path}: {reason}.",
    "fault.plain": "Lệnh dừng: {reason}.",
    "config.unreadable": "Không đọc được tệp cấu hình {path}: {reason}.",
    "config.encoding": "Tệp cấu hình {path} không ở bảng mã UTF-8 (hoặc UTF-16). Hãy mở bằng Notepad, chọn "
                       "Lưu thành… với mã hoá UTF-8, rồi chạy lại.",
    "config.syntax": "Tệp cấu hình {path} sai cú pháp TOML ở dòng {line}, cột {column} (thường do thiếu dấu "
                     "ngoặc kép \" hoặc dấu =). Mỗi dòng có dạng: key = \"giá trị\".",
    "demo.needs_extra": "Lệnh demo cần thêm thư viện tạo PDF mẫu ({module}), không có trong bản cài đặt gọn. Cài "
                        "thêm: pip install \"cchc-xl[demo]\" (hoặc make demo). Các lệnh làm việc thật không cần.",
    "cli.interrupted": "Đã dừng theo yêu cầu (Ctrl-C). Những gì đã xong vẫn được giữ: mỗi tệp đã tiếp nhận được "
                       "lưu trọn vẹn, tệp đang xử lý dở không được lưu, cơ sở dữ liệu vẫn nhất quán. Chạy lại lệnh "
                       "để làm tiếp (tệp đã nhận không bị nhận hai lần).",
    "cli.unexpected": "Lỗi không mong muốn ({kind}); lệnh dừng, những gì đã xong vẫn được giữ. Chi tiết kỹ thuật "
                      "đã ghi vào {log}: hãy gửi tệp này cho người hỗ trợ.",
    "cli.unexpected_nolog": "Lỗi không mong muốn ({kind}); lệnh dừng, những gì đã xong vẫn được giữ.",
    "cli.usage_metavar": "[TUỲ_CHỌN]",
    "cli.subcommand_metavar": "LỆNH [THAM_SỐ]...",
    "withdraw.refused_appraised": "Đơn vị {code} đã được thẩm định: không rút bản tự đánh giá được nữa. Nếu cần, "
                                  "nhập lại bảng thẩm định (cchc-xl appraise import).",
    "withdraw.refused_final": "Kết quả của đơn vị {code} đã chốt: mở lại trước (cchc-xl appraise reopen {code} "
                              "--reason …) rồi mới rút được.",
    "withdraw.none": "Đơn vị {code} không có bản tự đánh giá nào đang được tính để rút.",
    "withdraw.no_version": "Đơn vị {code} không có bản tự đánh giá lần {version} (hoặc bản đó đã được rút). Xem "
                           "các lần nộp: cchc-xl status.",
    "withdraw.done": "Đã rút bản tự đánh giá lần {version} của đơn vị {code} (vẫn được lưu, lý do đã được ghi "
                     "lại, không còn được tính). {counting}",
    "withdraw.now_counts": "Bản đang được tính: lần {version} ({file}).",
    "withdraw.now_none": "Đơn vị này hiện không còn bản nào được tính (coi như chưa nộp).",
    "withdraw.reason_empty": "Thiếu lý do rút (--reason \"…\"): lý do được lưu vết.",
    "backup.failed": "Không sao lưu được cơ sở dữ liệu {db} trước khi ghi ({reason}); lệnh dừng, không có gì "
                     "bị thay đổi. Kiểm tra chỗ trống trên ổ đĩa và quyền ghi thư mục {dir}.",
    "restore.server_round": "đợt {round} trong cơ sở dữ liệu {db}",
    "restore.done_round": "Đã khôi phục {db} về trạng thái lúc {at} (trước lệnh {command}); các đợt khác trong cơ "
                          "sở dữ liệu không thay đổi. Trạng thái vừa thay thế được sao lưu thành {before}: có thể "
                          "khôi phục lại nếu cần.",
    "restore.not_this_round": "Bản sao lưu {file} không chứa đợt {round}: không khôi phục, không có gì bị thay đổi.",
    "restore.other_store": "Bản sao lưu {file} không được sao từ cơ sở dữ liệu này (mã bản ghi của nó đã thuộc về "
                           "đợt khác): không khôi phục đợt {round}, không có gì bị thay đổi. Muốn đưa dữ liệu của "
                           "bản sao lưu vào, hãy dùng cchc-xl store copy.",
    "restore.none": "Chưa có bản sao lưu nào của {db} (bản sao lưu được tạo tự động trước mỗi lệnh ghi vào cơ "
                    "sở dữ liệu).",
    "restore.list_header": "Các bản sao lưu của {db} (mới nhất trước):",
    "restore.list_line": "  {n}. {at}  trước lệnh {command}  ({file})",
    "restore.list_hint": "Khôi phục một bản: cchc-xl store restore SỐ (ví dụ: cchc-xl store restore 1 là bản mới "
                         "nhất). Trạng thái hiện tại cũng được sao lưu trước khi khôi phục.",
    "restore.unknown": "Không có bản sao lưu “{choice}” (có {count} bản). Xem danh sách: cchc-xl store restore.",
    "restore.done": "Đã khôi phục {db} về trạng thái lúc {at} (trước lệnh {command}). Trạng thái vừa thay thế "
                    "được sao lưu thành {before}: có thể khôi phục lại nếu cần.",
    "cli.import_dry_run_done": "CHẠY THỬ (--dry-run), không lưu gì vào {db}: {count} tệp, {accepted} sẽ được "
                               "tiếp nhận, {warned} có cảnh báo, {rejected} không tiếp nhận; {ignored} tệp bỏ qua; "
                               "{new} bản sẽ là bản mới. Báo cáo và bảng kiểm tra vẫn được ghi ra để xem trước.",
    "demo.explain": "4b. Vòng giải trình (mô phỏng; hạn gửi lại sau 7 ngày, vòng 2 lập như khi đã quá hạn): bảng "
                    "giải trình cho các xã có điểm bị thay đổi, xã trả lời kèm TLKC bổ sung, Hội đồng thẩm định vòng 2 "
                    "các tiêu chí được giải trình",
    # --- scoring rules described (the "Cách chấm" column, docs) -------------------------------------
    "rule.done": "Đạt: {max}; không đạt: 0",
    "rule.level": "{label}: {points}",
    "rule.ratio_tier": "từ {percent}%: {points}",
    "rule.ratio_tiers": "Tỷ lệ {numerator} / {denominator}: {tiers}; thấp hơn: 0",
    "rule.proportional": "{max} × {achieved} ÷ {planned} (không vượt {max})",
    "rule.count_deduction": "{max} điểm, trừ {per_item} điểm × ({count}), không dưới 0",
    "rule.count_award": "{per_item} điểm × ({count}), tối đa {max}",
    "rule.manual": "Từ 0 đến {max}, bước {step}",
    "rule.district": "Do cơ quan đánh giá chấm",
    "rule.district_method": "Do cơ quan đánh giá chấm: {method}",
    "file.detail.errno": "lỗi hệ thống mã {errno} {name}",
    "file.detail.book": "tệp {fmt} có cấu trúc bên trong mà chương trình không đọc được (có thể do phần mềm đã "
                        "lưu tệp); hãy mở tệp bằng Excel hoặc LibreOffice Calc và lưu lại dạng .xlsx rồi gửi lại",
    "file.detail.kind": "lỗi loại {kind}",
    "cli.import_table_title": "Kết quả tiếp nhận",
    "cli.import_columns": "Tệp|Đơn vị|Kết quả|Tổng điểm|Lỗi|Cảnh báo",
    "cli.import_done": "Đã tiếp nhận {count} tệp: {accepted} tiếp nhận, {warned} có cảnh báo, {rejected} không tiếp "
                       "nhận; {ignored} tệp bỏ qua; {new} bản mới được lưu vào {db}.",
    "cli.outputs": "Báo cáo: {report}\nBảng kiểm tra: {validation}\nTệp phản hồi: {feedback} tệp trong {dir}",
    # the feedback workbook's district mark: what the status column of an item the import found wrong shows
    "feedback.status_mark": "Theo kết quả tiếp nhận: {finding}",
    "feedback.status_mark_more": " (và {count} nội dung khác, xem ghi chú)",
}


# --- click's own text (usage, help, errors), by click's English message id; cchc_xl.clitext puts them in
# place of click's gettext. Placeholders are click's own. ---------------------------------------------------
CLICK_TEXT: dict[str, str] = {
    "Usage:": "Cách dùng:",
    "Options": "Tuỳ chọn",
    "Commands": "Các lệnh",
    "Positional arguments": "Tham số",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "env var: {var}": "biến môi trường: {var}",
    "(dynamic)": "(tuỳ trường hợp)",
    "deprecated": "không còn dùng",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: {command} {option}",
    "Missing command.": "Thiếu tên lệnh.",
    "Missing option": "Thiếu tuỳ chọn",
    "Missing argument": "Thiếu tham số",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "No such option {name!r}.": "Không có tuỳ chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Did you mean {possibility}?": "Có phải là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải là một trong: {possibilities}?)",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các tham số ({args})",
    "Option {name!r} does not take a value.": "Tuỳ chọn {name!r} không nhận giá trị.",
    "Option {name!r} requires an argument.": "Tuỳ chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tuỳ chọn {name!r} cần {nargs} giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Invalid start character for option ({option})": "Ký tự đầu của tuỳ chọn không hợp lệ ({option})",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "unknown error": "lỗi không rõ",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, ở đây cần một thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, ở đây cần một tệp.",
    "{name} {filename!r} is not readable.": "Không có quyền đọc {filename!r}.",
    "{name} {filename!r} is not writable.": "Không có quyền ghi {filename!r}.",
    "{name} {filename!r} is not executable.": "Không chạy được {filename!r}.",
    "{name} {filename!r} does not exist.": "Không tìm thấy {filename!r}.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc các giá trị {choices}.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng cho phép {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là số hợp lệ.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} không phải có/không hợp lệ; "
                                                                      "dùng một trong: {states}",
    "{value!r} is not a valid UUID.": "{value!r} không phải mã UUID hợp lệ.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các dạng {formats}.",
    "{len_type} values are required, but {len_value} was given.": "Cần {len_type} giá trị nhưng có {len_value}.",
    "{len_type} values are required, but {len_value} were given.": "Cần {len_type} giá trị nhưng có {len_value}.",
    "Do you want to continue?": "Tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận luôn, không hỏi lại.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Press any key to continue...": "Nhấn một phím bất kỳ để tiếp tục...",
    "Aborted!": "Đã dừng.",
}
# the names shown for an option's value in --help (click's are English type names: TEXT, INTEGER, …)
CLICK_METAVARS: dict[str, str] = {
    "text": "CHỮ", "integer": "SỐ", "integer range": "SỐ", "float": "SỐ", "float range": "SỐ", "file": "TỆP",
    "directory": "THƯ_MỤC", "path": "ĐƯỜNG_DẪN", "boolean": "CÓ/KHÔNG", "datetime": "NGÀY", "filename": "TỆP",
}
# the names shown for a command's arguments, by the argument's name in the code
ARGUMENT_METAVARS: dict[str, str] = {
    "file": "TỆP", "path": "ĐƯỜNG_DẪN", "inbox": "HỘP_THƯ", "folder": "THƯ_MỤC", "out": "NƠI_GHI",
    "src": "TỆP_EXCEL", "code": "MÃ_ĐƠN_VỊ", "codes": "MÃ_ĐƠN_VỊ", "criterion": "MÃ_TIÊU_CHÍ",
    "choice": "BẢN_SAO_LƯU",
}


def say(key: str, **params: object) -> str:
    """The Vietnamese text for `key` with its parameters filled in."""
    text = MESSAGES[key]
    shown = {k: _show(v) for k, v in params.items()}
    return text.format(**shown)


def error_detail(exc: BaseException) -> str:
    """A failure named for the user without the exception's English text: its error number, or its kind."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return say("file.detail.errno", errno=exc.errno, name=errno.errorcode.get(exc.errno, ""))
    return say("file.detail.kind", kind=type(exc).__name__)


def _show(value: object) -> object:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Decimal) for v in value):
        return "; ".join(fmt(v) for v in value)
    return value


# --- import findings: rule id -> (severity, message), part of RULES; docs/rules.md is made from it and the
# evidence rules (scripts/gen_rules_doc.py) and a test keeps the two equal. ------------------------
FINDINGS: dict[str, tuple[Severity, str]] = {
    # the file itself
    "file.too_large": ("error", "Tệp quá lớn ({size} byte, giới hạn {limit} byte). Hãy xoá ảnh, dữ liệu thừa rồi gửi lại."),
    "file.empty": ("error", "Tệp rỗng (0 byte). Hãy gửi lại tệp bảng tự đánh giá."),
    "file.not_spreadsheet": ("error", "Tệp không phải bảng tính Excel/LibreOffice (có thể đổi đuôi hoặc hỏng). "
                                      "Hãy gửi lại đúng tệp .xlsx đã được cấp."),
    "file.corrupt": ("error", "Tệp bị hỏng hoặc không đầy đủ, không mở được ({detail}). Hãy lưu lại và gửi lại."),
    "file.zip_bomb": ("error", "Tệp có cấu trúc nén bất thường (quá nhiều hoặc quá lớn: {detail}); không xử lý. "
                               "Hãy gửi lại tệp gốc."),
    "file.xml_entity": ("error", "Tệp chứa khai báo XML không được phép ({detail}); không xử lý vì lý do an toàn."),
    "file.cell_out_of_range": ("error", "Tệp có nội dung ngoài phạm vi của bảng tính mẫu ({detail}; bảng mẫu không "
                                        "dùng ô nào quá {last_cell}); chương trình không đọc tệp này để tránh tràn "
                                        "bộ nhớ. Hãy xoá nội dung ở ô đó, hoặc chép số liệu sang tệp mẫu, rồi gửi lại."),
    "file.encrypted": ("error", "Tệp được đặt mật khẩu mở, không đọc được. Hãy bỏ mật khẩu mở tệp "
                                "(File > Info > Protect Workbook) rồi gửi lại."),
    "file.unreadable": ("error", "Không đọc được nội dung bảng tính: {detail}"),
    "file.output_failed": ("error", "Không ghi được kết quả của tệp này ({detail}); tệp chưa được lưu vào cơ sở dữ "
                                    "liệu. Hãy kiểm tra thư mục kết quả (còn chỗ trống, có quyền ghi) rồi chạy lại."),
    "file.format_refused": ("error", "Tệp dạng {fmt} không được tiếp nhận (bảng tính nhị phân hoặc tệp mẫu, chương "
                                     "trình không kiểm tra được). Hãy mở tệp và lưu lại dạng .xlsx (Excel Workbook) "
                                     "rồi gửi lại."),
    "file.link_refused": ("error", "Tệp này là lối tắt (liên kết) tới một tệp khác nên không được đọc: chương trình "
                                   "không đi theo lối tắt ra ngoài hộp thư. Hãy chép chính tệp Excel vào hộp thư."),
    "file.foreign": ("error", "Đây không phải bảng tự đánh giá do cơ quan đánh giá cấp (không có sheet “{sheet}” và "
                              "dữ liệu nhận dạng). Hãy dùng đúng tệp mẫu đã được gửi cho đơn vị."),
    "file.old_format": ("info", "Tệp được lưu ở định dạng {fmt}; đã đọc được số liệu nhưng không kiểm tra được "
                                "công thức. Nên lưu lại dạng .xlsx."),
    "file.name_mismatch": ("warning", "Tên tệp “{file}” không khớp với đơn vị trong tệp ({commune}). "
                                      "Kiểm tra lại có gửi nhầm tệp của đơn vị khác không."),
    # identity and signature
    "meta.missing": ("error", "Không tìm thấy thông tin nhận dạng của bảng tính (sheet ẩn “{sheet}” bị xoá hoặc "
                              "hỏng). Hãy dùng đúng tệp mẫu đã được cấp."),
    "meta.signature_invalid": ("error", "Chữ ký số liệu nhận dạng không đúng: thông tin nhận dạng đã bị sửa, "
                                        "hoặc tệp được tạo bằng khoá của cơ quan đánh giá khác{key_note}."),
    "meta.other_set": ("error", "Tệp được tạo theo bộ tiêu chí “{got}”, không phải bộ đang tiếp nhận “{want}”. "
                                "Hãy dùng tệp mẫu của bộ tiêu chí hiện hành."),
    "meta.template_mismatch": ("error", "Tệp được tạo từ mẫu khác (phiên bản mẫu {got}); không đối chiếu được "
                                        "các ô đã khoá."),
    "meta.unknown_commune": ("warning", "Mã đơn vị {code} không có trong danh sách đơn vị đang tiếp nhận."),
    "meta.demo_key": ("info", "Tệp được ký bằng khoá thử nghiệm; khi dùng thật, hãy đặt khoá riêng của cơ quan đánh giá "
                              "(CCHC_XL_KEY hoặc tệp cchc-xl.toml)."),
    # tampering with locked content
    "tamper.max_changed": ("error", "Điểm tối đa của {criterion} bị đổi từ {want} thành {got} (ô {cell}). "
                                    "Không được sửa các ô đã khoá."),
    "tamper.formula_replaced": ("error", "Công thức ô {cell} bị thay bằng giá trị “{got}”. Không được sửa ô "
                                         "có công thức; hãy dùng lại tệp mẫu và nhập lại số liệu."),
    "tamper.formula_changed": ("error", "Công thức ô {cell} bị sửa. Hãy dùng lại tệp mẫu và nhập lại số liệu."),
    "tamper.text_changed": ("error", "Nội dung ô đã khoá {cell} bị đổi từ “{want}” thành “{got}”."),
    "tamper.sheet_missing": ("error", "Sheet “{sheet}” bị xoá{renamed}."),
    "tamper.sheet_added": ("warning", "Có thêm sheet lạ “{sheet}”; sheet này không được đọc."),
    "tamper.name_moved": ("error", "Tên ô {name} đã bị sửa: trỏ tới ô {got} thay vì ô {want} như mẫu đã cấp. "
                                   "Số liệu được đọc ở ô {want}; hãy dùng lại tệp mẫu, không sửa tên ô."),
    "tamper.validation_removed": ("warning", "Ràng buộc nhập liệu ở {cell} đã bị gỡ bỏ; số liệu vẫn được kiểm "
                                             "tra lại khi tiếp nhận."),
    # reading inputs
    "names.lost": ("warning", "Tệp đã mất các tên ô (defined names), có thể do lưu lại bằng phần mềm khác; "
                              "số liệu được đọc theo mã tiêu chí ở cột A."),
    "names.row_missing": ("error", "Không tìm thấy dòng của tiêu chí {criterion} trong sheet “{sheet}”."),
    # scores and declared figures
    "score.missing": ("warning", "{criterion}: chưa chấm điểm; được tính là 0 điểm."),
    "figures.missing": ("warning", "{criterion}: chưa kê khai đủ số liệu; được tính là 0 điểm."),
    "score.not_number": ("error", "{criterion}: điểm “{got}” không phải là số. Nhập số, ví dụ 0,5."),
    "number.out_of_range": ("error", "{criterion}: ô {cell} chứa giá trị “{got}”, không phải một số dùng được (không "
                                     "hữu hạn, hoặc từ 10^15 trở lên). Nhập lại số, ví dụ 0,5."),
    "score.text_number": ("warning", "{criterion}: ô {cell} chứa số dạng chữ “{got}”; đã hiểu là {value}. "
                                     "Nên nhập lại dạng số."),
    "score.negative": ("error", "{criterion}: điểm {got} âm. Điểm phải từ 0 đến {max}."),
    "score.above_max": ("error", "{criterion}: điểm {got} vượt điểm tối đa {max}. Hãy chấm lại trong khoảng 0 đến {max}."),
    "score.not_allowed": ("error", "{criterion}: điểm {got} không phải mức cho phép ({allowed})."),
    "score.off_step": ("error", "{criterion}: điểm {got} không đúng bước chấm {step} (ví dụ 0; {step}; …)."),
    "figures.not_number": ("error", "{criterion}: số liệu {n} “{got}” không phải là số."),
    "figures.negative": ("error", "{criterion}: số liệu {n} ({label}) là {got}, không được âm."),
    "figures.not_integer": ("error", "{criterion}: số liệu {n} ({label}) là {got}, phải là số nguyên."),
    "figures.numerator_above_denominator": ("error", "{criterion}: số liệu 1 ({num}) lớn hơn số liệu 2 ({den}); "
                                                     "kiểm tra lại số liệu kê khai."),
    "cache.mismatch": ("warning", "Ô {cell}: tệp ghi {got} nhưng tính lại được {value}; kết quả tiếp nhận dùng số "
                                  "tính lại."),
    "evidence.none_for_score": ("error", "{criterion}: có {got} điểm nhưng không có tài liệu kiểm chứng hợp lệ và "
                                         "không có giải trình. Bổ sung TLKC hoặc ghi giải trình."),
    "evidence.folder_missing": ("warning", "Không có thư mục hoặc tệp nén TLKC đi kèm (cần thư mục “{stem}” hoặc "
                                           "tệp “{stem}.zip” cạnh tệp Excel); các TLKC kê khai chưa được kiểm tra."),
    # evidence register
    "register.unknown_code": ("warning", "Dòng {row} sheet TLKC: mã tiêu chí “{got}” không có trong bộ tiêu chí "
                                         "(hoặc do cơ quan đánh giá chấm); dòng này không được tính."),
    "register.number_missing": ("warning", "Dòng {row} sheet TLKC: thiếu số, ký hiệu văn bản."),
    "register.number_format": ("warning", "Dòng {row} sheet TLKC: số, ký hiệu “{got}” không đúng dạng "
                                          "(ví dụ 12/KH-UBND)."),
    "register.date_missing": ("warning", "Dòng {row} sheet TLKC: thiếu ngày ban hành."),
    "register.date_text": ("info", "Dòng {row} sheet TLKC: ngày ban hành nhập dạng chữ “{got}”; đã hiểu là {value}."),
    "register.date_invalid": ("warning", "Dòng {row} sheet TLKC: ngày ban hành “{got}” không hợp lệ "
                                         "(nhập dạng dd/mm/yyyy)."),
    "register.date_outside_year": ("warning", "Dòng {row} sheet TLKC: ngày ban hành {got} nằm ngoài kỳ đánh giá "
                                              "({start} – {end})."),
    "register.date_after_submission": ("warning", "Dòng {row} sheet TLKC: ngày ban hành {got} sau ngày tiếp nhận "
                                                  "{received}."),
    "register.no_file": ("warning", "Dòng {row} sheet TLKC: chưa ghi tên tệp tài liệu kiểm chứng."),
    # the submission as a whole
    "submission.empty": ("error", "Bảng tự đánh giá chưa được điền (không có điểm, số liệu hay TLKC nào)."),
    "submission.incomplete": ("warning", "Còn {count} tiêu chí chưa chấm điểm hoặc chưa kê khai số liệu."),
    "submission.duplicate": ("warning", "Đơn vị {commune} gửi {count} tệp: {files}. Tệp được dùng: {chosen} "
                                        "(tệp được lưu gần nhất theo thời điểm lưu ghi trong tệp; nếu bằng nhau, "
                                        "tệp nhận sau cùng)."),
    "submission.older_version": ("warning", "Tệp “{file}” nhận sau cùng nhưng được lưu lúc {saved}, trước tệp "
                                            "“{chosen}” (lưu lúc {chosen_saved}); tệp này không được dùng. Kiểm "
                                            "tra xã có gửi nhầm bản cũ không."),
    "submission.older_than_counting": ("warning", "Tệp được lưu lúc {saved}, trước bản đang được dùng của đơn vị "
                                                  "(nhận lần trước, lưu lúc {stored}); tệp được ghi nhận nhưng "
                                                  "không thay bản đang dùng. Kiểm tra xã có gửi nhầm bản cũ không."),
    # too many findings in one file or one evidence bundle
    "findings.more_errors": ("error", "Còn {count} lỗi khác không được liệt kê (mỗi tệp chỉ liệt kê {limit} vấn đề "
                                      "đầu tiên). Hãy sửa các lỗi trên rồi gửi lại để xem tiếp."),
    "findings.more_warnings": ("warning", "Còn {count} cảnh báo khác không được liệt kê (mỗi tệp chỉ liệt kê {limit} "
                                          "vấn đề đầu tiên)."),
    "findings.more_info": ("info", "Còn {count} thông tin khác không được liệt kê (mỗi tệp chỉ liệt kê {limit} vấn "
                                   "đề đầu tiên)."),
    # appraisal round
    "appraisal.not_appraisal": ("error", "Tệp không phải bảng thẩm định do cchc-xl tạo (cchc-xl appraise prepare)."),
    "appraisal.unknown_submission": ("error", "Không tìm thấy bản tự đánh giá mà bảng thẩm định này dựa vào "
                                              "(đơn vị {commune}) trong cơ sở dữ liệu."),
    "appraisal.stale": ("warning", "Bảng thẩm định được lập cho bản tự đánh giá lần {version}, nhưng đơn vị đã gửi bản "
                                   "lần {latest}; điểm thẩm định vẫn được ghi nhận cho bản lần {version}."),
    "appraisal.missing": ("error", "{criterion}: chưa nhập điểm thẩm định."),
    "appraisal.not_number": ("error", "{criterion}: điểm thẩm định “{got}” không phải là số."),
    "appraisal.out_of_range": ("error", "{criterion}: điểm thẩm định {got} ngoài khoảng 0 đến {max}."),
    "appraisal.not_allowed": ("error", "{criterion}: điểm thẩm định {got} không đúng mức hoặc bước chấm của tiêu chí."),
    "appraisal.reason_missing": ("error", "{criterion}: điểm thẩm định {got} khác điểm tự đánh giá {self_points} nhưng chưa "
                                          "ghi lý do."),
    "appraisal.appraiser_missing": ("error", "Chưa ghi họ tên người thẩm định."),
    "appraisal.count_invalid": ("error", "{criterion}: số lần “{got}” phải là số nguyên không âm."),
    "appraisal.duplicate": ("error", "Đơn vị {commune} đã có bảng thẩm định “{first}” trong lần nhập này; bảng này "
                                     "không được ghi nhận. Mỗi lần nhập chỉ để một bảng cho mỗi đơn vị; nếu bảng này "
                                     "mới đúng, hãy bỏ bảng kia ra rồi nhập lại."),
    "appraisal.duplicate_kept": ("warning", "Đơn vị {commune} có thêm bảng thẩm định {files} trong lần nhập này; "
                                            "chỉ bảng này được ghi nhận. Kiểm tra lại bảng nào là bảng đúng."),
    "appraisal.finalized": ("error", "Kết quả của đơn vị {commune} đã được chốt; không nhận bảng thẩm định mới trừ "
                                     "khi mở lại (cchc-xl appraise reopen)."),
    "submission.blank_over_accepted": ("warning", "Bảng tính chưa điền số liệu nào, trong khi đơn vị {commune} đã "
                                                  "có bản được tiếp nhận (lần {version}, {file}): bản trắng này "
                                                  "được lưu nhưng không thay bản đang được tính. Nếu tiếp nhận "
                                                  "nhầm, không cần làm gì thêm."),
    "submission.finalized": ("error", "Kết quả của đơn vị {commune} đã được chốt; không nhận thêm tệp trừ khi "
                                      "mở lại (cchc-xl appraise reopen)."),
    "appraisal.round2_stale": ("error", "Bảng thẩm định vòng 2 của đơn vị {commune} không còn khớp với cơ sở dữ liệu "
                                        "(đơn vị đã gửi giải trình khác, kết quả vòng 1 đã thay đổi hoặc vòng 2 đã được "
                                        "ghi nhận). Hãy lập lại bảng vòng 2 (cchc-xl appraise prepare --round2)."),
    # explanation round (giải trình)
    "answer.not_answer": ("error", "Tệp không phải bảng giải trình do cchc-xl tạo (cchc-xl appraise answers)."),
    "answer.unknown_request": ("error", "Bảng giải trình không khớp với yêu cầu giải trình nào đã gửi cho đơn vị "
                                        "{commune} trong đợt đánh giá này."),
    "answer.stale": ("error", "Bảng giải trình của đơn vị {commune} đã được thay bằng bảng mới hơn (kết quả thẩm định "
                              "vòng 1 đã thay đổi hoặc đã lập lại bảng giải trình); hãy dùng bảng mới nhất."),
    "answer.late": ("error", "Bảng giải trình nhận ngày {received}, sau hạn {deadline}: không được ghi nhận; đơn vị "
                             "được coi là đồng ý với kết quả thẩm định vòng 1."),
    "answer.missing": ("error", "{criterion}: chưa chọn “Trả lời” (Đồng ý hoặc Giải trình)."),
    "answer.invalid": ("error", "{criterion}: “Trả lời” là “{got}”; chỉ được chọn Đồng ý hoặc Giải trình."),
    "answer.explanation_missing": ("error", "{criterion}: chọn Giải trình nhưng chưa ghi nội dung giải trình."),
    "answer.person_missing": ("warning", "Chưa ghi họ tên, chức vụ người trả lời."),
    "answer.evidence_other_item": ("warning", "Dòng {row} sheet TLKC bổ sung: mã tiêu chí “{got}” không có trong "
                                              "bảng giải trình."),
    "answer.finalized": ("error", "Kết quả của đơn vị {commune} đã được chốt; không nhận bảng giải trình trừ khi mở "
                                  "lại (cchc-xl appraise reopen)."),
    # the approval document: the Phụ lục 2 the chairman signed (cchc_xl.approval); "approval.missing" takes
    # the round's severity ([approval] missing = … in cchc-xl.toml), error unless set
    "approval.missing": ("error", "Thiếu văn bản phê duyệt: đặt tệp “{file}” (sheet “Phụ lục 2” đã in, Chủ tịch "
                                  "UBND ký, đóng dấu rồi scan thành PDF; hoặc xuất ra PDF và ký số) vào thư mục TLKC "
                                  "“{stem}” gửi kèm tệp Excel."),
    "approval.unreadable": ("error", "Văn bản phê duyệt “{file}” không mở được như tệp PDF ({detail}). Gửi lại bản "
                                     "scan PDF hoặc bản PDF ký số của sheet “Phụ lục 2”."),
    "approval.not_report": ("error", "Văn bản phê duyệt “{file}” không phải sheet “Phụ lục 2” in từ bảng tự đánh giá "
                                     "(không thấy bảng điểm và tổng điểm). In đúng sheet “Phụ lục 2” rồi ký, gửi lại."),
    "approval.unsigned": ("error", "Văn bản phê duyệt “{file}” là bản PDF xuất từ Excel nhưng chưa có chữ ký số. "
                                   "Ký số tệp này, hoặc in ra, Chủ tịch ký, đóng dấu và scan lại."),
    "approval.signature_broken": ("error", "Chữ ký số trên văn bản phê duyệt “{file}” không còn nguyên vẹn hoặc tệp đã bị "
                                           "sửa sau khi ký ({state}). Ký số lại bản đúng và gửi lại."),
    "approval.signed": ("info", "Văn bản phê duyệt được ký số bởi: {subject}; người ký {trust}."),
    "approval.other_commune": ("error", "Văn bản phê duyệt “{file}” không phải của {commune} (không thấy tên đơn vị "
                                        "trên văn bản). Gửi đúng bản Phụ lục 2 của đơn vị."),
    "approval.commune_unread": ("warning", "Không đọc được tên {commune} trên bản scan văn bản phê duyệt; cán bộ "
                                           "huyện đối chiếu bằng mắt."),
    "approval.total_differs": ("error", "Tổng điểm trên văn bản phê duyệt là {approved}, nhưng bảng tự đánh giá gửi "
                                        "lên có tổng {workbook}: bảng đã bị sửa sau khi Chủ tịch phê duyệt, hoặc văn bản "
                                        "phê duyệt là bản cũ. In lại sheet “Phụ lục 2”, trình ký và gửi lại."),
    "approval.total_unreadable": ("warning", "Không đọc được tổng điểm trên bản scan văn bản phê duyệt “{file}”; cán bộ "
                                             "huyện đối chiếu bằng mắt (nên scan rõ hơn, 200–300 dpi)."),
    "approval.total_uncertain": ("warning", "Trên bản scan đọc được tổng điểm {approved} (độ tin cậy {conf}%), khác "
                                            "tổng {workbook} của bảng tự đánh giá; chưa chắc chắn, cán bộ huyện đối "
                                            "chiếu bằng mắt."),
    "approval.item_differs": ("error", "{criterion}: văn bản phê duyệt ghi {approved}, bảng tự đánh giá ghi "
                                       "{workbook}. Sửa lại cho khớp bản đã được Chủ tịch phê duyệt, hoặc trình "
                                       "ký lại."),
    "approval.item_uncertain": ("warning", "{criterion}: trên bản scan đọc được {approved} (độ tin cậy {conf}%), "
                                           "bảng tự đánh giá ghi {workbook}; tổng điểm vẫn khớp, cán bộ huyện đối "
                                           "chiếu bằng mắt."),
    "approval.items_unread": ("info", "Không đọc được điểm của {count} mục trên văn bản phê duyệt (ví dụ {codes}); "
                                      "các mục này chưa được đối chiếu."),
    "approval.seal_missing": ("warning", "Không thấy con dấu đỏ trên bản scan văn bản phê duyệt “{file}”; văn bản "
                                         "phê duyệt phải có dấu của UBND. Scan màu bản đã đóng dấu."),
    "approval.signature_missing": ("warning", "Không thấy chữ ký (mực xanh) ở khối chữ ký của văn bản phê duyệt "
                                              "“{file}”. Scan màu bản đã có chữ ký của Chủ tịch."),
    "approval.scan_grey": ("warning", "Bản scan văn bản phê duyệt “{file}” là ảnh đen trắng: không kiểm tra được "
                                      "dấu đỏ và chữ ký. Nên scan màu."),
    "approval.scan_low_resolution": ("warning", "Bản scan văn bản phê duyệt “{file}” có độ phân giải thấp ({dpi} dpi, "
                                                "như ảnh chụp điện thoại); nên scan 200–300 dpi."),
    "approval.ocr_unavailable": ("warning", "Máy này chưa cài phần mềm nhận dạng chữ Tesseract (thiếu {missing}): chưa "
                                            "đối chiếu được điểm trên bản scan văn bản phê duyệt. Cài gói "
                                            "tesseract-ocr và tesseract-ocr-vie rồi tiếp nhận lại."),
}


def finding_text(rule: str, **params: object) -> tuple[str, str]:
    """(severity, Vietnamese message) of an import finding."""
    return RULES[rule].severity, render(Problem(rule, {k: _short(_show(v)) for k, v in params.items()}))


def _short(value: object, limit: int = 300) -> object:
    """A text parameter cut to `limit` characters: a finding quotes what was typed, not 30,000 digits."""
    return value[: limit - 1] + "…" if isinstance(value, str) and len(value) > limit else value


# --- evidence (tài liệu kiểm chứng): rule severities, finding messages and inventory labels. Keys that are
# rule ids (`evidence.<something>`, listed in EVIDENCE_SEVERITY) are finding messages; the others are labels
# for the inventory and the `evidence check` command. ---------------------------------------------------
EVIDENCE_SEVERITY: dict[str, Severity] = {
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
    "evidence.pdf_too_complex": "error",
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
    "evidence.pdf_too_complex": (
        "Tệp PDF “{file}” có cấu trúc nén bất thường ({detail}) nên không được mở để kiểm tra. Đề nghị xã "
        "quét hoặc xuất lại tệp PDF bằng phần mềm thông thường và gửi lại."
    ),
    "evidence.detail.streams": "nhiều hơn {detail} luồng dữ liệu",
    "evidence.detail.stream_bytes": "một luồng dữ liệu giải nén vượt {detail} MB",
    "evidence.detail.pdf_bytes": "tổng dữ liệu giải nén vượt {detail} MB",
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
        " khi đó là văn bản chung của cấp trên."
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
    "evidence.short.pdf_too_complex": "cấu trúc nén bất thường",
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
        "quét hay có chữ ký số, chữ ký còn nguyên vẹn không) và các vấn đề. Mã thoát 1 khi có lỗi.\n\n"
        "\b\nVí dụ: cchc-xl evidence check hop-thu/03898-tan-lang.zip\n"
        "Hướng dẫn: docs/huong-dan-su-dung.md, mục 7 (Tiếp nhận, kiểm tra bảng xã gửi lại)."
    ),
}


def evidence_text(key: str, **params: object) -> str:
    """An evidence message or label with its parameters filled in."""
    return EVIDENCE_MESSAGES[key].format(**params)


# --- the rule registry: every rule id any check can return (import findings, evidence, criteria set problems)
# with its severity, its Vietnamese text and the parameters that text declares, as pyxform's error codes.
# The tables above stay the place a text is written; RULES is the one view of them a Problem is read by. ---
SET_RULES: tuple[str, ...] = (
    # criteria set problems (texts in MESSAGES): each makes the set unusable
    "set.yaml_invalid", "set.not_found", "set.unreadable", "set.field_invalid", "set.field_missing",
    "set.field_unknown", "set.excel_unreadable", "set.excel_sheet_missing", "set.excel_value", "set.code_duplicate",
    "set.code_hierarchy", "set.code_format", "set.children_sum", "set.total_sum", "set.max_not_positive",
    "set.max_precision", "set.rule_missing", "set.rule_on_parent", "set.tiers_empty", "set.tiers_order",
    "set.tiers_range", "set.tiers_cover", "set.adjust_cap", "set.cap_invalid", "set.area_empty", "set.code_name",
    "set.code_name_clash", "set.tier_duplicate", "set.tier_blank", "set.figure_label_blank", "set.rescale_no_body",
    "rule.level_out_of_range", "rule.level_duplicate", "rule.level_max_missing", "rule.thresholds_not_ordered",
    "rule.tier_points_not_ordered", "rule.percent_out_of_range", "rule.per_item_above_max", "rule.step_not_divisor",
    "rule.points_precision",
)

# the parameters each rule's text declares (a test keeps them equal to the text's placeholders)
RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "file.too_large": ("limit", "size"),
    "file.empty": (),
    "file.not_spreadsheet": (),
    "file.corrupt": ("detail",),
    "file.zip_bomb": ("detail",),
    "file.xml_entity": ("detail",),
    "file.cell_out_of_range": ("detail", "last_cell"),
    "file.encrypted": (),
    "file.unreadable": ("detail",),
    "file.output_failed": ("detail",),
    "file.format_refused": ("fmt",),
    "file.link_refused": (),
    "file.foreign": ("sheet",),
    "file.old_format": ("fmt",),
    "file.name_mismatch": ("commune", "file"),
    "meta.missing": ("sheet",),
    "meta.signature_invalid": ("key_note",),
    "meta.other_set": ("got", "want"),
    "meta.template_mismatch": ("got",),
    "meta.unknown_commune": ("code",),
    "meta.demo_key": (),
    "tamper.max_changed": ("cell", "criterion", "got", "want"),
    "tamper.formula_replaced": ("cell", "got"),
    "tamper.formula_changed": ("cell",),
    "tamper.text_changed": ("cell", "got", "want"),
    "tamper.sheet_missing": ("renamed", "sheet"),
    "tamper.sheet_added": ("sheet",),
    "tamper.name_moved": ("got", "name", "want"),
    "tamper.validation_removed": ("cell",),
    "names.lost": (),
    "names.row_missing": ("criterion", "sheet"),
    "score.missing": ("criterion",),
    "figures.missing": ("criterion",),
    "score.not_number": ("criterion", "got"),
    "number.out_of_range": ("cell", "criterion", "got"),
    "score.text_number": ("cell", "criterion", "got", "value"),
    "score.negative": ("criterion", "got", "max"),
    "score.above_max": ("criterion", "got", "max"),
    "score.not_allowed": ("allowed", "criterion", "got"),
    "score.off_step": ("criterion", "got", "step"),
    "figures.not_number": ("criterion", "got", "n"),
    "figures.negative": ("criterion", "got", "label", "n"),
    "figures.not_integer": ("criterion", "got", "label", "n"),
    "figures.numerator_above_denominator": ("criterion", "den", "num"),
    "cache.mismatch": ("cell", "got", "value"),
    "evidence.none_for_score": ("criterion", "got"),
    "evidence.folder_missing": ("stem",),
    "register.unknown_code": ("got", "row"),
    "register.number_missing": ("row",),
    "register.number_format": ("got", "row"),
    "register.date_missing": ("row",),
    "register.date_text": ("got", "row", "value"),
    "register.date_invalid": ("got", "row"),
    "register.date_outside_year": ("end", "got", "row", "start"),
    "register.date_after_submission": ("got", "received", "row"),
    "register.no_file": ("row",),
    "submission.empty": (),
    "submission.incomplete": ("count",),
    "submission.duplicate": ("chosen", "commune", "count", "files"),
    "submission.older_version": ("chosen", "chosen_saved", "file", "saved"),
    "submission.older_than_counting": ("saved", "stored"),
    "findings.more_errors": ("count", "limit"),
    "findings.more_warnings": ("count", "limit"),
    "findings.more_info": ("count", "limit"),
    "appraisal.not_appraisal": (),
    "appraisal.unknown_submission": ("commune",),
    "appraisal.stale": ("latest", "version"),
    "appraisal.missing": ("criterion",),
    "appraisal.not_number": ("criterion", "got"),
    "appraisal.out_of_range": ("criterion", "got", "max"),
    "appraisal.not_allowed": ("criterion", "got"),
    "appraisal.reason_missing": ("criterion", "got", "self_points"),
    "appraisal.appraiser_missing": (),
    "appraisal.count_invalid": ("criterion", "got"),
    "appraisal.duplicate": ("commune", "first"),
    "appraisal.duplicate_kept": ("commune", "files"),
    "appraisal.finalized": ("commune",),
    "submission.blank_over_accepted": ("commune", "file", "version"),
    "submission.finalized": ("commune",),
    "appraisal.round2_stale": ("commune",),
    "answer.not_answer": (),
    "answer.unknown_request": ("commune",),
    "answer.stale": ("commune",),
    "answer.late": ("deadline", "received"),
    "answer.missing": ("criterion",),
    "answer.invalid": ("criterion", "got"),
    "answer.explanation_missing": ("criterion",),
    "answer.person_missing": (),
    "answer.evidence_other_item": ("got", "row"),
    "answer.finalized": ("commune",),
    "approval.missing": ("file", "stem"),
    "approval.unreadable": ("detail", "file"),
    "approval.not_report": ("file",),
    "approval.unsigned": ("file",),
    "approval.signature_broken": ("file", "state"),
    "approval.signed": ("subject", "trust"),
    "approval.other_commune": ("commune", "file"),
    "approval.commune_unread": ("commune",),
    "approval.total_differs": ("approved", "workbook"),
    "approval.total_unreadable": ("file",),
    "approval.total_uncertain": ("approved", "conf", "workbook"),
    "approval.item_differs": ("approved", "criterion", "workbook"),
    "approval.item_uncertain": ("approved", "conf", "criterion", "workbook"),
    "approval.items_unread": ("codes", "count"),
    "approval.seal_missing": ("file",),
    "approval.signature_missing": ("file",),
    "approval.scan_grey": ("file",),
    "approval.scan_low_resolution": ("dpi", "file"),
    "approval.ocr_unavailable": ("missing",),
    "evidence.bundle_missing": ("file",),
    "evidence.zip_corrupt": ("detail", "file"),
    "evidence.zip_bomb": ("detail", "file"),
    "evidence.bundle_too_large": ("detail", "file"),
    "evidence.zip_unsafe_path": ("file",),
    "evidence.link_skipped": ("file",),
    "evidence.zip_name_encoding": ("detail", "file"),
    "evidence.file_ignored": ("file",),
    "evidence.zip_encrypted": ("file",),
    "evidence.file_too_large": ("detail", "file"),
    "evidence.file_unreadable": ("detail", "file"),
    "evidence.file_empty": ("file",),
    "evidence.not_pdf": ("detail", "file"),
    "evidence.pdf_corrupt": ("detail", "file"),
    "evidence.pdf_no_pages": ("file",),
    "evidence.pdf_encrypted": ("file",),
    "evidence.pdf_header_junk": ("detail", "file"),
    "evidence.pdf_too_complex": ("detail", "file"),
    "evidence.pdf_restricted": ("file",),
    "evidence.pdf_not_scan_or_signed": ("file",),
    "evidence.signature_broken": ("detail", "file"),
    "evidence.modified_after_signing": ("detail", "file"),
    "evidence.annotated_after_signing": ("detail", "file"),
    "evidence.signature_unverifiable": ("detail", "file"),
    "evidence.file_missing": ("detail", "file"),
    "evidence.row_without_file": ("criterion",),
    "evidence.file_unreferenced": ("file",),
    "evidence.duplicate_across_communes": ("detail", "file"),
    "set.yaml_invalid": ("detail",),
    "set.not_found": ("path",),
    "set.unreadable": ("path", "reason"),
    "set.field_invalid": ("detail", "field", "place"),
    "set.field_missing": ("field", "place"),
    "set.field_unknown": ("field", "place"),
    "set.excel_unreadable": ("detail", "file"),
    "set.excel_sheet_missing": ("sheet",),
    "set.excel_value": ("column", "place", "value"),
    "set.code_duplicate": ("at", "code", "count", "first", "place"),
    "set.code_hierarchy": ("code", "parent", "place", "prefix"),
    "set.code_format": ("code", "place"),
    "set.children_sum": ("code", "max", "place", "sum"),
    "set.total_sum": ("sum", "total"),
    "set.max_not_positive": ("code", "place"),
    "set.max_precision": ("code", "place"),
    "set.rule_missing": ("code", "place"),
    "set.rule_on_parent": ("code", "place"),
    "set.tiers_empty": (),
    "set.tiers_order": ("min", "name"),
    "set.tiers_range": ("min", "name", "total"),
    "set.tiers_cover": (),
    "set.adjust_cap": ("cap", "code", "place", "points"),
    "set.cap_invalid": ("block", "cap"),
    "set.area_empty": ("code", "place"),
    "set.code_name": ("code", "limit", "place"),
    "set.code_name_clash": ("code", "other", "place"),
    "set.tier_duplicate": ("name",),
    "set.tier_blank": ("min",),
    "set.figure_label_blank": ("code", "n", "place"),
    "set.rescale_no_body": (),
    "rule.level_out_of_range": ("code", "max", "place", "points"),
    "rule.level_duplicate": ("code", "place"),
    "rule.level_max_missing": ("code", "max", "place"),
    "rule.thresholds_not_ordered": ("code", "place"),
    "rule.tier_points_not_ordered": ("code", "place"),
    "rule.percent_out_of_range": ("code", "percent", "place"),
    "rule.per_item_above_max": ("code", "max", "per_item", "place"),
    "rule.step_not_divisor": ("code", "max", "place", "step"),
    "rule.points_precision": ("code", "place", "points"),
}


class Rule(NamedTuple):
    severity: Severity
    text: str
    params: tuple[str, ...]  # the names the text's placeholders use


def _registry() -> dict[str, Rule]:
    texts: dict[str, tuple[Severity, str]] = dict(FINDINGS)
    texts |= {rule: (sev, EVIDENCE_MESSAGES[rule]) for rule, sev in EVIDENCE_SEVERITY.items()}
    texts |= {rule: ("error", MESSAGES[rule]) for rule in SET_RULES}
    return {rule: Rule(sev, text, RULE_PARAMS[rule]) for rule, (sev, text) in texts.items()}


RULES: dict[str, Rule] = _registry()


def severity(rule: str) -> Severity:
    return RULES[rule].severity


def render(problem: Problem) -> str:
    """A problem's Vietnamese text: its rule's text with its parameters (and its place) filled in, Decimals
    the Vietnamese way."""
    params = dict(problem.params) if problem.place is None else {"place": problem.place, **problem.params}
    return RULES[problem.rule].text.format(**{k: _show(v) for k, v in params.items()})
