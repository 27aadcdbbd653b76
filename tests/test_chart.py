"""The burn-up chart: numbers from a scripted fortnight in git, the PNG it draws (decoded and
checked), `batchbot chart --out`, the shell, and the late bars of the Mermaid gantt; Slack's
own chart block and the Mermaid burn-up (no plotting library), and what happens without the
optional `batchbot[charts]` extra."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.commands import Command, Context, handle
from bot.plan.store import Actor
from bot.render.blocks import render as render_blocks
from bot.render.chart_native import burnup_block, burnup_mermaid
from bot.render.chart_png import burnup_png
from bot.render.report_markdown import gantt, mermaid_label, to_markdown
from bot.replies import ChartView
from bot.report.burnup import burnup
from bot.report.schedule import progress_samples
from tests.conftest import ROOT, run_cli
from tests.fakeslack import validate_blocks
from tests.test_report_job import assert_real_chart
from tests.test_weekly_report import script_fortnight, week2_report


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
    shell = run_cli("--plan", str(plan_file), "shell", stdin="/batch chart\n", cwd=tmp_path)
    assert "chart written to " in shell.stdout, shell.stderr


def test_the_gantt_marks_late_batches_crit(plan_file: Path) -> None:
    store, _ = script_fortnight(plan_file)
    lines = gantt(store.load(), dt.date(2026, 12, 21))  # Infrastructure due Fri 18 Dec
    assert "    Infrastructure :crit, batch_2, 2026-12-07, 2026-12-18" in lines
    assert lines[-1] == "```"


# --------------------------------------------------------------------------- issue 20: no extra


def chart_of(plan_file: Path) -> tuple[ChartView, Context]:
    store, clock = script_fortnight(plan_file)
    ctx = Context(store=store, clock=clock)
    reply = handle(Command(Actor("x"), ("chart",), "slack"), ctx)
    assert isinstance(reply.view, ChartView)
    return reply.view, ctx


def test_batch_chart_in_slack_is_slacks_own_line_chart_within_its_limits(plan_file: Path) -> None:
    view, _ = chart_of(plan_file)
    _text, blocks = render_blocks(handle_reply(view))
    assert validate_blocks(blocks, max_blocks=50) == []
    [chart] = [b for b in blocks if b["type"] == "data_visualization"]
    assert chart["title"] == "Delivery program: Batch 1 → Batch 5 — burn-up"
    assert chart["chart"]["type"] == "line"
    assert chart["chart"]["axis_config"]["categories"] == ["W1", "W2"]
    series = {s["name"]: [p["value"] for p in s["data"]] for s in chart["chart"]["series"]}
    # Five batches and the two summary lines are seven: more than Slack's six, so two lines.
    assert series == {"Overall": [32.0, 52.0], "Planned": [10.9, 20.0]}
    assert "attached" not in json.dumps(blocks)  # no PNG is promised


def handle_reply(view: ChartView):  # type: ignore[no-untyped-def]
    from bot.replies import Reply

    return Reply(view, visibility="channel")


def test_the_slack_chart_keeps_to_20_weeks_6_series_and_20_character_names(
    plan_file: Path,
) -> None:
    view, _ = chart_of(plan_file)
    weeks = tuple(f"Week number {i}" for i in range(30))
    long = "A batch with a rather long name"
    chart = dataclasses.replace(
        view.chart,
        title="A program whose name is longer than fifty characters in all",
        weeks=weeks,
        actual_weeks=30,
        overall=tuple(float(i) for i in range(30)),
        planned=tuple(float(i) for i in range(30)),
        batches=((long, (1.0,) * 30), (long + " too", (2.0,) * 30)),
    )
    block = burnup_block(chart)
    assert block is not None and validate_blocks([block], max_blocks=50) == []
    assert len(block["title"]) == 50
    categories = block["chart"]["axis_config"]["categories"]
    assert categories[0] == "Week number 10" and len(categories) == 20  # the last 20 weeks
    names = [s["name"] for s in block["chart"]["series"]]
    assert names[:2] == ["Overall", "Planned"] and len(set(names)) == len(names) == 4
    assert all(len(n) <= 20 for n in names)


def test_the_report_markdown_has_a_mermaid_burn_up_beside_the_gantt(plan_file: Path) -> None:
    view, ctx = chart_of(plan_file)
    markdown = to_markdown(week2_report(ctx.store, ctx.clock), view.chart)
    timeline = markdown.index("```mermaid\ngantt")
    burn = markdown.index("```mermaid\nxychart-beta")
    assert timeline < burn
    assert burnup_mermaid(view.chart, mermaid_label) == [
        "```mermaid",
        "xychart-beta",
        '    title "Delivery program  Batch 1 → Batch 5 — burn-up (overall, then planned)"',
        '    x-axis ["W1", "W2"]',
        '    y-axis "progress %" 0 --> 100',
        "    line [32, 52]",
        "    line [10.9, 20]",
        "```",
    ]


def test_without_the_charts_extra_the_cli_says_in_one_line_how_to_install_it(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("matplotlib", "numpy")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises, as unset
    out = tmp_path / "x.png"
    result = run_cli("--plan", str(plan_file), "chart", "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: the PNG chart needs the charts extra (matplotlib): pip install 'batchbot[charts]'"
    ]
    assert not out.exists()
    shell = run_cli("--plan", str(plan_file), "shell", stdin="/batch chart\n", cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    assert "Burn-up: 5 batches" in shell.stdout
    assert "No PNG: the PNG chart needs the charts extra" in shell.stdout


def test_drawing_the_png_leaves_matplotlib_out_of_this_process(plan_file: Path) -> None:
    """A server that drew one chart must not keep the plotting stack (~100 MB) for good."""
    probe = (
        "import sys\n"
        "from bot.render.chart_png import burnup_png\n"
        "from bot.report.burnup import BurnUp\n"
        "chart = BurnUp('Plan', ('W1', 'W2'), (), 1, (40.0,), (30.0, 60.0), (('b1', (40.0,)),))\n"
        "png = burnup_png(chart)\n"
        "print(png[:4] == b'\\x89PNG', len(png) > 1000, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == ["True", "True", "False"], done.stderr
