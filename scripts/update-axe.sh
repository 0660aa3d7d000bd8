#!/usr/bin/env bash
# Refresh the axe-core accessibility engine the browser tests inject into each page.
# It comes from the npm registry (`npm pack`, integrity checked by npm) and is kept in the
# repository, so the tests never download anything: axe-core is MPL-2.0 and its licence
# travels with it. Usage: scripts/update-axe.sh 4.14.1
set -euo pipefail
VERSION=${1:?usage: scripts/update-axe.sh VERSION}
cd "$(dirname "$0")/.."
DEST=tests/browser/vendor/axe-core
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar xzf "axe-core-$VERSION.tgz")
cp "$WORK/package/axe.min.js" "$WORK/package/LICENSE" "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
(cd "$DEST" && sha256sum axe.min.js > SHA256SUMS)
echo "axe-core $VERSION in $DEST"
