#!/bin/sh
# images-net.sh: the drift network on the image task (SPEC section 7):
# inpainting of the test digits with every mask, both treatments of noisy
# observations, and generation in any order scored by the digit classifier.
#
#   images/images-net.sh MTSI DATA_DIR MODEL CLASSIFIER OUT_DIR
#
# DATA_DIR holds mnist-train.h5 and mnist-test.h5 (make images-data); MODEL
# is a network trained on mnist-train.h5 (mtsi train); CLASSIFIER is from
# mtsi images train-classifier. For each mask the observations are the
# degraded baseline's (seed 1: the same masks and noise the baselines see,
# so the comparison is paired), completed K times each:
#
#   mtsi images baseline --method degraded --truth TEST --mask M --sigma S
#       --seed 1 --n N --out OUT/obs_TAG.h5
#   mtsi sample --model MODEL --path inpaint --from OUT/obs_TAG.h5
#       --mask OUT/obs_TAG.h5 [--noise S [--noise-keep]] --n N*K ...
#   mtsi images score --truth TEST --recon OUT/net_TAG.h5 --k K --json
#
# then the harmonic and Gaussian baselines on the same N digits, plain
# generation and generation in each order (NET_GEN digits each), scored with
# mtsi images classify --ref TEST. Writes OUT/summary.json and prints
# Markdown tables. Knobs (environment): NET_N (test digits, 1000), NET_K (8),
# NET_STEPS (steps of a path, 64), NET_SDE (noise level of the SDE, 1:linear;
# "ode" for Heun), NET_GEN (generated digits per order, 1000), NET_ORDERS,
# NET_GEN_ODE (1: generation with Heun's ODE at STEPS/2 steps, the same
# network evaluations as STEPS SDE steps; 0: the SDE), NET_KEEP_K
# (completions with the noisy pixels held, K), NET_TASK_N (test
# digits of the noiseless masks, NET_N), NET_TASKS, NET_SEED (2),
# NET_THREADS (2).
set -eu
[ $# -eq 5 ] || { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
MTSI=$1
DATA=$2
MODEL=$3
CLF=$4
OUT=$5
N=${NET_N:-1000}
TASK_N=${NET_TASK_N:-$N}
K=${NET_K:-8}
KEEP_K=${NET_KEEP_K:-$K}
STEPS=${NET_STEPS:-64}
SDE=${NET_SDE:-1:linear}
GEN=${NET_GEN:-1000}
SEED=${NET_SEED:-2}
THREADS=${NET_THREADS:-2}
export OMP_NUM_THREADS="$THREADS" # the baselines and the classifier too
TASKS=${NET_TASKS:-"box:14:0.05 random:0.7:0.01 rows:even:0 blocks:4:0"}
ORDERS=${NET_ORDERS:-"raster:8 strips:7 column:4 block:7 quadrants morton:8"}
TR=$DATA/mnist-train.h5
TE=$DATA/mnist-test.h5
for f in "$TR" "$TE" "$MODEL" "$CLF"; do
    [ -f "$f" ] || { echo "images-net: '$f' not found" >&2; exit 2; }
done
mkdir -p "$OUT"
integ="--sde $SDE"
[ "$SDE" = ode ] && integ="--integrator heun"
GEN_ODE=${NET_GEN_ODE:-1}
gen_integ=$integ
gsteps=$STEPS
if [ "$GEN_ODE" = 1 ]; then
    gen_integ="--integrator heun"
    gsteps=$((STEPS / 2))
fi
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- inpainting --------------------------------------------------------
inpaint() { # tag mask sigma treatment(denoise|keep|none) -> OUT/net_TAG[_keep].h5, .json
    tag=$1 mask=$2 sigma=$3 how=$4
    name=net_$tag
    noise=
    k=$K
    case $how in
    denoise) noise="--noise $sigma" ;;
    keep) noise="--noise $sigma --noise-keep" name=net_${tag}_keep k=$KEEP_K ;;
    esac
    t0=$(now)
    # shellcheck disable=SC2086
    "$MTSI" sample --model "$MODEL" --path inpaint --from "$OUT/obs_$tag.h5" \
        --mask "$OUT/obs_$tag.h5" $noise --n $((n * k)) --steps "$STEPS" $integ \
        --seed "$SEED" --threads "$THREADS" --out "$OUT/$name.h5" --force >"$OUT/$name.log"
    t1=$(now)
    elapsed "$t0" "$t1" >"$OUT/$name.seconds"
    echo $((n * k)) >"$OUT/$name.count"
    "$MTSI" images score --truth "$TE" --recon "$OUT/$name.h5" --k "$k" --json >"$OUT/$name.json"
}

for t in $TASKS; do
    mask=${t%:*}
    sigma=${t##*:}
    tag=$(echo "$mask" | tr ':.' '__')
    n=$N
    [ "$sigma" = 0 ] && n=$TASK_N
    "$MTSI" images baseline --method degraded --truth "$TE" --mask "$mask" --sigma "$sigma" \
        --seed 1 --n "$n" --out "$OUT/obs_$tag.h5" --force >/dev/null
    "$MTSI" images score --truth "$TE" --recon "$OUT/obs_$tag.h5" --json >"$OUT/degraded_$tag.json"
    for m in harmonic gaussian; do
        extra=
        [ $m = gaussian ] && extra="--train $TR"
        # shellcheck disable=SC2086
        "$MTSI" images baseline --method $m --truth "$TE" --mask "$mask" --sigma "$sigma" \
            --seed 1 --n "$n" $extra --out "$OUT/${m}_$tag.h5" --force >/dev/null
        "$MTSI" images score --truth "$TE" --recon "$OUT/${m}_$tag.h5" --json \
            >"$OUT/${m}_$tag.json"
    done
    if [ "$sigma" = 0 ]; then
        inpaint "$tag" "$mask" "$sigma" none
    else
        inpaint "$tag" "$mask" "$sigma" denoise
        inpaint "$tag" "$mask" "$sigma" keep
    fi
    "$MTSI" images figure --truth "$TE" --recon "$OUT/net_$tag.h5" --rows 6 --samples 4 \
        --out "$OUT/net_$tag.png" --force >/dev/null
done

# --- generation --------------------------------------------------------
generate() { # name path-args... -> OUT/gen_NAME.h5, .json
    name=$1
    shift
    t0=$(now)
    # shellcheck disable=SC2086
    "$MTSI" sample --model "$MODEL" "$@" --n "$GEN" $gen_integ --seed "$SEED" \
        --threads "$THREADS" --out "$OUT/gen_$name.h5" --force >"$OUT/gen_$name.log"
    t1=$(now)
    elapsed "$t0" "$t1" >"$OUT/gen_$name.seconds"
    "$MTSI" images classify --model "$CLF" --data "$OUT/gen_$name.h5" --ref "$TE" --json \
        >"$OUT/gen_$name.json"
}
# the classifier's own numbers: test accuracy and the floor (train vs test)
"$MTSI" images classify --model "$CLF" --data "$TE" --ref "$TR" --json >"$OUT/clf_test.json"
generate plain --path generate --steps "$gsteps"
for o in $ORDERS; do
    # its stage count st: gsteps/st steps per stage (at least 2), so every
    # order costs about as many network evaluations as plain generation
    arg=${o#*:}
    case $o in
    quadrants) st=4 ;;
    strips:*) st=$((28 / arg)) ;;
    block:*) st=$(((28 / arg) * (28 / arg))) ;;
    *:*) st=$arg ;;
    *) st=784 ;;
    esac
    per=$((gsteps / st))
    [ $per -ge 2 ] || per=2
    tag=$(echo "$o" | tr ':.' '__')
    generate "$tag" --path sequential --order "$o" --steps "$per"
    "$MTSI" images figure --sequence "$OUT/gen_$tag.h5" --columns 8 --rows 6 \
        --out "$OUT/gen_$tag.png" --force >/dev/null
done

# --- summary -----------------------------------------------------------
num() { # file key1 key2 -> value of "key1": {... "key2": {"mean": V
    tr -d '\n' <"$1" | sed "s/.*\"$2\": {\"psnr\": {\"mean\": \([^,]*\), \"err\": \([^}]*\)}, \"ssim\": {\"mean\": \([^,]*\), \"err\": \([^}]*\)}}.*/\1 \2 \3 \4/"
}
row() { # label file key
    set -- "$1" $(num "$2" "$3")
    printf '| %s | %.2f ± %.2f | %.4f ± %.4f |\n' "$1" "$2" "$3" "$4" "$5"
}
{
    printf '{"n": %s, "k": %s, "steps": %s, "integrator": "%s", "generation_integrator": "%s",\n' \
        "$N" "$K" "$STEPS" "$SDE" "$(echo $gen_integ | sed 's/--integrator //; s/--sde /sde /')"
    printf ' "generation_steps": %s, "seed": %s, "threads": %s,\n' "$gsteps" "$SEED" "$THREADS"
    printf ' "model": "%s",\n "inpainting": {' "$MODEL"
    sep=
    for t in $TASKS; do
        mask=${t%:*}
        sigma=${t##*:}
        tag=$(echo "$mask" | tr ':.' '__')
        printf '%s\n  "%s": {"mask": "%s", "sigma": %s' "$sep" "$tag" "$mask" "$sigma"
        for m in degraded harmonic gaussian net net_keep; do
            f=$OUT/${m}_$tag.json
            [ $m = net ] && f=$OUT/net_$tag.json
            [ $m = net_keep ] && f=$OUT/net_${tag}_keep.json
            [ -f "$f" ] || continue
            printf ', "%s": %s' "$m" "$(tr -d '\n' <"$f")"
        done
        for m in net net_keep; do
            s=$OUT/${m%_keep}_$tag${m#net}.seconds
            [ $m = net_keep ] && s=$OUT/net_${tag}_keep.seconds
            [ -f "$s" ] && printf ', "%s_seconds": %s' "$m" "$(cat "$s")"
        done
        printf '}'
        sep=,
    done
    printf '},\n "classifier_test": %s,\n "generation": {' "$(tr -d '\n' <"$OUT/clf_test.json")"
    sep=
    for g in plain $(for o in $ORDERS; do echo "$o" | tr ':.' '__'; done); do
        printf '%s\n  "%s": {"seconds": %s, "scores": %s}' "$sep" "$g" \
            "$(cat "$OUT/gen_$g.seconds")" "$(tr -d '\n' <"$OUT/gen_$g.json")"
        sep=,
    done
    printf '}}\n'
} >"$OUT/summary.json.tmp" && mv "$OUT/summary.json.tmp" "$OUT/summary.json"

echo "| mask (σ) | method | PSNR (dB) | SSIM |"
echo "|---|---|---:|---:|"
for t in $TASKS; do
    mask=${t%:*}
    sigma=${t##*:}
    tag=$(echo "$mask" | tr ':.' '__')
    for m in degraded harmonic gaussian; do
        row "$mask ($sigma) | $m" "$OUT/${m}_$tag.json" single
    done
    row "$mask ($sigma) | network, one sample" "$OUT/net_$tag.json" single
    row "$mask ($sigma) | network, mean of $K" "$OUT/net_$tag.json" mean_k
    if [ -f "$OUT/net_${tag}_keep.json" ]; then
        row "$mask ($sigma) | network, noisy pixels held, one sample" "$OUT/net_${tag}_keep.json" single
        [ "$KEEP_K" -gt 1 ] &&
            row "$mask ($sigma) | network, noisy pixels held, mean of $KEEP_K" "$OUT/net_${tag}_keep.json" mean_k
    fi
done
echo
echo "inpainting times ($THREADS threads; completions/s):"
for f in "$OUT"/net_*.seconds; do
    c=$(cat "${f%.seconds}.count")
    awk -v n="$(basename "$f" .seconds)" -v s="$(cat "$f")" -v c="$c" \
        'BEGIN { printf "  %s: %s s, %s completions, %.1f/s\n", n, s, c, c / s }'
done
echo
echo "classifier on the test digits: $(cat "$OUT/clf_test.json")"
echo
fd() { sed 's/.*"fd": \([^,}]*\).*/\1/' "$1"; }
hist() { sed 's/.*"histogram": \[\([^]]*\)\].*/\1/' "$1"; }
printf 'Fréchet distance floor (test vs train): %.4f\n\n' "$(fd "$OUT/clf_test.json")"
echo "| generation | digits | seconds | class histogram (0-9) | Fréchet distance to test |"
echo "|---|---:|---:|---|---:|"
for g in plain $(for o in $ORDERS; do echo "$o" | tr ':.' '__'; done); do
    printf '| %s | %s | %s | %s | %.4f |\n' "$g" "$GEN" "$(cat "$OUT/gen_$g.seconds")" \
        "$(hist "$OUT/gen_$g.json")" "$(fd "$OUT/gen_$g.json")"
done
