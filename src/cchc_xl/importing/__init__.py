"""`cchc-xl import`: discover, read safely, verify, read inputs, recompute, validate, report, store."""
