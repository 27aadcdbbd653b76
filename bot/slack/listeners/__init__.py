"""Bolt listeners by kind; each module's `register(app, edge)` wires its callbacks."""
