"""The pages' message catalogue: every text the templates and the web adapters show,
extracted with Babel, and each language's `.po` file kept in step with it.

`scripts/messages.py` runs this: `update` rewrites `messages.pot` and merges it into every
language's catalogue (new messages arrive untranslated, retired ones are marked obsolete);
`check` fails while the template is stale or any language lacks a translation, which the
test suite runs too.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from tactful.web.i18n import CATALOGUES, DEFAULT, DOMAIN, LOCALES

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATE = CATALOGUES / f"{DOMAIN}.pot"
# `t("...")` is how a route translates the texts it writes itself.
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None}
METHODS = [
    ("templates/web/**.html", "jinja2"),
    # The readable export (`/v1/me/export.html`, the Privacy Center's download).
    ("templates/export.html", "jinja2"),
    ("web/**.py", "python"),
    # The report's plots, as the Console draws them in the reader's language.
    ("reports/plots.py", "python"),
]
_JINJA = {
    "extensions": "jinja2.ext.i18n",
    "newstyle_gettext": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
}
OPTIONS = {"templates/web/**.html": _JINJA, "templates/export.html": _JINJA}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]")


def extract() -> Catalog:
    """Every message the pages show, sorted, with where it comes from."""
    catalogue = Catalog(project="Tactful", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalogue.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


def render(catalogue: Catalog) -> bytes:
    """A `.po`/`.pot` file's bytes: no dates or line numbers, so it changes only when a
    message does."""
    out = io.BytesIO()
    write_po(out, catalogue, omit_header=True, sort_output=True, include_lineno=False, width=100)
    return out.getvalue()


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def update() -> list[Path]:
    """Rewrite the template and merge it into every language's catalogue."""
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(render(template))
    written = [TEMPLATE]
    for locale in LOCALES:
        if locale == DEFAULT:
            continue
        path = CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        catalogue = _read(path, locale) if path.exists() else Catalog(locale=locale, domain=DOMAIN)
        # No fuzzy matching: a near-miss guess would be shown as if someone had checked it.
        catalogue.update(template, no_fuzzy_matching=True)
        path.write_bytes(render(catalogue))
        written.append(path)
    return written


@dataclass
class Report:
    stale_template: bool = False
    missing: dict[str, list[str]] = field(default_factory=dict)
    fuzzy: dict[str, list[str]] = field(default_factory=dict)
    placeholders: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.stale_template or self.missing or self.fuzzy or self.placeholders)

    def lines(self) -> list[str]:
        out = []
        if self.stale_template:
            out.append(f"{TEMPLATE.name} is out of date: run scripts/messages.py update")
        for title, problems in (
            ("untranslated", self.missing),
            ("fuzzy", self.fuzzy),
            ("placeholders differ", self.placeholders),
        ):
            for locale, ids in problems.items():
                out.append(f"{locale}: {len(ids)} {title}")
                out.extend(f"  {message!r}" for message in ids[:20])
        return out


def check() -> Report:
    """Whether the template holds exactly the pages' messages and each language translates
    every one of them, with the same placeholders."""
    report = Report()
    current = render(extract())
    report.stale_template = not TEMPLATE.exists() or TEMPLATE.read_bytes() != current
    wanted = [m.id for m in extract() if m.id]
    for locale in LOCALES:
        if locale == DEFAULT:
            continue
        path = CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalogue = _read(path, locale) if path.exists() else Catalog(locale=locale)
        for message_id in wanted:
            entry = catalogue.get(message_id)
            if entry is None or not entry.string:
                report.missing.setdefault(locale, []).append(str(message_id))
            elif entry.fuzzy:
                report.fuzzy.setdefault(locale, []).append(str(message_id))
            elif sorted(_PLACEHOLDER.findall(str(message_id))) != sorted(
                _PLACEHOLDER.findall(str(entry.string))
            ):
                report.placeholders.setdefault(locale, []).append(str(message_id))
    return report
