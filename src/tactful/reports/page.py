"""What every printable report shares: the page shell, number formatting and inline SVG.

Reports are read on screen, printed and handed to a regulator, so a page must stand on its
own: no script, no font, image or style fetched from anywhere, every plot an inline SVG
with a text alternative, and the same input giving the same bytes (an archived report can
be reproduced and compared).

Matplotlib keeps its settings in one process-wide `rcParams`; `plotting()` holds a lock
while a figure is built and serialised with the report style, so reports rendered by
concurrent requests of a server never see each other's settings. Figures are made with
`matplotlib.figure.Figure` directly, never through pyplot's global figure registry.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeGuard

import jinja2
import matplotlib
from cycler import cycler
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from tactful import templating

# Okabe & Ito (2008), "Color Universal Design": told apart with any colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
MUTED = "#B0B0B0"  # too small to judge
THRESHOLD = "#333333"  # dashed threshold lines

# A4 less 15 mm margins leaves 180 mm (7.1 in): figures 7 in wide print at about their own
# size, so the 9.5 pt ticks stay at least 9 pt on paper.
FIGURE_WIDTH = 7.0

_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "tactful",  # ids from content, not from a random salt
    "svg.fonttype": "none",  # text stays text: selectable, searchable, small
    "font.family": "sans-serif",
    # DejaVu Sans is what matplotlib measures with; Verdana is as wide, the others narrower,
    # so a reader without DejaVu never gets text that overflows its box.
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial", "Helvetica"],
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.titleweight": "bold",
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "figure.titlesize": 12.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "hatch.color": "#6B6B6B",
    "hatch.linewidth": 0.8,
    "axes.prop_cycle": cycler(
        color=[OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky")]
    ),
}
_SVG_METADATA: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}
_LOCK = threading.RLock()


@contextmanager
def plotting() -> Iterator[None]:
    """Build and serialise figures inside this: the report style, and no other thread's."""
    with _LOCK, matplotlib.rc_context(_STYLE):
        yield


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_SIZE = re.compile(r'\s+(?:width|height)="[^"]*"')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_IDS = re.compile(r'(\bid="|xlink:href="#|url\(#)([^")]+)')


def svg(fig: Figure, alt: str | None = None) -> Markup:
    """`fig` as an inline `<svg>` element, safe to put in an HTML page as it is.

    The XML prolog, doctype, metadata and namespace declarations go (the HTML parser puts
    inline SVG in its namespace, so the page names no address at all); width and height go
    too, so CSS can fit the drawing to the page through its viewBox. Matplotlib numbers its
    ids per figure ("axes_1"), so each id is prefixed with a hash of the drawing: several
    figures on one page never share an id, and the output stays deterministic. `alt`, when
    given, becomes the element's accessible name (role="img"). Text drawn in the figure is
    escaped by matplotlib's SVG writer.
    """
    buffer = io.StringIO()
    with plotting():
        fig.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    text = _METADATA.sub("", _PROLOG.sub("", buffer.getvalue(), count=1), count=1)
    head, sep, body = text.partition(">")
    head = _SIZE.sub("", _NAMESPACES.sub("", head))
    prefix = "s" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    body = _IDS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    # Pages are served with `style-src` limited to their own `<style>` blocks (see
    # `api.security`), which blocks `style="..."` attributes, and matplotlib writes every
    # colour and stroke that way. So each declaration becomes the SVG presentation
    # attribute of the same name (every property matplotlib writes has one), and its one
    # stylesheet rule, `*{stroke-linejoin: round; stroke-linecap: butt}`, becomes inherited
    # attributes of the root element.
    body = _STYLE_ATTRIBUTE.sub(_presentation, _STYLE_BLOCK.sub("", body))
    attributes = ' class="chart" stroke-linejoin="round" stroke-linecap="butt"'
    if alt:
        attributes += f' role="img" aria-label="{Markup.escape(alt)}"'
    return Markup(f"{head}{attributes}{sep}{body.rstrip()}")


_STYLE_BLOCK = re.compile(r"\s*<style[^>]*>.*?</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _presentation(match: re.Match[str]) -> str:
    out = []
    for declaration in match.group(1).split(";"):
        name, colon, value = declaration.partition(":")
        if colon and name.strip():
            out.append(f' {name.strip()}="{value.strip()}"')
    return "".join(out)


def figure(drawing: Markup, caption: str) -> Markup:
    """A drawing from `svg` in a `<figure>` with its caption (escaped), kept on one page."""
    return Markup("<figure>{}<figcaption>{}</figcaption></figure>").format(drawing, caption)


def plain(text: object) -> str:
    """A label as matplotlib should draw it: "$" would otherwise start mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def is_number(value: object) -> TypeGuard[float]:
    """A finite int or float (not a bool): something to plot or compare."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def number(value: object, digits: int = 3) -> str:
    """A figure as a report prints it: "n/a" when missing or not finite, thousands
    separated, `digits` decimals (more significant ones for a tiny non-zero value)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float) or not math.isfinite(value):
        return "n/a" if isinstance(value, float) else str(value)
    if value != 0 and abs(value) < 10.0**-digits:
        return f"{value:.{digits}g}"
    return f"{value:,.{digits}f}"


def percent(value: object, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage ("12.5%"), "n/a" when missing."""
    if not is_number(value):
        return "n/a"
    return f"{value * 100:.{digits}f}%"


BASE_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
  margin: 0 auto; max-width: 62rem; padding: 1rem; line-height: 1.45; color: #1b1b1b;
  background: #fff; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #1b1b1b; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.2rem; font-size: 0.9rem; }
.table-wrap { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; }
th { background: #f1f1f1; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
figure { margin: 1rem 0; }
figure svg.chart { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #333; margin-top: 0.3rem; }
.muted, .na { color: #5f5f5f; }
.crossed { color: #a33a00; font-weight: 600; }
.ok { color: #1f6f4a; }
.alert { border: 3px solid #a33a00; background: #fdf0e8; padding: 0.6rem 1rem;
  margin: 1rem 0; }
.alert h2 { margin-top: 0; border: none; }
.meta th { width: 12rem; }
dl.glossary dt { font-weight: 600; margin-top: 0.6rem; }
dl.glossary dd { margin-left: 1rem; }
footer { margin-top: 3rem; border-top: 1px solid #999; font-size: 0.9rem; }
@media (max-width: 40rem) {
  body { padding: 0.5rem; }
  table { font-size: 0.8rem; }
  th, td { padding: 0.2rem 0.3rem; }
}
@page { size: A4; margin: 15mm; }
@media print {
  * { background: transparent !important; box-shadow: none !important; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  .table-wrap { overflow: visible; }
  section.family { break-before: page; }
  figure, tr, .alert { break-inside: avoid; }
  h2, h3, caption { break-after: avoid; }
  thead { display: table-header-group; }
}
"""


@cache
def environment() -> jinja2.Environment:
    """The templates of `tactful/templates`, autoescaped, with the report filters: `num`,
    `pct`; globals `base_css` (the stylesheet, raw text inside `<style>`) and `figure`."""
    env = templating.environment("templates")
    env.filters["num"] = number
    env.filters["pct"] = percent
    env.globals["base_css"] = Markup(BASE_CSS)
    env.globals["figure"] = figure
    return env
