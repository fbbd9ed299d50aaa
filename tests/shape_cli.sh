#!/bin/sh
# Data of any shape end to end (SPEC 6): a 1-D path of 20 points x 2
# channels and a 12 x 12 zero-boundary image, made by tests/mkshape (smooth
# Gaussian fields). fit-gaussian (dense), train (a small U-Net, standardised
# per channel), sample (generation, inpainting with masks and noise, orders),
# and the refusals: phi^4 commands on other data, a model of another shape,
# a mask of another shape.
#
# The network smoke test: with per-channel standardisation, b = 0 has a loss
# of 2 per value (E x0^2 + E x1^2); the held-out loss after a few hundred
# steps (seed fixed) must be below 1.4 (path) and 1.5 (image).
NAME=shape_cli
. "${MTSI_SRCDIR:-.}/tests/cli_lib.sh"
BIN="$(dirname "$MTSI")/tests"
cd "$T" || exit 99
"$BIN/mkshape" 20 2 2000 1 path p.h5 || exit 99
"$BIN/mkshape" 12x12 1 2000 2 image im.h5 || exit 99
"$BIN/fuzz_gen" --make-mask 4 m4.h5 || exit 99
ARCH=width=8,mult=1-2,blocks=1,groups=4

run() { # run WHAT CMD...: must succeed
    what=$1
    shift
    if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$what: exit $? ($(head -c 300 "$T/err"))"; fi
}

run "fit-gaussian path" "$MTSI" fit-gaussian p.h5 --out pg.h5
grep -q "dense Gaussian" "$T/out" || bad "fit-gaussian path: not a dense fit: $(cat "$T/out")"
run "fit-gaussian image" "$MTSI" fit-gaussian im.h5 --out ig.h5
run "generate path" "$MTSI" sample --model pg.h5 --n 20 --steps 10 --out g1.h5
run "inpaint noisy" "$MTSI" sample --model pg.h5 --from p.h5 --path inpaint --mask random:0.5 \
    --noise 0.1 --noise-add --n 20 --steps 10 --out g2.h5
run "inpaint noise-keep" "$MTSI" sample --model pg.h5 --from p.h5 --path inpaint \
    --mask random:0.5 --noise 0.1 --noise-keep --n 20 --steps 10 --out g3.h5
for o in raster block:4 strips:5 random:4; do
    run "order $o (path)" "$MTSI" sample --model pg.h5 --path sequential --order "$o" --n 4 \
        --steps 4 --out "o-$o.h5"
done
for o in raster:12 strips:3 block:4 quadrants morton:4; do
    run "order $o (image)" "$MTSI" sample --model ig.h5 --path sequential --order "$o" --n 4 \
        --steps 4 --out "i-$o.h5"
done
for m in box:4 rows:even rows:odd blocks:3 random:0.7; do
    run "mask $m" "$MTSI" sample --model ig.h5 --from im.h5 --path inpaint --mask "$m" --n 4 \
        --steps 4 --out "m-$m.h5"
done

# the same seed gives the same file, byte for byte (same command line, other directory)
mkdir r1 r2
for d in r1 r2; do
    (cd "$d" && "$MTSI" sample --model ../pg.h5 --from ../p.h5 --path inpaint --mask random:0.5 \
        --noise 0.1 --noise-add --n 20 --steps 10 --out g.h5 >/dev/null 2>&1) || bad "repeat in $d"
done
cmp -s r1/g.h5 r2/g.h5 && ok || bad "the same seed gave different files"

# the network on both shapes
run "train path" "$MTSI" train --data p.h5 --out pn.h5 --steps 400 --batch 16 --lr 3e-3 \
    --standardize channel --arch "$ARCH" --log-every 100 --seed 3
v=$(sed -n 's/.*validation loss \([0-9.e+-]*\).*/\1/p' "$T/out")
awk -v v="$v" 'BEGIN { exit !(v != "" && v < 1.4) }' || bad "path network: validation loss '$v' not below 1.4"
run "train image" "$MTSI" train --data im.h5 --out imn.h5 --steps 200 --batch 16 --lr 3e-3 \
    --standardize channel --arch "$ARCH" --log-every 100 --seed 3
v=$(sed -n 's/.*validation loss \([0-9.e+-]*\).*/\1/p' "$T/out")
awk -v v="$v" 'BEGIN { exit !(v != "" && v < 1.5) }' || bad "image network: validation loss '$v' not below 1.5"
run "model shows the shape" "$MTSI" model pn.h5
grep -q "^data: 20 zero-boundary grid, 2 channels (path)" "$T/out" || bad "model: $(cat "$T/out")"
grep -q "^standardized: channel 0" "$T/out" || bad "model: no standardisation line"
run "network generate" "$MTSI" sample --model pn.h5 --n 8 --steps 10 --out n1.h5
run "network inpaint" "$MTSI" sample --model imn.h5 --from im.h5 --path inpaint --mask box:6 \
    --noise 0.05 --n 8 --steps 10 --out n2.h5
run "network order" "$MTSI" sample --model imn.h5 --path sequential --order quadrants --n 4 \
    --steps 4 --out n3.h5

# refusals: one line, exit 2, nothing written
expect_refusal "stats on a path" "$MTSI" stats p.h5
grep -q "path data" "$T/err" || bad "stats: the kind is not named: $(cat "$T/err")"
expect_refusal "compare on images" "$MTSI" compare im.h5 im.h5
grep -q "image data" "$T/err" || bad "compare: the kind is not named: $(cat "$T/err")"
expect_refusal "refine on a path" "$MTSI" refine p.h5 --updates 1 --out "$T/never.h5"
expect_refusal "model of another shape" "$MTSI" sample --model pg.h5 --from im.h5 \
    --path inpaint --mask random:0.5 --n 2 --out "$T/never.h5"
grep -q "12x12" "$T/err" && grep -q "20 zero-boundary" "$T/err" ||
    bad "shape mismatch does not name both shapes: $(cat "$T/err")"
expect_refusal "mask of another shape" "$MTSI" sample --model pg.h5 --from p.h5 \
    --path inpaint --mask m4.h5 --n 2 --out "$T/never.h5"
expect_refusal "tilt on a path" "$MTSI" sample --model pg.h5 --field 0.1 --n 2 --out "$T/never.h5"
expect_refusal "train --tilt on two channels" "$MTSI" train --data p.h5 --out "$T/never.h5" \
    --tilt h=0.01 --steps 2 --quiet
grep -q -- "--tilt: a field acts on one-channel data; 'p.h5' has 2 channels" "$T/err" && ok ||
    bad "two-channel tilt message: $(cat "$T/err")"
expect_refusal "quadrants on a 1-D grid" "$MTSI" sample --model pg.h5 --path sequential \
    --order quadrants --n 2 --out "$T/never.h5"
expect_refusal "noise without inpaint" "$MTSI" sample --model pg.h5 --noise 0.1 --n 2 \
    --out "$T/never.h5"
expect_refusal "negative noise" "$MTSI" sample --model pg.h5 --from p.h5 --path inpaint \
    --mask random:0.5 --noise -1 --n 2 --out "$T/never.h5"
finish
