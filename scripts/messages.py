"""Keep the pages' message catalogues in step with the templates.

.venv/bin/python scripts/messages.py update   # rewrite messages.pot, merge into each .po
.venv/bin/python scripts/messages.py check    # exit 1 if stale or anything is untranslated
"""

from __future__ import annotations

import sys

from tactful.web import catalogue


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        for path in catalogue.update():
            print(f"wrote {path}")
        return 0
    if argv[1:] == ["check"]:
        report = catalogue.check()
        for line in report.lines():
            print(line)
        print("catalogues complete" if report.clean else "catalogues incomplete")
        return 0 if report.clean else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
