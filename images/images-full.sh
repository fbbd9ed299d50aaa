#!/bin/sh
# The longer run of the image task (docs/IMAGES.md): the classifier (12
# epochs), the U-Net of the documented recipe (width 32, 6,000 steps,
# checkpointed: rerun the script to resume an interrupted training), then
# images/images-net.sh: box and random on all 1,000 test digits (K = 6
# completions each, K = 2 with the noisy pixels held), even rows and 4x4
# blocks on the first 250, 32 SDE steps per stage, 1,000 generated digits
# per order. About 2 hours on 2 cores (training 75 min on one).
#
#   images-full.sh MTSI DATA_DIR OUTDIR
#
# Knobs: FULL_STEPS [6000], FULL_THREADS [1] training threads.
set -eu
MTSI=$1
DATA=$2
OUT=$3
STEPS=${FULL_STEPS:-6000}
mkdir -p "$OUT"
for f in "$DATA/mnist-train.h5" "$DATA/mnist-test.h5"; do
    [ -f "$f" ] || { echo "images-full: $f missing (make images-data)" >&2; exit 2; }
done
[ -f "$OUT/classifier.h5" ] ||
    "$MTSI" images train-classifier --train "$DATA/mnist-train.h5" --test "$DATA/mnist-test.h5" \
        --epochs 12 --seed 1 --out "$OUT/classifier.h5"
if [ -f "$OUT/unet.h5" ]; then
    done=$("$MTSI" model "$OUT/unet.h5" | sed -n 's/^step: //p')
    [ "$done" -ge "$STEPS" ] ||
        "$MTSI" train --resume --out "$OUT/unet.h5" --threads "${FULL_THREADS:-1}"
else
    "$MTSI" train --data "$DATA/mnist-train.h5" --out "$OUT/unet.h5" --arch width=32,mult=1-2-2 \
        --standardize channel --nu scalar=0.2,site=0.2,mask=0.4,block=0.2 --block 7 --batch 64 \
        --steps "$STEPS" --lr 1.5e-3 --schedule cosine --lr-min 1e-5 --warmup 300 --clip 1 \
        --ema 0.999 --val-frac 0.02 --log-every 100 --checkpoint-every 250 --seed 1 \
        --threads "${FULL_THREADS:-1}"
fi
NET_N=1000 NET_K=6 NET_KEEP_K=2 NET_TASK_N=250 NET_STEPS=32 NET_GEN=1000 \
    sh "$(dirname "$0")/images-net.sh" "$MTSI" "$DATA" "$OUT/unet.h5" "$OUT/classifier.h5" \
    "$OUT/eval" | tee "$OUT/tables.md"
