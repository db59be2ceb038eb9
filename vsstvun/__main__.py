"""``python -m vsstvun``: see :mod:`vsstvun.cli.main`."""

from .cli.main import main

raise SystemExit(main())
