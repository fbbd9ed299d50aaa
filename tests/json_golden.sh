#!/bin/sh
# The JSON outputs byte for byte: tests/golden/ holds `mtsi stats --json`
# and `mtsi compare --json` of the deterministic ensembles of tests/mkens
# (nulls, a note, exact zeros, %.17g reals) and the summary.json and
# summary.txt of a small fixed-seed sweep (shortest exact reals, integers,
# a Binder crossing with its reason). The files were written by the
# package's earlier hand-written JSON code; the jansson-based writer must
# reproduce them exactly (keys, order, number spelling, line layout).
# A deliberate change of the output or of the sweep's numerics regenerates
# them with the commands below.
set -u
NAME=json_golden
. "$(dirname "$0")/cli_lib.sh"
MKENS=${MKENS:-$(dirname "$MTSI")/tests/mkens}
GOLD=${MTSI_SRCDIR:-$(dirname "$0")/..}/tests/golden
unset SLURM_ARRAY_TASK_ID
cd "$T" || exit 1

"$MKENS" obs obs.h5 >/dev/null && "$MKENS" data32 data32.h5 >/dev/null || { echo "mkens failed"; exit 99; }
"$MTSI" stats --json obs.h5 >stats_obs.json 2>err || bad "stats obs: $(cat err)"
"$MTSI" stats --json data32.h5 >stats_data32.json 2>err || bad "stats data32: $(cat err)"
"$MTSI" compare --json data32.h5 obs.h5 >compare_data32_obs.json 2>err || bad "compare: $(cat err)"
OMP_NUM_THREADS=1 "$MTSI" sweep --m2 -4 --lambda 4.4,4.8 --L 4,6 --sampler cluster --n 100 \
    --therm 50 --chains 2 --quiet --dir sw >/dev/null 2>err || bad "sweep: $(cat err)"
cp sw/summary.json sweep_summary.json 2>/dev/null
cp sw/summary.txt sweep_summary.txt 2>/dev/null
for f in stats_obs.json stats_data32.json compare_data32_obs.json sweep_summary.json \
    sweep_summary.txt; do
    if cmp -s "$f" "$GOLD/$f"; then
        ok
    else
        bad "$f differs from tests/golden/$f:"
        diff "$GOLD/$f" "$f" | head -n 6
    fi
done
finish
