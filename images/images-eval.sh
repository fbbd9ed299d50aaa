#!/bin/sh
# images-eval.sh: the baselines and the classifier of the image task on the
# real MNIST split (SPEC section 7), with the numbers docs/IMAGES.md reports.
#
#   images/images-eval.sh MTSI DATA_DIR OUT_DIR
#
# DATA_DIR holds mnist-train.h5 and mnist-test.h5 (make images-data). For
# each mask (box:14 with sigma 0.05, random:0.7 with sigma 0.01, rows:even,
# blocks:4, both noiseless) it writes the degraded, harmonic and Gaussian
# reconstructions and their scores (JSON) to OUT_DIR, trains the digit
# classifier (12 epochs, seed 1) and classifies the test set, with the
# train-vs-test Frechet distance (the floor for generated digits), then
# prints a Markdown table. Knobs: EVAL_EPOCHS, EVAL_SEED.
set -eu
MTSI=$1
DATA=$2
OUT=$3
EPOCHS=${EVAL_EPOCHS:-12}
SEED=${EVAL_SEED:-1}
mkdir -p "$OUT"
TR=$DATA/mnist-train.h5
TE=$DATA/mnist-test.h5
for f in "$TR" "$TE"; do
    [ -f "$f" ] || { echo "images-eval: $f missing (run make images-data)" >&2; exit 2; }
done

psnr_ssim() { # file -> "psnr ± err | ssim ± err"
    sed 's/.*"single": {"psnr": {"mean": \([^,]*\), "err": \([^}]*\)}, "ssim": {"mean": \([^,]*\), "err": \([^}]*\)}}.*/\1 \2 \3 \4/' "$1" |
        awk '{ printf "%.2f ± %.2f | %.4f ± %.4f", $1, $2, $3, $4 }'
}

TASKS="box:14:0.05 random:0.7:0.01 rows:even:0 blocks:4:0"
for t in $TASKS; do
    mask=${t%:*}
    sigma=${t##*:}
    tag=$(echo "$mask" | tr ':.' '__')
    for m in degraded harmonic gaussian; do
        extra=
        [ $m = gaussian ] && extra="--train $TR"
        "$MTSI" images baseline --method $m --truth "$TE" --mask "$mask" --sigma "$sigma" \
            --seed 1 $extra --out "$OUT/${tag}_$m.h5" --force >"$OUT/${tag}_$m.log"
        "$MTSI" images score --truth "$TE" --recon "$OUT/${tag}_$m.h5" --json >"$OUT/${tag}_$m.json"
    done
    "$MTSI" images figure --truth "$TE" --recon "$OUT/${tag}_gaussian.h5" --rows 4 \
        --out "$OUT/${tag}_gaussian.png" --force >/dev/null
done

start=$(date +%s)
"$MTSI" images train-classifier --train "$TR" --test "$TE" --epochs "$EPOCHS" --seed "$SEED" \
    --out "$OUT/classifier.h5" --force | tee "$OUT/classifier.log"
end=$(date +%s)
"$MTSI" images classify --model "$OUT/classifier.h5" --data "$TE" --ref "$TR" --json >"$OUT/classify_test.json"
"$MTSI" images classify --model "$OUT/classifier.h5" --data "$TE" --ref "$TE" --json >"$OUT/classify_self.json"

echo
echo "| mask (sigma) | method | PSNR (dB) | SSIM |"
echo "|---|---|---:|---:|"
for t in $TASKS; do
    mask=${t%:*}
    sigma=${t##*:}
    tag=$(echo "$mask" | tr ':.' '__')
    for m in degraded harmonic gaussian; do
        echo "| $mask ($sigma) | $m | $(psnr_ssim "$OUT/${tag}_$m.json" | sed 's/ | / | /') |"
    done
done
echo
echo "classifier: $(cat "$OUT/classifier.log") (wall $((end - start)) s)"
echo "test vs train: $(cat "$OUT/classify_test.json")"
