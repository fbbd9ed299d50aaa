#!/bin/sh
# The maze task end to end with what needs no trained model: the training
# data sets of both mazes (D4RL sizes), their coverage figures, and the
# planning evaluation with the shortest-path baseline on 10,000 random pairs
# each, with figures of the first plans. Usage: maze-demo.sh MTSI OUTDIR
set -eu
MTSI=$1
OUT=$2
mkdir -p "$OUT"
for spec in "medium 2000000" "large 4000000"; do
    set -- $spec
    "$MTSI" maze data --maze "$1" --steps "$2" --windows 100000 --seed 1 \
        --out "$OUT/$1.h5" --force --json >"$OUT/$1-data.json"
    "$MTSI" maze figure --data "$OUT/$1.h5" --out "$OUT/$1-coverage.png" --force
    "$MTSI" maze eval --maze "$1" --pairs 10000 --planner shortest --closed-loop --seed 1 \
        --plans-out "$OUT/$1-plans-shortest.h5" --force >"$OUT/$1-eval-shortest.json"
    "$MTSI" maze figure --plans "$OUT/$1-plans-shortest.h5" --count 8 \
        --out "$OUT/$1-plans-shortest.png" --force
done
echo "maze demo: results in $OUT (*-data.json, *-eval-*.json, figures *.png)"
