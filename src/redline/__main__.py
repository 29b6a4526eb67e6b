"""`python -m redline` is the `redline` command."""

from redline.cli.app import main

main()
