"""The burn-up chart: numbers from a scripted fortnight in git, the PNG it draws (decoded and
checked), `batchbot chart --out`, the shell, and the late bars of the Mermaid gantt."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image

from bot.commands import Command, Context, handle
from bot.plan.store import Actor
from bot.render.chart_png import burnup_png
from bot.render.report_markdown import gantt
from bot.replies import ChartView
from bot.report.burnup import burnup
from bot.report.schedule import progress_samples
from tests.conftest import run_cli
from tests.test_report_job import assert_real_chart
from tests.test_weekly_report import script_fortnight


def test_the_burn_up_reads_each_batchs_progress_per_week_from_git(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    samples = progress_samples(store.history(limit=0, until=clock()))
    chart = burnup(store.load(), samples, clock().date())  # Fri 4 Dec, Week 2
    assert chart.weeks[:3] == ("W1", "W2", "W3") and len(chart.weeks) == 10
    assert chart.actual_weeks == 2
    by_name = dict(chart.batches)
    assert by_name["Critical Blockers"] == (40.0, 100.0)
    assert by_name["Infrastructure"] == (20.0, 60.0)
    assert by_name["Observability"] == (100.0, 100.0)
    assert chart.overall == (32.0, 52.0)
    # Planned: each batch linear from its first Monday to its due Friday; by Sun 29 Nov
    # batch-1 (23 Nov → 4 Dec) is 6/11 of the way, the four others not started.
    assert chart.planned[0] == pytest.approx(100 * 6 / 11 / 5)
    assert chart.planned[-1] == 100.0


def test_batch_chart_gives_the_numbers_and_the_png_is_a_real_chart(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    reply = handle(Command(Actor("x"), ("chart",), "slack"), Context(store=store, clock=clock))
    assert isinstance(reply.view, ChartView)
    assert reply.view.summary == (
        "Burn-up: 5 batches over 10 weeks; overall 52%, planned 20% by the end of this week"
    )
    assert_real_chart(burnup_png(reply.view.chart))


def test_a_thousand_batch_chart_still_draws(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    plan = store.load()
    import dataclasses

    many = tuple(
        dataclasses.replace(plan.batches[i % 5], id=f"b{i}", name=f"B{i}") for i in range(1000)
    )
    chart = burnup(dataclasses.replace(plan, batches=many), {}, clock().date())
    image = Image.open(io.BytesIO(burnup_png(chart)))
    assert image.size == (1000, 550)


def test_the_cli_writes_the_chart_and_the_shell_saves_one(plan_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "burnup.png"
    result = run_cli("--plan", str(plan_file), "chart", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == f"wrote {out} ({out.stat().st_size:,} bytes)"
    assert_real_chart(out.read_bytes())
    bad = run_cli("--plan", str(plan_file), "chart", "--out", str(tmp_path / "no" / "x.png"))
    assert bad.returncode == 1 and bad.stderr.startswith("Error: cannot write")
    shell = run_cli("--plan", str(plan_file), "shell", stdin="/batch chart\n")
    assert "chart written to " in shell.stdout, shell.stderr


def test_the_gantt_marks_late_batches_crit(plan_file: Path) -> None:
    store, _ = script_fortnight(plan_file)
    lines = gantt(store.load(), dt.date(2026, 12, 21))  # Infrastructure due Fri 18 Dec
    assert "    Infrastructure :crit, batch_2, 2026-12-07, 2026-12-18" in lines
    assert lines[-1] == "```"
