#!/bin/sh
# The full maze run of docs/MAZE.md: for the medium and the large maze, the
# training data (D4RL sizes), a drift network trained for 20,000 steps, and
# planning by inpainting on 10,000 random pairs with the closed loop. About
# 25 minutes of training and 30-40 minutes of planning per maze on one core
# of a two-core machine; the two mazes run one after the other (MAZE_JOBS=2
# runs them side by side).
#
#   maze-full.sh MTSI OUTDIR
set -eu
MTSI=$1
OUT=$2
STEPS=${MAZE_STEPS:-20000}
PAIRS=${MAZE_PAIRS:-10000}
mkdir -p "$OUT"
run() {
    m=$1
    nsteps=$2
    "$MTSI" maze data --maze "$m" --steps "$nsteps" --windows 100000 --seed 1 \
        --out "$OUT/$m.h5" --force --json >"$OUT/$m-data.json"
    s=$(date +%s)
    "$MTSI" train --data "$OUT/$m.h5" --out "$OUT/$m-net.h5" --standardize channel \
        --nu site=0.7,mask=0.3 --steps "$STEPS" --batch 64 --lr 1e-3 --schedule cosine \
        --lr-min 1e-5 --warmup 200 --ema 0.999 --arch width=32,mult=1-2 --threads 1 \
        --log-every 500 --val-frac 0.01 --checkpoint-every 1000 --seed 1 --force \
        2>"$OUT/$m-train.log"
    echo "$m: training $(($(date +%s) - s)) s" >>"$OUT/$m-train.log"
    "$MTSI" maze eval --maze "$m" --pairs "$PAIRS" --model "$OUT/$m-net.h5" --closed-loop \
        --seed 1 --plans-out "$OUT/$m-plans-net.h5" --force >"$OUT/$m-eval-net.json"
    "$MTSI" maze figure --plans "$OUT/$m-plans-net.h5" --count 8 \
        --out "$OUT/$m-plans-net.png" --force
}
if [ "${MAZE_JOBS:-1}" = 2 ]; then
    run medium 2000000 &
    p=$!
    run large 4000000
    wait $p
else
    run medium 2000000
    run large 4000000
fi
echo "maze full run: results in $OUT (*-eval-net.json, *-plans-net.png)"
