"""The bundled set criteria/phu-yen-2022.yaml: valid, 8 areas totalling 100, survives every round trip."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.criteria import load_set
from cchc_xl.criteria.check import check_set
from cchc_xl.criteria.excel import export_criteria, import_criteria
from cchc_xl.criteria.load import DEFAULT_SET, dump_yaml
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.paths import bundled
from criteria_tables import excel_eval

D = Decimal
BUNDLED = bundled(DEFAULT_SET)

pytestmark = pytest.mark.skipif(not BUNDLED.exists(), reason=f"{DEFAULT_SET} is not written yet")

# domain.md §3: the representative commune split, which the bundled set follows
AREA_MAXIMA = {"I": 12, "II": 8, "III": 18, "IV": 7, "V": 12, "VI": 8, "VII": 15, "VIII": 20}


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return load_set()


def same(a: CriteriaSet, b: CriteriaSet) -> None:
    assert a.model_dump(exclude={"source_sha256"}) == b.model_dump(exclude={"source_sha256"})


def test_it_is_the_default_and_loads_without_problems(cset: CriteriaSet) -> None:
    assert check_set(cset) == []
    assert cset.source_sha256 and len(cset.source_sha256) == 64
    same(cset, load_set(BUNDLED))


def test_identity(cset: CriteriaSet) -> None:
    assert cset.id == "phu-yen-2022"
    assert cset.year == 2022
    assert cset.decision.number == "1550/QĐ-UBND"
    assert "Phù Yên" in cset.decision.issuer


def test_eight_areas_totalling_100(cset: CriteriaSet) -> None:
    assert [a.code for a in cset.areas] == list(AREA_MAXIMA)
    assert {a.code: a.max for a in cset.areas} == {k: D(v) for k, v in AREA_MAXIMA.items()}
    assert sum(a.max for a in cset.areas) == cset.total == 100


def test_shape_matches_commune_sets(cset: CriteriaSet) -> None:
    leaves = cset.leaves()
    assert 50 <= len(leaves) <= 80  # domain.md §3: commune sets seen have 50-80 scored items
    assert len({leaf.name_key for leaf in leaves}) == len(leaves)
    assert all(leaf.rule is not None for leaf in leaves)
    for area in cset.areas:
        assert area.criteria, area.code
        assert sum(c.max for c in area.criteria) == area.max
    # the satisfaction survey and appraisal-only items are scored by the district, in area VIII
    district = [leaf for leaf in leaves if leaf.scored_by == "district"]
    assert district and all(cset.area_of[leaf.code].code == "VIII" for leaf in district)
    assert len(cset.commune_leaves()) == len(leaves) - len(district)


def test_tiers(cset: CriteriaSet) -> None:
    assert [t.name for t in cset.tiers] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    assert [t.min for t in cset.tiers] == [90, 80, 70, 50, 0]
    assert cset.tier_for(D("89.99")) == "Tốt" and cset.tier_for(D("90")) == "Xuất sắc"


def test_every_rule_describes_itself_and_its_formula_agrees(cset: CriteriaSet) -> None:
    samples = [D(0), D(1), D(2), D(3), D(7), D(19), D(20), D(100)]
    for leaf in cset.leaves():
        assert leaf.rule is not None
        assert leaf.rule.describe(leaf.max)
        assert leaf.rule.param_problems(leaf.max) == []
        if not leaf.rule.computed:
            continue
        n = len(leaf.rule.figures())
        refs = [f"K{i}" for i in range(1, n + 1)]
        formula = leaf.rule.excel_points(leaf.max, refs)
        for figures in itertools.product(samples, repeat=n):
            if leaf.rule.figure_problems(list(figures)):
                continue
            points = leaf.rule.points(leaf.max, list(figures))
            assert 0 <= points <= leaf.max, (leaf.code, figures)
            assert leaf.rule.value_problems(leaf.max, points) == [], (leaf.code, figures)
            assert excel_eval(formula, dict(zip(refs, figures, strict=True))) == points, (leaf.code, figures)


def test_yaml_round_trip(cset: CriteriaSet, tmp_path: Path) -> None:
    path = tmp_path / "again.yaml"
    path.write_text(dump_yaml(cset), encoding="utf-8")
    again = load_set(path)
    same(again, cset)
    assert again.fingerprint() == cset.fingerprint()


def test_excel_round_trip(cset: CriteriaSet, tmp_path: Path) -> None:
    path = tmp_path / "phu-yen.xlsx"
    export_criteria(cset, path)
    back = import_criteria(path)
    same(back, cset)
    assert back.fingerprint() == cset.fingerprint()


# -- the command line with its defaults ----------------------------------------------------------------
def test_cli_check_bundled() -> None:
    result = CliRunner().invoke(cli, ["criteria", "check", str(BUNDLED)])
    assert result.exit_code == 0, result.output
    for text in ("“phu-yen-2022”", "8 lĩnh vực", "tổng 100 điểm"):
        assert text in result.stdout


def test_cli_show_prints_eight_areas_summing_to_100(cset: CriteriaSet) -> None:
    result = CliRunner().invoke(cli, ["criteria", "show", str(BUNDLED)])
    assert result.exit_code == 0, result.output
    area_lines = [line for line in result.stdout.splitlines() if not line.startswith(" ") and ". " in line
                  and line.endswith("]") and line.split(".")[0] in AREA_MAXIMA]
    assert len(area_lines) == 8
    maxima = [D(line.rsplit("[", 1)[1].rstrip("]").replace(",", ".")) for line in area_lines]
    assert maxima == [D(v) for v in AREA_MAXIMA.values()]
    assert sum(maxima) == 100
    assert "tổng 100 điểm" in result.stdout.splitlines()[0]
    for leaf in cset.leaves():
        assert f" {leaf.code} " in result.stdout


def test_cli_export_import_round_trip(cset: CriteriaSet, tmp_path: Path) -> None:
    xlsx = tmp_path / "phu-yen.xlsx"
    runner = CliRunner()
    assert runner.invoke(cli, ["criteria", "export", str(xlsx), "--criteria", str(BUNDLED)]).exit_code == 0
    result = runner.invoke(cli, ["criteria", "import", str(xlsx)])
    assert result.exit_code == 0, result.output
    same(load_set(xlsx.with_suffix(".yaml")), cset)
