"""Entry point of ``python -m vsstvun.bench``."""

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.bench")

from .cli import main

raise SystemExit(main())
