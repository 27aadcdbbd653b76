"""The suite's own scheduling (tests/conftest.py): the longest tests start first, one at the
head of each xdist worker's share, and the list naming them cannot go stale silently."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.conftest import LONG_FIRST, ROOT, pytest_collection_modifyitems


@dataclass
class Item:
    nodeid: str
    e2e: bool = False

    def get_closest_marker(self, name: str) -> object:
        return self.e2e if name == "e2e" and self.e2e else None


@dataclass
class Config:
    workerinput: dict[str, object]


def test_every_long_first_entry_names_a_test_that_exists() -> None:
    for entry in LONG_FIRST:
        path, name = entry.split("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\w*\(", source, re.M), entry


def test_each_worker_starts_with_a_long_test_and_nothing_is_lost() -> None:
    units = [Item(f"tests/test_u.py::test_{i}") for i in range(10)]
    served = Item("tests/e2e/test_s.py::test_served", e2e=True)
    longs = [Item(f"{entry}_x") for entry in LONG_FIRST[:3]]
    items = [*units, served, *reversed(longs)]
    pytest_collection_modifyitems(Config({"workercount": 2}), items)  # type: ignore[arg-type]
    assert sorted(i.nodeid for i in items) == sorted(i.nodeid for i in [*units, served, *longs])
    half = len(items) // 2  # xdist's worksteal hands each worker a contiguous share
    assert items[0] is longs[0] and items[half] is longs[1]  # the two longest, at once
    assert items[1] is longs[2] and items[2] is served  # then the rest, e2e first


@pytest.mark.parametrize("workers", [1, 3])
def test_any_number_of_workers_keeps_every_test(workers: int) -> None:
    items = [Item(f"tests/test_u.py::test_{i}") for i in range(4)] + [Item(LONG_FIRST[0])]
    pytest_collection_modifyitems(Config({"workercount": workers}), items)  # type: ignore[arg-type]
    assert items[0].nodeid == LONG_FIRST[0] and len({i.nodeid for i in items}) == 5
