"""Reading returned workbooks safely: inbox discovery, pre-parse safety checks, cell access."""
