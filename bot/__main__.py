"""`python -m bot` is the same as the `batchbot` command."""

from bot.cli import main

raise SystemExit(main())
