"""Criteria sets: model, scoring rules, loading, consistency checks, Excel round trip."""

from cchc_xl.criteria.load import CriteriaError, load_set
from cchc_xl.criteria.model import Area, CriteriaSet, Criterion

__all__ = ["Area", "CriteriaError", "CriteriaSet", "Criterion", "load_set"]
