#!/usr/bin/env bash
# `gnnx evaluate --html` checked in a real browser: a short run (one seed, eight nodes, a quick
# model and explainer, stability on so that every metric column is there) writes the report, and
# headless Chromium loads it through report_check.html, which finds every table with its rows and
# checks that every picture drew. The same check runs on a copy with one picture hidden and one
# table renamed and must report both, so a check that cannot fail does not pass unnoticed.
#
#   report_in_browser.sh GNNX CHECK_HTML
#
# GNNX is the gnnx command-line tool, CHECK_HTML tests/cli/report_check.html. Chromium is Debian's
# `chromium` (scripts/setup.sh installs it); CHROMIUM=/path/to/chrome picks another. Exit 0 and a
# "PASS: " line when the page is whole; 1 and "FAIL: " lines otherwise, also when Chromium is
# missing.
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 GNNX CHECK_HTML" >&2; exit 1; }
GNNX=$1 CHECK=$2
fail() {
  echo "FAIL: $*"
  exit 1
}

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for name in chromium chromium-browser google-chrome; do
    command -v "$name" >/dev/null && { browser=$(command -v "$name"); break; }
  done
fi
[ -n "$browser" ] && [ -x "$browser" ] ||
  fail "no Chromium to load the report in: install Debian's package chromium (scripts/setup.sh does) or set CHROMIUM"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s%N)

# The page: one seed of GNNExplainer on eight BA-Shapes nodes; four pictures and a prototype.
seeds=1 pictures=4
timeout 120 "$GNNX" evaluate --dataset ba-shapes --nodes 400,405,410,415,420,425,430,435 --seeds $seeds \
  --train-epochs 50 --epochs 20 --stability 1 --html "$WORK/report.html" --html-pictures $pictures \
  --html-prototype 10 >"$WORK/stdout" 2>"$WORK/stderr" ||
  fail "gnnx evaluate --html failed: $(cat "$WORK/stderr")"
grep -q "^wrote $WORK/report.html ($pictures pictures, a prototype)" "$WORK/stdout" ||
  fail "gnnx evaluate did not report the page: $(cat "$WORK/stdout")"
ls "$WORK" | grep -q '\.tmp' && fail "a temporary file was left beside the report"

# The copy that must fail: the first picture's graph hidden, the metric table renamed.
sed -e '0,/class="graph"/s//class="graph" display="none"/' -e 's/id="metrics-table"/id="metrics-tab1e"/' \
  "$WORK/report.html" >"$WORK/broken.html"
cmp -s "$WORK/report.html" "$WORK/broken.html" && fail "could not make the broken copy (the page changed shape?)"
cp "$CHECK" "$WORK/check.html"

timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --allow-file-access-from-files \
  --user-data-dir="$WORK/profile" --window-size=1280,900 --dump-dom "file://$WORK/check.html" \
  >"$WORK/dom.html" 2>"$WORK/browser.log" ||
  fail "$browser did not load the page (exit $?): $(tail -c 1500 "$WORK/browser.log")"

# attr NAME: the value the check page wrote into <body data-NAME="...">.
attr() { grep -o "data-$1=\"[^\"]*\"" "$WORK/dom.html" | head -1 | sed -e 's/^[^"]*"//' -e 's/"$//'; }
problems() {  # problems PAGE: what is wrong with PAGE (report or broken), one line each
  local p=$1 tables
  [ "$(attr "$p-done")" = 1 ] || { echo "$p: the check never ran"; return; }
  [ -z "$(attr "$p-error")" ] || { echo "$p: $(attr "$p-error")"; return; }
  tables=" $(attr "$p-tables") "
  # id:rows:header cells:empty cells:rows of another width
  for want in "settings-table:1[0-9]:-1:0:0" "accuracy-table:$((seeds + 1)):6:0:0" "metrics-table:$((seeds + 1)):12:0:0"; do
    echo "$tables" | grep -qE " ${want} " || echo "$p: no table matching $want (found:$tables)"
  done
  [ "$(attr "$p-figures")" = "$((pictures + 1))/$((pictures + 1))" ] ||
    echo "$p: pictures drawn/found $(attr "$p-figures"), expected $((pictures + 1))/$((pictures + 1)) (not drawn: $(attr "$p-broken"))"
  [ "$(attr "$p-kinds")" = "$(printf 'explanation %.0s' $(seq $pictures))prototype" ] ||
    echo "$p: pictures of kinds '$(attr "$p-kinds")', expected $pictures explanations and a prototype"
  [ "$(attr "$p-unavailable")" = 0 ] || echo "$p: $(attr "$p-unavailable") parts say they are unavailable"
  [ -z "$(attr "$p-external")" ] || echo "$p: refers outside the page: $(attr "$p-external")"
}

report=$(problems report)
[ -z "$report" ] || fail "the report is not whole:
$report"
broken=$(problems broken)
echo "$broken" | grep -q "broken: no table matching metrics-table" && echo "$broken" | grep -q "broken: pictures drawn/found $pictures/$((pictures + 1))" ||
  fail "the check did not catch the broken copy (a hidden picture, a renamed table); it said:
${broken:-nothing}"

ms=$((($(date +%s%N) - start) / 1000000))
echo "PASS: tables $(attr report-tables); pictures $(attr report-figures) drawn; the broken copy failed as it must; $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
