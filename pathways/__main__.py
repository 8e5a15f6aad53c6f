"""`python -m pathways`: the command line."""

from pathways.cli import main

raise SystemExit(main())
