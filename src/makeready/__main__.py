"""``python -m makeready`` runs the command line."""

from makeready.cli import main

main()
