#!/bin/sh
# mtsi fit-gaussian / train / sample from the command line: every path type
# runs end to end with an analytic and a neural drift, and bad input is
# refused with one line on stderr, exit 2, and no file written.
set -u
NAME=interp_cli
. "$(dirname "$0")/cli_lib.sh"
cd "$T" || exit 1

# data: phi^4 near the transition at L = 8, and a second lattice size
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 8 --n 400 --sampler cluster --therm 200 --thin 2 \
    --out d8.h5 || bad "mcmc L=8"
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 4 --n 20 --sampler cluster --therm 20 --out d4.h5 ||
    bad "mcmc L=4"
"$MTSI" fit-gaussian d8.h5 --out g8.h5 >/dev/null || bad "fit-gaussian"
"$MTSI" fit-gaussian d8.h5 --mixture --out gm8.h5 >/dev/null || bad "fit-gaussian --mixture"

# a mask file and a path file, written with the package's own ensemble tools
# is not possible from sh; build them with mtsi sample outputs instead:
# the inpainting output holds /mask, which is a valid mask file.
"$MTSI" sample --model g8.h5 --n 8 --path inpaint --from d8.h5 --mask square:4 \
    --out sq.h5 || bad "inpaint square"

run_paths() { # model tag
    m=$1
    tag=$2
    for spec in "--path generate" \
        "--path generate --integrator euler --steps 20" \
        "--path generate --integrator rk4 --steps 10" \
        "--path generate --sde 0.5 --steps 40" \
        "--path generate --sde 1:linear --steps 40" \
        "--path inpaint --from d8.h5 --mask random:0.5" \
        "--path inpaint --from d8.h5 --mask square:4" \
        "--path inpaint --from d8.h5 --mask sq.h5" \
        "--path sequential --order raster:8 --steps 5" \
        "--path sequential --order column --steps 5" \
        "--path sequential --order block:4 --steps 5" \
        "--path sequential --order morton:4 --steps 5" \
        "--path sequential --order random:4 --steps 5" \
        "--path sequential --order block:4 --from d8.h5 --mask random:0.5 --steps 5"; do
        # shellcheck disable=SC2086
        if "$MTSI" sample --model $m --n 12 --batch 5 $spec --out s.h5 --force 2>err &&
            "$MTSI" stats s.h5 --json >s.json 2>>err && grep -q '"abs_m"' s.json; then
            ok
        else
            bad "$tag: sample $spec: $(cat err)"
        fi
    done
}
run_paths g8.h5 gaussian
run_paths gm8.h5 mixture

# reproducible: the same seed gives the same file
mkdir ra rb
(cd ra && "$MTSI" sample --model ../g8.h5 --n 6 --path inpaint --from ../d8.h5 \
    --mask random:0.3 --sde 0.5 --seed 3 --out s.h5) || bad "inpaint a"
(cd rb && "$MTSI" sample --model ../g8.h5 --n 6 --path inpaint --from ../d8.h5 \
    --mask random:0.3 --sde 0.5 --seed 3 --out s.h5) || bad "inpaint b"
cmp -s ra/s.h5 rb/s.h5 && ok || bad "same seed, different inpainting output"

# a neural drift trained by mtsi train runs through every path type
if "$MTSI" train --data d8.h5 --out n8.h5 --steps 6 --batch 8 \
    --arch "width=8,mult=1-2,groups=4" --seed 2 >/dev/null 2>err; then
    ok
    run_paths n8.h5 neural
else
    bad "mtsi train: $(cat err)"
fi

# refusals: nothing written
expect_refusal "model for another L" "$MTSI" sample --model g8.h5 --n 4 --path inpaint \
    --from d4.h5 --mask random:0.5 --out never.h5
expect_refusal "mask of the wrong shape" "$MTSI" sample --model g8.h5 --n 4 --path inpaint \
    --from d8.h5 --mask "$(pwd)/d4.h5" --out never.h5
expect_refusal "fraction above 1" "$MTSI" sample --model g8.h5 --n 4 --path inpaint \
    --from d8.h5 --mask random:1.5 --out never.h5
expect_refusal "fraction below 0" "$MTSI" sample --model g8.h5 --n 4 --path inpaint \
    --from d8.h5 --mask random:-0.1 --out never.h5
expect_refusal "unknown order" "$MTSI" sample --model g8.h5 --n 4 --path sequential \
    --order zigzag --out never.h5
expect_refusal "block not dividing L" "$MTSI" sample --model g8.h5 --n 4 --path sequential \
    --order block:3 --out never.h5
expect_refusal "unknown path" "$MTSI" sample --model g8.h5 --n 4 --path sideways --out never.h5
expect_refusal "inpaint without mask" "$MTSI" sample --model g8.h5 --n 4 --path inpaint \
    --from d8.h5 --out never.h5
expect_refusal "model is an ensemble" "$MTSI" sample --model d8.h5 --n 4 --out never.h5
echo junk >junk.h5
expect_refusal "model is junk" "$MTSI" sample --model junk.h5 --n 4 --out never.h5
expect_refusal "missing model" "$MTSI" sample --model nope.h5 --n 4 --out never.h5
expect_refusal "unknown integrator" "$MTSI" sample --model g8.h5 --n 4 --integrator rk5 \
    --out never.h5
expect_refusal "negative sde" "$MTSI" sample --model g8.h5 --n 4 --sde -1 --out never.h5
expect_refusal "fit junk" "$MTSI" fit-gaussian junk.h5 --out never.h5
cp g8.h5 keep.h5
expect_refusal "existing output" "$MTSI" sample --model g8.h5 --n 4 --out keep.h5
cmp -s g8.h5 keep.h5 && ok || bad "existing output modified"
"$MTSI" sample --help | grep -q "usage: mtsi sample" && ok || bad "sample --help"
"$MTSI" fit-gaussian --help | grep -q "usage: mtsi fit-gaussian" && ok || bad "fit --help"

finish
