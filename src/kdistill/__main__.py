"""``python -m kdistill``: the command line."""

from kdistill.cli import main

main()
