"""``python -m zhuqi`` runs the command line."""

from zhuqi.cli import main

main()
