"""`python -m redline` is the `redline` command."""

from redline.cli.app import console_main

console_main()
