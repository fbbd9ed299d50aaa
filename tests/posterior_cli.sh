#!/bin/sh
# mtsi sample --field/--quad: posterior sampling from the command line.
# Feasibility is decided before sampling: an infeasible request exits 2 with
# the admissible alpha range and writes nothing.
set -u
NAME=posterior_cli
. "$(dirname "$0")/cli_lib.sh"
cd "$T" || exit 1
num() { sed -n "s/.*\"$2\": *{[^}]*\"mean\": *\\([-0-9.e+]*\\).*/\\1/p" "$1"; }

"$MTSI" mcmc --chi 1 --kappa 0.5 --gamma 0 --L 4 --n 400 --sampler fahmc --therm 100 \
    --out d.h5 || bad "mcmc"
"$MTSI" fit-gaussian d.h5 --out g.h5 >/dev/null || bad "fit"

# feasible requests run and record the reward
for spec in "--field 0.1" "--quad -0.5" "--field -0.2 --quad -1" "--field 0.1 --t-min 0.01" \
    "--field 0.1 --sde 0.5 --steps 60"; do
    # shellcheck disable=SC2086
    "$MTSI" sample --model g.h5 --n 20 $spec --out p.h5 --force 2>err && ok ||
        bad "sample $spec: $(cat err)"
done
"$MTSI" stats p.h5 --json >p.json && grep -q '"abs_m"' p.json && ok || bad "stats of posterior"

# infeasible: A > 0 from noise, also under inpainting; a field at alpha = 1
expect_refusal "A > 0 from noise" "$MTSI" sample --model g.h5 --n 4 --quad 0.3 --out never.h5
grep -q "alpha <=" err && ok || bad "message lacks the admissible alpha range: $(cat err)"
expect_refusal "A > 0 inpainting" "$MTSI" sample --model g.h5 --n 4 --quad 0.3 --path inpaint \
    --from d.h5 --mask random:0.5 --out never.h5
expect_refusal "field with t-min 0" "$MTSI" sample --model g.h5 --n 4 --field 0.2 --t-min 0 \
    --out never.h5
expect_refusal "t-min out of range" "$MTSI" sample --model g.h5 --n 4 --field 0.2 --t-min 1.5 \
    --out never.h5
expect_refusal "field file missing" "$MTSI" sample --model g.h5 --n 4 --field-file nope.h5 \
    --out never.h5
expect_refusal "field file of another shape" "$MTSI" sample --model g.h5 --n 4 \
    --field-file d.h5 --out never.h5

# mtsi refine: exact updates toward the file's law (here the posterior's
# tilt, read from the file) or a given tilt; free field, so <M> = h/kappa
"$MTSI" sample --model g.h5 --n 400 --field 0.1 --out p4.h5 2>err || bad "sample 400: $(cat err)"
"$MTSI" refine p4.h5 --updates 30 --sampler fahmc --out r.h5 2>err && ok || bad "refine: $(cat err)"
grep -q "acceptance" err && ok || bad "refine reports no acceptance: $(cat err)"
"$MTSI" stats r.h5 --json >r.json || bad "stats of refined"
m=$(num r.json m)
awk -v m="$m" 'BEGIN { exit !(m > 0.2 - 0.07 && m < 0.2 + 0.07) }' && ok ||
    bad "refined posterior <M> = $m, exact 0.2 (+- 0.07 = 4 standard errors)"
"$MTSI" refine d.h5 --updates 30 --sampler fahmc --field 0.25 --out r2.h5 2>err || bad "refine --field"
"$MTSI" stats r2.h5 --json >r2.json || bad "stats of r2"
m=$(num r2.json m)
awk -v m="$m" 'BEGIN { exit !(m > 0.5 - 0.07 && m < 0.5 + 0.07) }' && ok ||
    bad "refined toward h = 0.25: <M> = $m, exact 0.5 (+- 0.07 = 4 standard errors)"
# the same seed gives the same configurations whatever the thread count
"$MTSI" refine p4.h5 --updates 5 --threads 1 --out t1.h5 2>/dev/null || bad "refine t1"
"$MTSI" refine p4.h5 --updates 5 --threads 2 --out t2.h5 2>/dev/null || bad "refine t2"
"$MTSI" stats t1.h5 --json | sed 's/t1\.h5//g' >t1.json
"$MTSI" stats t2.h5 --json | sed 's/t2\.h5//g' >t2.json
cmp -s t1.json t2.json && ok || bad "refine depends on the thread count"
# an MCMC ensemble keeps its chains (the Gamma method's replica)
"$MTSI" mcmc --chi 1 --kappa 0.5 --gamma 0 --L 4 --n 40 --chains 2 --therm 10 --out c2.h5 2>/dev/null &&
    "$MTSI" refine c2.h5 --updates 2 --out c2r.h5 2>/dev/null &&
    "$MTSI" stats c2r.h5 | grep -q "in 2 chains" && ok || bad "refine lost the chains of an MCMC ensemble"
cp r.h5 keep.h5
expect_refusal "refine inexact sampler" "$MTSI" refine p4.h5 --updates 3 --sampler langevin \
    --out never.h5
expect_refusal "refine without --updates" "$MTSI" refine p4.h5 --out never.h5
expect_refusal "refine missing input" "$MTSI" refine nope.h5 --updates 3 --out never.h5
expect_refusal "refine onto an existing file" "$MTSI" refine p4.h5 --updates 3 --out r.h5
cmp -s r.h5 keep.h5 && ok || bad "a refused refine changed r.h5"

finish
