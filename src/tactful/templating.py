"""The one way Tactful loads its Jinja2 templates: autoescaped, an undefined name an error,
block tags leaving no blank lines, and, for a page shown in a language, that language's
gettext catalogue installed (newstyle calls: `_("%(n)s items", n=3)` is escaped and filled
in by Jinja itself). Reports, the readable export and the web pages all start here."""

from __future__ import annotations

import gettext

import jinja2


def environment(
    folder: str = "templates", translations: gettext.NullTranslations | None = None
) -> jinja2.Environment:
    """An environment over `tactful/<folder>`; with `translations`, `_`, `gettext` and
    `ngettext` speak that catalogue's language."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tactful", folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"] if translations is not None else [],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if translations is not None:
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env
