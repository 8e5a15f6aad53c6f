"""`python -m bench`: the national-scale benchmark (see `bench.run`)."""

from bench.run import main

raise SystemExit(main())
