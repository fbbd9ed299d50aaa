#!/bin/sh
# Speed of the maze module: generator steps per second and the time of the
# full training data sets (medium 2,000,000 steps, large 4,000,000), and the
# planning evaluation with the shortest-path baseline. Usage:
#   bench-maze.sh MTSI [OUTDIR]
set -eu
MTSI=$1
OUT=${2:-bench-maze-out}
mkdir -p "$OUT"
for spec in "medium 2000000" "large 4000000"; do
    set -- $spec
    /usr/bin/time -f "$1 data: %e s wall, %M kB" "$MTSI" maze data --maze "$1" --steps "$2" \
        --windows 100000 --seed 1 --out "$OUT/$1.h5" --force --json
done
for m in medium large; do
    /usr/bin/time -f "$m eval 10000 pairs: %e s wall" "$MTSI" maze eval --maze "$m" \
        --pairs 10000 --planner shortest --closed-loop >"$OUT/eval-$m.json"
    cat "$OUT/eval-$m.json"
done
