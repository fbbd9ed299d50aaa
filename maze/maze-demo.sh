#!/bin/sh
# The maze task end to end on two cores in about 15 minutes: the training
# data of both mazes (D4RL sizes) with their coverage figures; the exact
# shortest-path baseline on 10,000 random pairs each; a drift network
# trained on the medium maze's windows, then planning by inpainting on
# random pairs (valid fraction with and without the ball's clearance, k
# reached, length against the exact shortest path, time per plan, closed
# loop) with a figure of the first plans.
#
#   maze-demo.sh MTSI OUTDIR
#
# Knobs (defaults in brackets): MAZE_STEPS [6000] training steps,
# MAZE_PAIRS [1000] pairs planned by the network. The full run (both mazes,
# 20,000 steps, 10,000 pairs each) is maze/maze-full.sh (docs/MAZE.md).
# Everything is seeded: a rerun with the same thread count gives the same files.
set -eu
MTSI=$1
OUT=$2
STEPS=${MAZE_STEPS:-6000}
PAIRS=${MAZE_PAIRS:-1000}
mkdir -p "$OUT"
t0=$(date +%s)
step() { echo "== $* ($(($(date +%s) - t0)) s)"; }
for spec in "medium 2000000" "large 4000000"; do
    set -- $spec
    step "$1 maze: $2 steps of the generator, 100,000 windows"
    "$MTSI" maze data --maze "$1" --steps "$2" --windows 100000 --seed 1 \
        --out "$OUT/$1.h5" --force --json >"$OUT/$1-data.json"
    "$MTSI" maze figure --data "$OUT/$1.h5" --out "$OUT/$1-coverage.png" --force
    step "$1 maze: exact shortest paths on 10,000 pairs (baseline)"
    "$MTSI" maze eval --maze "$1" --pairs 10000 --planner shortest --closed-loop --seed 1 \
        --plans-out "$OUT/$1-plans-shortest.h5" --force >"$OUT/$1-eval-shortest.json"
    "$MTSI" maze figure --plans "$OUT/$1-plans-shortest.h5" --count 8 \
        --out "$OUT/$1-plans-shortest.png" --force
done
step "medium maze: train the drift network ($STEPS steps)"
"$MTSI" train --data "$OUT/medium.h5" --out "$OUT/medium-net.h5" --standardize channel \
    --nu site=0.7,mask=0.3 --steps "$STEPS" --batch 64 --lr 1e-3 --schedule cosine \
    --lr-min 1e-5 --warmup 200 --ema 0.999 --arch width=32,mult=1-2 --threads 1 \
    --log-every 500 --val-frac 0.01 --checkpoint-every 1000 --seed 1 --force
step "medium maze: plan $PAIRS random pairs by inpainting with the network"
"$MTSI" maze eval --maze medium --pairs "$PAIRS" --model "$OUT/medium-net.h5" --closed-loop \
    --seed 1 --plans-out "$OUT/medium-plans-net.h5" --force >"$OUT/medium-eval-net.json"
"$MTSI" maze figure --plans "$OUT/medium-plans-net.h5" --count 8 \
    --out "$OUT/medium-plans-net.png" --force
step "summary"
for f in "$OUT"/*-eval-*.json; do
    { tr -d '\n' <"$f"; echo; } | sed 's/ //g' |
        sed -n 's/.*"maze":"\([a-z]*\)".*"pairs":\([0-9]*\).*"valid":{"count":\([0-9]*\).*"valid_clearance":{"count":\([0-9]*\).*"length_ratio":{"n":[0-9]*,"mean":\([0-9.]*\).*/\1 pairs \2: valid \3, with clearance \4, length\/shortest \5/p' |
        sed "s|^|$(basename "$f" .json): |"
done
echo "maze demo: results in $OUT (*-data.json, *-eval-*.json, figures *.png) after $(($(date +%s) - t0)) s"
