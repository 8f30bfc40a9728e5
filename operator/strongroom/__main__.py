"""``python -m strongroom`` runs the same command tree as the ``strongroom`` script."""

from strongroom.cli.main import main

raise SystemExit(main())
