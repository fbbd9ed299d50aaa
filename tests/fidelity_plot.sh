#!/bin/sh
# examples/phi4-fidelity-plot.sh: the study's figure from rows.tsv. One line
# per selected row and law, markers where z is on the axis, the numbers of
# those off it, KS p red below 0.01; bad input refused with one line and
# exit 2, an existing figure kept when a run fails.
set -u
NAME=fidelity_plot
. "$(dirname "$0")/cli_lib.sh"
PLOT=${MTSI_SRCDIR:-$(dirname "$0")/..}/examples/phi4-fidelity-plot.sh
cd "$T" || exit 1
printf 'a\tprior\t0.10\t-1.00\t2.00\t-2.50\t0.5\t2.50\t10\n' >rows.tsv
printf 'a\th\t12.50\t1.00\t0.00\t-9.25\t0.004\t12.50\t10\n' >>rows.tsv
printf 'b\tprior\t0.00\t0.00\t0.00\t0.00\t0.9\t0.00\t10\n' >>rows.tsv
printf 'b\tA\t1.00\t1.00\t1.00\t1.00\t0.9\t1.00\t10\n' >>rows.tsv
sh "$PLOT" rows.tsv all.svg 2>err && ok || bad "all rows: $(cat err)"
[ "$(grep -c '<text [^>]*text-anchor="end">' all.svg)" -eq 4 ] && ok || bad "not 4 lines"
# markers: 4 per line, less the two off the axis, plus the legend's 4
[ "$(grep -cE '<(circle|rect x="[0-9.-]+" y="[0-9.-]+" width="8")|<path d="M[0-9.]+ [0-9.]+ l5 ' all.svg)" -eq 18 ] &&
    ok || bad "markers: $(grep -cE '<(circle|rect x="[0-9.-]+" y="[0-9.-]+" width="8")|<path d="M[0-9.]+ [0-9.]+ l5 ' all.svg)"
grep -q '>12.5</text>' all.svg && grep -q '>-9.2</text>\|>-9.3</text>' all.svg && ok ||
    bad "off-axis values not listed"
grep -q 'fill="#d62728">0.004<' all.svg && ok || bad "KS p 0.004 not red"
grep -q 'fill="#333">0.5<' all.svg && ok || bad "KS p 0.5 not plain"
# a selection, in the order given, one law, a label with spaces
sh "$PLOT" rows.tsv sel.svg "b@A:second row" a 2>err && ok || bad "selection: $(cat err)"
[ "$(grep -o '>[^<]* · [^<]*</text>' sel.svg | tr '\n' '|')" = ">second row · A = −0.5</text>|>a · prior</text>|>a · h = 0.05</text>|" ] &&
    ok || bad "selection order: $(grep -o '>[^<]* · [^<]*</text>' sel.svg | tr '\n' '|')"
sh "$PLOT" --help | grep -q "^  examples/phi4-fidelity-plot.sh ROWS.tsv OUT.svg" && ok || bad "--help"
cp sel.svg keep.svg
expect_refusal "no such row" sh "$PLOT" rows.tsv sel.svg nothing
cmp -s sel.svg keep.svg && ok || bad "a failed run changed the figure"
expect_refusal "missing input" sh "$PLOT" none.tsv x.svg
expect_refusal "not .svg" sh "$PLOT" rows.tsv x.png
expect_refusal "output onto input" sh "$PLOT" rows.tsv rows.tsv
ls ./*.tmp-* >/dev/null 2>&1 && bad "a temporary file was left behind"
finish
