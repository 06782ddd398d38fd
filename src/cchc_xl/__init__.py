"""cchc-xl: Excel-first self-assessment, import, appraisal and ranking for the commune PAR Index."""

__version__ = "0.1.0"
