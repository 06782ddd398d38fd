"""`python -m cchc_xl …`: the same as the `cchc-xl` command."""

from cchc_xl.cli import main

main()
