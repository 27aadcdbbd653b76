"""A loopback fake of the GitHub REST API for tests and benchmarks (see server.py)."""

from tests.fakegithub.server import Call, FakeGitHub

__all__ = ["Call", "FakeGitHub"]
