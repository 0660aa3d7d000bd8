"""The fairness audit report: a self-contained, escaped, deterministic page whose plots
come with their numbers, its alert banner naming every crossed check, and the trend."""

from __future__ import annotations

import copy
import re
import threading
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from markupsafe import escape
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.fairness.audit import run_audit
from tactful.fairness.data import AuditData, Segment
from tactful.fairness.policy import DEFAULT_AUDIT_POLICY, AuditPolicy
from tactful.reports import page, plots
from tactful.reports.audit import TARGETING_PLOTS, render_audit
from tests.reports.sample_audit import sample_history, sample_result

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Document(HTMLParser):
    """Parses a page, checking that every element is closed in order, and collects what
    the tests look at: tags, attributes and text outside `<style>`."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.svg_depth = 0
        self.feed(text)
        self.close()
        assert self.stack == [], f"unclosed elements: {self.stack}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))  # <path .../> inside SVG

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "style" not in self.stack:
            self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)

    def plain(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def expected_svgs(result: dict[str, Any], history: int) -> int:
    quality = len(result["quality"])
    pairs = [
        report
        for segment in result["targeting"]
        for report in segment["reports"].values()
        if report["any_flagged"]
    ]
    targeting = min(len(pairs), TARGETING_PLOTS) if pairs else 2
    return quality + 2 + targeting + (1 if history >= 1 else 0)  # + providers, top items


@pytest.fixture(scope="module")
def alerting() -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    result = sample_result(alert=True)
    history = sample_history(3)
    return result, history, render_audit(result, history)


@pytest.fixture(scope="module")
def quiet() -> tuple[dict[str, Any], str]:
    result = sample_result(alert=False, nulls=True)
    return result, render_audit(result)


def test_alerting_page_parses_with_a_plot_per_figure(alerting: Any) -> None:
    result, history, text = alerting
    document = Document(text)
    assert result["alert"]
    assert document.count("svg") == expected_svgs(result, len(history)) == 7
    assert text.count("<svg") == document.count("svg")
    assert document.count("figure") == document.count("figcaption") == document.count("svg")
    for tag, attrs in document.tags:
        if tag == "svg":
            assert attrs["role"] == "img"
            assert attrs["aria-label"]
            assert "viewbox" in attrs  # scales to the page through CSS


def test_alert_banner_names_every_crossed_check(alerting: Any) -> None:
    result, _, text = alerting
    crossed = [c for c in result["checks"] if c["crossed"]]
    assert len(crossed) >= 3
    banner = text[text.index('<section class="alert"') : text.index("</section>")]
    assert f"Alert: {len(crossed)} checks crossed" in banner
    for check in crossed:
        assert str(escape(check["message"])) in banner
    # The checks table lists crossed ones first, then every other check.
    table = text[text.index('<section id="checks">') :]
    table = table[: table.index("</section>")]
    verdicts = re.findall(r'<span class="(crossed|ok)">', table)
    assert verdicts == ["crossed"] * len(crossed) + ["ok"] * (len(result["checks"]) - len(crossed))


def test_quiet_page_has_no_banner(quiet: Any) -> None:
    result, text = quiet
    document = Document(text)
    assert not result["alert"]
    assert 'class="alert"' not in text
    assert f"all {len(result['checks'])} checks are within their thresholds" in document.plain()
    assert document.count("svg") == expected_svgs(result, 0) == 6
    assert "The trend needs at least two audit runs" in document.plain()


@pytest.mark.slow
def test_trend_needs_two_runs(alerting: Any, quiet: Any) -> None:
    result, history, text = alerting
    assert "Trend over audit runs" in text
    assert f"{len(history) + 1} audit runs from 2025-05-11 to 2025-05-14" in text
    assert "The trend needs at least two audit runs" not in text
    trend = text[text.index('<section id="trend"') :]
    trend = trend[: trend.index("</section>")]
    assert trend.count("<tr>") == 1 + len(history) + 1  # header, runs oldest first
    assert trend.index("2025-05-11") < trend.index("2025-05-14T06:00:00+00:00 <strong>")
    one_earlier = render_audit(result, history[:1])
    assert "2 audit runs from 2025-05-13 to 2025-05-14" in one_earlier
    assert "Trend over audit runs" not in quiet[1]


def test_nothing_is_fetched_from_anywhere(alerting: Any, quiet: Any) -> None:
    for text in (alerting[2], quiet[1]):
        assert "http://" not in text
        assert "https://" not in text
        for tag, attrs in Document(text).tags:
            assert tag not in {"script", "link", "img", "iframe", "object"}
            for name in ("src", "href", "xlink:href"):
                if attrs.get(name) is not None:
                    assert str(attrs[name]).startswith("#"), (tag, attrs)
        for target in re.findall(r"url\(([^)]*)\)", text):
            assert target.startswith("#"), target


def test_ids_are_unique_and_references_resolve(alerting: Any) -> None:
    text = alerting[2]
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    references = re.findall(r'(?:href="#|url\(#)([^")]+)', text)
    assert references
    assert set(references) <= set(ids)


def test_null_figures_print_as_na(quiet: Any) -> None:
    result, text = quiet
    assert result["accuracy"]["mrr"] is None
    assert result["popularity"]["miscalibration"] is None
    assert result["exposure"]["gini"] is None
    assert result["exposure"]["providers"]["ratio"][-1] is None  # a provider without items
    na = '<span class="na">n/a</span>'
    assert f'<td>MRR</td><td class="n">{na}</td>' in text
    assert f'<td>Miscalibration (KL divergence)</td><td class="n">{na}</td>' in text
    assert f"over the catalog: <strong>{na}</strong>" in text
    row = re.search(r"<tr><td>empty-shelf</td>.*?</tr>", text)
    assert row is not None
    assert row.group().endswith(
        f'<td class="n">{na}</td><td><span class="muted">not judged: fewer than 10 items</span>'
        "</td></tr>"
    )  # no ratio without items, and too few items to judge
    assert "None" not in Document(text).plain()
    assert "nan" not in Document(text).plain().split()


@pytest.mark.slow
def test_names_are_escaped_everywhere() -> None:
    hostile = '<script>alert("x")</script>'
    result = sample_result(alert=True, provider=hostile)
    result["label"] = "<b>shop</b> & co"
    result["targeting"][0]["segment"] = "<img src=x onerror=alert(1)>"
    result["quality"]["gender"]["groups"]["a$b$c"] = result["quality"]["gender"]["groups"].pop("M")
    text = render_audit(result)
    document = Document(text)
    assert "<script" not in text
    assert "<img" not in text
    assert "<b>shop" not in text
    assert "&lt;script&gt;" in text  # in the tables, the SVG text and its aria-label
    assert "Fairness audit: &lt;b&gt;shop&lt;/b&gt; &amp; co" in text
    assert not any(tag in {"script", "img", "b"} for tag, _ in document.tags)
    assert hostile in document.plain()
    # "$" is drawn as it is, not as mathtext.
    assert re.search(r"<text[^>]*>a\$b\$c \(n=", text)


@pytest.mark.slow
def test_rendering_is_deterministic(quiet: Any) -> None:
    result, text = quiet
    assert render_audit(result) == text


def test_a_bare_result_still_renders() -> None:
    text = render_audit({"audit_id": "only-an-id"})
    plain = Document(text).plain()
    assert "only-an-id" in plain
    assert "no threshold was checked" in plain
    assert "<svg" not in text
    with pytest.raises(InvalidInput):
        render_audit(["not", "a", "result"])  # type: ignore[arg-type]


def test_history_of_the_same_run_is_not_counted_twice() -> None:
    result = {**sample_result(alert=False), "quality": {}, "targeting": []}
    text = render_audit(result, [result])
    assert "The trend needs at least two audit runs" in text


def test_a_lorenz_curve_when_the_result_has_one() -> None:
    result = {**sample_result(alert=False), "quality": {}, "targeting": []}
    plain = render_audit(result)
    shares = [0.0, 0.1, 0.3, 0.6, 1.0]
    result["exposure"] = {
        **result["exposure"],
        "lorenz": {"items": [0, 0.25, 0.5, 0.75, 1], "exposure": shares},
    }
    text = render_audit(result)
    assert text.count("<svg") == plain.count("<svg") + 1
    assert "The least exposed half of the items receives 30.0% of the exposure." in text


# --- the page helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "n/a"),
        (float("nan"), "n/a"),
        (float("inf"), "n/a"),
        (True, "yes"),
        (1234567, "1,234,567"),
        (0.8, "0.800"),
        (0.00012, "0.00012"),
        (0.0, "0.000"),
        (212.4, "212.400"),
    ],
)
def test_number(value: object, shown: str) -> None:
    assert page.number(value) == shown


def test_percent() -> None:
    assert page.percent(0.125) == "12.5%"
    assert page.percent(None) == "n/a"
    assert page.percent(float("nan")) == "n/a"


def _small_figure(label: str) -> Figure:
    with page.plotting():
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().bar([label, "b"], [1, 2])
        return fig


def test_svg_is_inline_and_labelled() -> None:
    drawing = page.svg(_small_figure("a & <b>"), alt='bars "a" and b')
    assert drawing.startswith("<svg ")
    assert "<?xml" not in drawing
    assert "DOCTYPE" not in drawing
    assert "xmlns" not in drawing
    assert 'aria-label="bars &#34;a&#34; and b"' in drawing
    assert "a &amp; &lt;b&gt;" in drawing


def test_concurrent_renders_agree() -> None:
    providers = sample_result(alert=True)["exposure"]["providers"]
    alone = plots.exposure_chart(providers, threshold=0.5)
    results: list[Any] = []

    def render() -> None:
        results.append(plots.exposure_chart(providers, threshold=0.5))

    threads = [threading.Thread(target=render) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [alone] * 2


# --- a real audit -------------------------------------------------------------------------


def _real_data() -> AuditData:
    """Eight people, six items, two providers; men's lists miss what they wanted."""
    n_items = 6
    lists = np.array([[0, 1, 2]] * 8, dtype=np.int64)
    relevant = np.zeros((8, n_items))
    relevant[:4, 0] = 1  # women find item 0 at the top
    relevant[4:, 5] = 1  # men wanted item 5, never shown
    history = np.zeros((8, n_items))
    history[:, 3] = 1
    categories = sparse.csr_array(np.eye(n_items, 2))
    return AuditData(
        source="offline",
        label="hand-built",
        window_start=None,
        window_end=None,
        item_ids=[f"item-{i}" for i in range(n_items)],
        providers=["big", "big", "big", "small", "small", "small"],
        categories=categories,
        popularity=np.array([9.0, 8, 7, 1, 1, 1]),
        population=20,
        people=[f"p{i}" for i in range(8)],
        attributes={"gender": ["women"] * 4 + ["men"] * 4},
        lists=lists,
        list_person=np.arange(8, dtype=np.int64),
        relevant=sparse.csr_array(relevant),
        history=sparse.csr_array(history),
        segments=(
            Segment(
                "campaign",
                "spring-sale",
                np.arange(8, dtype=np.int64),
                np.ones(8, dtype=np.bool_),
                np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=np.bool_),
                np.zeros(8, dtype=np.bool_),
            ),
        ),
    )


def test_renders_a_real_audit() -> None:
    policy = AuditPolicy.model_validate(
        {
            "measure": {
                "k": 3,
                "attributes": ["gender"],
                "min_group_size": 2,
                "min_provider_items": 2,
            },
            "thresholds": DEFAULT_AUDIT_POLICY.thresholds.model_dump(),
        }
    )
    started = datetime(2025, 3, 1, 12, tzinfo=UTC)
    result = run_audit(_real_data(), policy, audit_id="real-1", started_at=started).as_dict()
    assert result["alert"]
    text = render_audit(result)
    document = Document(text)
    crossed = [c for c in result["checks"] if c["crossed"]]
    checks = {c["check"] for c in crossed}
    assert {"quality_ratio", "provider_exposure_ratio", "adverse_impact_ratio"} <= checks
    for check in crossed:
        assert str(escape(check["message"])) in text
    # gender quality, providers, the Lorenz curve, top items, the flagged campaign; no
    # trend yet.
    assert document.count("svg") == 5
    assert "hand-built" in document.plain()
    assert "Campaign “spring-sale” by gender" in text
    assert "http://" not in text
    assert "https://" not in text


# --- what is drawn, and that it fits --------------------------------------------------------


def _spring_sale(result: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in result["targeting"] if t["segment"] == "spring-sale")


def test_targeting_draws_the_pairs_with_the_lowest_ratio_first() -> None:
    result = {**sample_result(alert=True), "quality": {}}
    template = _spring_sale(result)
    segments = []
    for i in range(TARGETING_PLOTS + 2):  # later segments exclude more
        entry = copy.deepcopy(template)
        entry["segment"] = f"segment-{i}"
        for rate in entry["reports"]["age_band"]["impact"].values():
            for group in rate["groups"].values():
                if group["flagged"]:
                    group["ratio"] = 0.7 - 0.05 * i
        segments.append(entry)
    result["targeting"] = segments
    text = render_audit(result)
    drawn = re.findall(r"<figcaption>Campaign “(segment-\d+)”", text)
    assert drawn == [f"segment-{i}" for i in range(TARGETING_PLOTS + 1, 1, -1)]
    assert (
        f"{TARGETING_PLOTS + 2} segment and attribute pairs with a flagged group; the "
        f"{TARGETING_PLOTS} with the lowest ratio are drawn, the other 2 are in the tables only."
    ) in Document(text).plain()
    assert len(re.findall(r"<h3>Campaign “segment-\d+”</h3>", text)) == TARGETING_PLOTS + 2


def test_a_targeting_chart_draws_only_the_rates_with_a_flagged_group() -> None:
    result = sample_result(alert=True)
    reports = _spring_sale(result)["reports"]
    flagged, quiet = reports["age_band"], reports["gender"]
    assert plots.targeting_rates(flagged) == ("served", "converted")
    assert plots.targeting_rates(quiet) == ("eligible", "served", "converted")
    with page.plotting():
        titles = [
            ax.get_title("left") for ax in plots.draw_targeting("campaign", "s", flagged).axes
        ]
        assert [t.split("\n")[0] for t in titles] == ["Served", "Converted"]
        assert len(plots.draw_targeting("campaign", "s", quiet).axes) == 3
    chart = plots.targeting_chart("campaign", "spring-sale", flagged)
    assert chart is not None
    assert "each group's served rate" in chart.caption
    assert "Only the rates with a flagged group are drawn." in chart.caption


def test_bars_that_cannot_be_seen_are_named() -> None:
    report = copy.deepcopy(_spring_sale(sample_result(alert=True))["reports"]["age_band"])
    served = report["impact"]["served"]["groups"]
    served["55-64"].update(rate=0.0, ratio=0.0, flagged=True)
    served["65+"].update(rate=None, ratio=None, flagged=False)
    with page.plotting():
        fig = plots.draw_targeting("campaign", "spring-sale", report)
    marks = {t.get_text(): t.get_color() for t in fig.axes[0].texts if t.get_text()[:1] == " "}
    assert marks == {" 0%": page.OKABE_ITO["vermillion"], " n/a": "black"}


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    """Every kind of chart, on long and hostile names, as the report draws them."""
    result = sample_result(alert=True, provider="A provider with a very long name & co $5")
    result["quality"]["gender"]["groups"]["a group whose name runs on and on"] = result["quality"][
        "gender"
    ]["groups"].pop("M")
    exposure = result["exposure"]
    history = sample_history(3)
    times = [datetime.fromisoformat(r["started_at"]) for r in [*reversed(history), result]]
    series = [
        plots.Series(f"Figure {i}", "unit of measure", [0.1 * i + 0.01 * j for j in range(4)], 0.2)
        for i in range(6)
    ]
    lorenz = {"items": [0, 0.5, 1], "exposure": [0, 0.2, 1]}
    targeting = _spring_sale(result)["reports"]["age_band"]
    with page.plotting():
        return {
            "quality": plots.draw_quality(
                "gender", result["quality"]["gender"], k=10, min_size=30, threshold=0.8
            ),
            "exposure": plots.draw_exposure(exposure["providers"], threshold=0.5, min_items=2),
            "top items": plots.draw_top_items(
                exposure["top_items"], gini=0.9, threshold=0.8, n_items=500
            ),
            "lorenz": plots.draw_lorenz(lorenz, gini=0.4),
            "targeting": plots.draw_targeting("campaign", "spring-sale", targeting),
            "trend": plots.draw_trend(times, series),
        }


@pytest.mark.parametrize(
    "name", ["quality", "exposure", "top items", "lorenz", "targeting", "trend"]
)
def test_everything_drawn_fits_in_its_figure_and_clears_the_axes(
    figures: dict[str, Figure], name: str
) -> None:
    """The margins are computed from the labels instead of by a layout engine: nothing
    drawn may fall off the figure (a tight bounding box would not grow it), and the title,
    legend and row labels keep clear of every axes."""
    fig = figures[name]
    FigureCanvasAgg(fig)
    with page.plotting():
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        fig.draw(renderer)
        drawn = fig.get_tightbbox(renderer)
        size = fig.get_size_inches()
        assert drawn.x0 >= -0.01, (name, drawn)
        assert drawn.y0 >= -0.01, (name, drawn)
        assert drawn.x1 <= size[0] + 0.01, (name, drawn)
        assert drawn.y1 <= size[1] + 0.01, (name, drawn)
        frames = [ax.get_window_extent(renderer) for ax in fig.axes if ax.get_visible()]
        suptitle = fig.get_suptitle()
        outside: list[Any] = [*fig.legends, *(fig.texts if suptitle else [])]
        outside += [
            t for t in fig.axes[0].texts if t.get_horizontalalignment() == "right"
        ]  # row labels
        assert outside or name == "lorenz"  # its title and legend are the axes'
        for artist in outside:
            box = artist.get_window_extent(renderer)
            assert not any(box.overlaps(frame) for frame in frames), (name, artist)
