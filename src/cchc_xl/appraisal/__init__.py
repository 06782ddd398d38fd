"""The appraisal round: council workbooks, their import, final scores, lifecycle and history."""
