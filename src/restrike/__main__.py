"""`python -m restrike` is the same as the `restrike` command."""

from restrike.cli import main

main()
