"""Entry point of ``python -m vsstvun.bench``."""

from .cli import main

raise SystemExit(main())
