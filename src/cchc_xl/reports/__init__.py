"""Outputs for people and programs: JSON import report, validation and feedback workbooks."""
