"""The criteria set as an editable workbook, both ways, lossless.

Export writes three sheets (set information and tiers; one row per area/criterion/sub-criterion with the
rule's parameters in readable columns; bonus and penalty items). Import reads them back through the same
pipeline as YAML (raw tree -> model -> checks), with every problem naming its sheet and row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.criteria.check import check_set
from cchc_xl.criteria.load import CriteriaError, build
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.messages import error_detail, finding_text, say
from cchc_xl.numbers import NumberRangeError, parse_text_number, shown_number, to_decimal
from cchc_xl.reading.book import open_calamine
from cchc_xl.reading.safety import Limits, inspect_container
from cchc_xl.records import Problem
from cchc_xl.safeio import atomic_path
from cchc_xl.templates import template


def _num(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _dmy(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


# -- export ---------------------------------------------------------------------------------------
class CriteriaWorkbookWriter:
    """Writes the three sheets of the criteria workbook."""

    def __init__(self, cset: CriteriaSet, path: Path):
        self.cset = cset
        self.path = path
        self.t = template("criteria")

    def write(self) -> None:
        with atomic_path(self.path) as tmp:
            wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
            self.bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7",
                                       "border": 1})
            self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
            self.text = wb.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
            self._write_info(wb.add_worksheet(self.t["sheets"]["info"]))
            self._write_tree(wb.add_worksheet(self.t["sheets"]["tree"]))
            self._write_adjustments(wb.add_worksheet(self.t["sheets"]["adjust"]))
            wb.close()

    def _write_info(self, ws: Any) -> None:
        c = self.cset
        values = {
            "id": c.id, "title": c.title, "year": c.year, "version": c.version,
            "decision_number": c.decision.number, "decision_date": _dmy(c.decision.date),
            "decision_issuer": c.decision.issuer, "decision_title": c.decision.title, "total": _num(c.total),
            "evidence_from": _dmy(c.evidence_from), "evidence_to": _dmy(c.evidence_to),
            "bonus_cap": _num(c.bonus.cap) if c.bonus else "", "penalty_cap": _num(c.penalty.cap) if c.penalty else "",
            "rescale_unscored": self.t["yes"] if c.rescale_unscored else self.t["no"],
        }
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 70)
        row = 0
        for key, label in self.t["info_fields"].items():
            ws.write_string(row, 0, label, self.bold)
            value = values[key]
            if isinstance(value, str):
                ws.write_string(row, 1, value, self.text)
            else:
                ws.write_number(row, 1, value)
            row += 1
        row += 1
        ws.write_row(row, 0, self.t["tiers_header"], self.bold)
        for tier in c.tiers:
            row += 1
            ws.write_string(row, 0, tier.name)
            ws.write_number(row, 1, _num(tier.min))

    def _write_tree(self, ws: Any) -> None:
        cols = self.t.tree_columns.indices
        kind = cols["kind"]
        for c in self.t.tree_columns.values():
            ws.set_column(c.index, c.index, c.width)
            ws.write_string(0, c.index, c.header, self.bold)
        ws.freeze_panes(1, 2)
        ws.data_validation(1, kind, 2000, kind,
                           {"validate": "list", "source": list(self.t["kinds"].values())})
        levels = self.t["levels"]
        row = 1
        for area in self.cset.areas:
            self._write_node(ws, row, cols, {"level": levels["area"], "code": area.code, "title": area.title,
                                             "max": area.max})
            row += 1
            for crit in area.criteria:
                self._write_node(ws, row, cols, self._node_cells(levels["criterion"], crit))
                row += 1
                for sub in crit.children:
                    self._write_node(ws, row, cols, self._node_cells(levels["sub"], sub))
                    row += 1

    def _node_cells(self, level: str, node: Criterion) -> dict[str, Any]:
        cells: dict[str, Any] = {
            "level": level, "code": node.code, "title": node.title, "max": node.max,
            "requirement": node.requirement, "guidance": node.guidance, "evidence": "\n".join(node.evidence),
        }
        rule = node.rule
        if rule is None:
            return cells
        params = rule.model_dump(by_alias=True)
        cells["kind"] = self.t["kinds"][params.pop("kind")]
        if "levels" in params:
            cells["levels"] = "\n".join(f"{_vn(lv.points)} = {lv.label}" for lv in rule.levels)  # type: ignore[union-attr]
        if "tiers" in params:
            cells["tiers"] = "\n".join(f"{_vn(t.min_percent)}% = {_vn(t.points)}" for t in rule.tiers)  # type: ignore[union-attr]
        for key, col in (("numerator", "figure1"), ("achieved", "figure1"), ("count", "figure1"),
                         ("denominator", "figure2"), ("planned", "figure2"), ("method", "method")):
            if params.get(key):
                cells[col] = params[key]
        for key in ("per_item", "step", "when_zero"):
            if params.get(key) is not None:
                cells[key] = params[key]
        if "integer" in params:
            cells["integer"] = self.t["yes"] if params["integer"] else self.t["no"]
        return cells

    def _write_node(self, ws: Any, row: int, cols: dict[str, int], cells: dict[str, Any]) -> None:
        for key, value in cells.items():
            col = cols[key]
            if isinstance(value, Decimal):
                ws.write_number(row, col, _num(value))
            elif value != "":
                ws.write_string(row, col, str(value), self.text if key == "code" else self.wrap)

    def _write_adjustments(self, ws: Any) -> None:
        for c in self.t.adjust_columns.values():
            ws.set_column(c.index, c.index, c.width)
            ws.write_string(0, c.index, c.header, self.bold)
        row = 1
        for key, block in (("bonus", self.cset.bonus), ("penalty", self.cset.penalty)):
            for item in block.items if block else []:
                ws.write_string(row, 0, self.t["blocks"][key])
                ws.write_string(row, 1, item.code, self.text)
                ws.write_string(row, 2, item.title, self.wrap)
                ws.write_number(row, 3, _num(item.points))
                ws.write_string(row, 4, "\n".join(item.evidence), self.wrap)
                row += 1


def _vn(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def export_criteria(cset: CriteriaSet, path: Path) -> None:
    CriteriaWorkbookWriter(cset, path).write()


# -- import ---------------------------------------------------------------------------------------
def container_problem(path: Path) -> str:
    """Why the container check refuses the criteria workbook (the returned workbooks' limits: size,
    parts, inflated bytes, cells), in Vietnamese; '' when it may be read."""
    limits = Limits()
    try:
        verdict = inspect_container(path, limits)
    except OSError as exc:
        return error_detail(exc)
    if (problem := verdict.problem) is None:
        return ""
    return finding_text(problem.rule, detail=problem.params.get("detail", ""), size=path.stat().st_size,
                        limit=limits.max_file_bytes, last_cell=xl_rowcol_to_cell(limits.max_row - 1, limits.max_col - 1))[1]


class _SheetReader:
    """Stage 1 of the import: sheet rows -> the raw tree the YAML loader would produce."""

    def __init__(self, path: Path):
        self.t = template("criteria")
        self.problems: list[Problem] = []
        # code -> the place of each of its rows, in the order check_set visits them (tree, bonus, penalty)
        self.row_of: dict[str, list[str]] = {}
        refused = container_problem(path)
        if refused:
            raise CriteriaError([Problem("set.excel_unreadable", {"file": path.name, "detail": refused}, str(path))])
        try:
            self.book = open_calamine(path)
        except Exception as exc:  # calamine raises several error types for foreign or corrupt files
            raise CriteriaError([Problem("set.excel_unreadable", {"file": path.name, "detail": str(exc)},
                                         str(path))]) from None

    def rows(self, sheet_key: str) -> list[list[Any]]:
        name = self.t["sheets"][sheet_key]
        if name not in self.book.sheet_names:
            place = say("place.sheet", sheet=name)
            self.problems.append(Problem("set.excel_sheet_missing", {"sheet": name}, place))
            return []
        return self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def place(self, sheet_key: str, row: int) -> str:
        return say("place.row", sheet=self.t["sheets"][sheet_key], row=row)

    def bad(self, sheet_key: str, row: int, column: str, value: Any) -> None:
        place = self.place(sheet_key, row)
        self.problems.append(Problem("set.excel_value", {"column": column, "value": value}, place))

    def number(self, sheet_key: str, row: int, column: str, value: Any, required: bool = True) -> Decimal | None:
        if value in ("", None):
            if required:
                self.bad(sheet_key, row, column, "")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return to_decimal(value)
            except NumberRangeError:  # NaN, ±1E+400…
                self.bad(sheet_key, row, column, shown_number(value))
                return None
        parsed = parse_text_number(str(value).replace("%", ""))
        if parsed is None:
            self.bad(sheet_key, row, column, value)
        return parsed

    def read(self) -> dict[str, Any]:
        raw = self._info()
        raw["areas"] = self._tree()
        self._adjustments(raw)
        return raw

    def _info(self) -> dict[str, Any]:
        """The info sheet: labelled fields (label in column A, value in B), then the tiers table."""
        labels = {label: key for key, label in self.t["info_fields"].items()}
        raw: dict[str, Any] = {"decision": {}}
        rows = self.rows("info")
        tiers_at = None
        values: dict[str, Any] = {}
        for i, row in enumerate(rows, start=1):
            cells = [*row, "", ""]
            label = str(cells[0]).strip()
            if label == self.t["tiers_header"][0]:
                tiers_at = i
                break
            if label in labels:
                values[labels[label]] = (i, cells[1])
        for key, (i, value) in values.items():
            value = self._info_value(key, i, value)
            if value in (None, "") and key not in ("id", "title", "version", "decision_number"):
                continue
            if key.startswith("decision_"):
                raw["decision"][key.removeprefix("decision_")] = value
            else:
                raw[key] = value
        raw["tiers"] = self._tiers(rows, tiers_at)
        return raw

    def _info_value(self, key: str, row: int, value: Any) -> Any:
        """One info field's value, typed by its key (numbers, the year, dates, yes/no, text)."""
        column = self.t["info_fields"][key]
        if key in ("total", "bonus_cap", "penalty_cap"):
            return self.number("info", row, column, value, required=key == "total")
        if key == "year":
            year = self.number("info", row, column, value)
            return int(year) if year is not None else None
        if key in ("decision_date", "evidence_from", "evidence_to"):
            return self._date("info", row, column, value, required=key == "decision_date")
        if key == "rescale_unscored":
            text = "" if value is None else str(value).strip()
            if text not in ("", self.t["yes"], self.t["no"]):
                self.bad("info", row, column, value)
            return text == self.t["yes"] if text else None
        return "" if value is None else str(value).strip()

    def _tiers(self, rows: list[Any], tiers_at: int | None) -> list[dict[str, Any]]:
        tiers = []
        for i, row in enumerate(rows[tiers_at:] if tiers_at else [], start=(tiers_at or 0) + 1):
            cells = [*row, "", ""]
            if str(cells[0]).strip():
                tiers.append({"name": str(cells[0]).strip(),
                              "min": self.number("info", i, self.t["tiers_header"][1], cells[1])})
        return tiers

    def _date(self, sheet_key: str, row: int, column: str, value: Any, required: bool) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value or "").strip()
        if not text:
            if required:
                self.bad(sheet_key, row, column, "")
            return None
        try:
            return dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            self.bad(sheet_key, row, column, text)
            return None

    def _tree(self) -> list[dict[str, Any]]:
        rows = self.rows("tree")
        cols = list(self.t["tree_columns"])
        header = self.t["tree_columns"]
        levels = {v: k for k, v in self.t["levels"].items()}
        kinds = {v: k for k, v in self.t["kinds"].items()}
        areas: list[dict[str, Any]] = []
        parent: dict[str, Any] | None = None
        for i, row in enumerate(rows[1:], start=2):
            cells = dict(zip(cols, [*row, *[""] * len(cols)], strict=False))
            cells = {k: (v.strip() if isinstance(v, str) else v) for k, v in cells.items()}
            if all(v in ("", None) for v in cells.values()):
                continue
            level = levels.get(str(cells["level"]))
            code = cells["code"]
            code = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
            self.row_of.setdefault(code, []).append(self.place("tree", i))
            if level is None:
                self.bad("tree", i, header["level"].header, cells["level"])
                continue
            node: dict[str, Any] = {"code": code, "title": str(cells["title"]),
                                    "max": self.number("tree", i, header["max"].header, cells["max"])}
            if level == "area":
                node["criteria"] = []
                areas.append(node)
                parent = None  # a sub-criterion right under an area has no criterion to belong to
                continue
            node.update(self._node_fields(i, cells, kinds))
            if not areas:
                self.bad("tree", i, header["level"].header, cells["level"])
            elif level == "criterion":
                node["children"] = []
                areas[-1]["criteria"].append(node)
                parent = node
            elif parent is None:
                self.bad("tree", i, header["level"].header, cells["level"])
            else:
                parent["children"].append(node)
        return areas

    def _node_fields(self, i: int, cells: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
        header = self.t["tree_columns"]
        node: dict[str, Any] = {
            "requirement": str(cells["requirement"] or ""), "guidance": str(cells["guidance"] or ""),
            "evidence": [e.strip() for e in str(cells["evidence"] or "").splitlines() if e.strip()],
        }
        if not cells["kind"]:
            return node
        kind = kinds.get(str(cells["kind"]))
        if kind is None:
            self.bad("tree", i, header["kind"].header, cells["kind"])
            return node
        rule: dict[str, Any] = {"kind": kind}
        if kind == "levels":
            rule["levels"] = [{"points": p, "label": label} for p, label in self._pairs(i, "levels", cells)]
        if kind == "ratio_tiers":
            rule["tiers"] = [{"min_percent": p, "points": v} for p, v in self._pairs(i, "tiers", cells)]
            rule["numerator"], rule["denominator"] = str(cells["figure1"]), str(cells["figure2"])
        if kind == "proportional":
            rule["achieved"], rule["planned"] = str(cells["figure1"]), str(cells["figure2"])
            rule["integer"] = str(cells["integer"]) != self.t["no"]
        if kind in ("count_deduction", "count_award"):
            rule["count"] = str(cells["figure1"])
            rule["per_item"] = self.number("tree", i, header["per_item"].header, cells["per_item"])
        if kind == "manual" and cells["step"] not in ("", None):
            rule["step"] = self.number("tree", i, header["step"].header, cells["step"])
        if kind in ("ratio_tiers", "proportional") and cells["when_zero"] not in ("", None):
            rule["when_zero"] = self.number("tree", i, header["when_zero"].header, cells["when_zero"])
        if kind == "district" and cells["method"]:
            rule["method"] = str(cells["method"])
        node["rule"] = rule
        return node

    def _pairs(self, i: int, key: str, cells: dict[str, Any]) -> list[tuple[Any, Any]]:
        column = self.t.tree_columns[key].header
        pairs = []
        for line in str(cells[key] or "").splitlines():
            if not line.strip():
                continue
            left, sep, right = line.partition("=")
            first = parse_text_number(left.replace("%", ""))
            if not sep or first is None:
                self.bad("tree", i, column, line)
                continue
            if key == "tiers":
                second = parse_text_number(right)
                if second is None:
                    self.bad("tree", i, column, line)
                    continue
                pairs.append((first, second))
            else:
                pairs.append((first, right.strip()))
        return pairs

    def _adjustments(self, raw: dict[str, Any]) -> None:
        rows = self.rows("adjust")
        blocks = {v: k for k, v in self.t["blocks"].items()}
        header = self.t["adjust_columns"]
        items: dict[str, list[dict[str, Any]]] = {"bonus": [], "penalty": []}
        places: dict[str, list[tuple[str, str]]] = {"bonus": [], "penalty": []}
        for i, row in enumerate(rows[1:], start=2):
            cells = dict(zip(header, [*row, *[""] * len(header)], strict=False))
            if all(v in ("", None) for v in cells.values()):
                continue
            block = blocks.get(str(cells["block"]).strip())
            if block is None:
                self.bad("adjust", i, header["block"].header, cells["block"])
                continue
            code = str(cells["code"]).strip()
            places[block].append((code, self.place("adjust", i)))
            items[block].append({
                "code": code, "title": str(cells["title"]).strip(),
                "points": self.number("adjust", i, header["points"].header, cells["points"]),
                "evidence": [e.strip() for e in str(cells["evidence"] or "").splitlines() if e.strip()],
            })
        for block in ("bonus", "penalty"):
            for code, place in places[block]:
                self.row_of.setdefault(code, []).append(place)
            cap = raw.pop(f"{block}_cap", None)
            if cap is not None or items[block]:
                raw[block] = {"cap": cap if cap is not None else Decimal(0), "items": items[block]}


def import_criteria(path: Path) -> CriteriaSet:
    """Read a criteria workbook; raise CriteriaError with every problem, each naming its sheet and row."""
    reader = _SheetReader(path)
    raw = reader.read()
    if reader.problems:
        raise CriteriaError(reader.problems)

    info = say("place.sheet", sheet=reader.t["sheets"]["info"])

    def locate_nth(code: str, n: int) -> str:
        rows = reader.row_of.get(code)
        return rows[min(n, len(rows) - 1)] if rows else info

    def locate(code: str | None) -> str:
        return info if code is None else locate_nth(code, 0)

    cset = build(raw, locate)
    problems = check_set(cset, locate, locate_nth)
    if problems:
        raise CriteriaError(problems)
    return cset


