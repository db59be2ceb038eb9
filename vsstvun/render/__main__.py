"""Entry point of ``python -m vsstvun.render``."""

from .cli import main

raise SystemExit(main())
