#!/bin/sh
# The main job: one drift, trained once on MCMC data of a 16x16 phi^4
# lattice near the transition, answers the prior and two tilted laws; each
# answer gets a short exact refinement (mtsi refine) and is compared, with
# and without it, with MCMC at the same tilt. A control (prior samples
# refined toward the tilted laws) shows what the refinement alone does.
#
#   examples/phi4-demo.sh MTSI OUTDIR
#
# Environment knobs (defaults in brackets): DEMO_STEPS [2000] training steps,
# DEMO_N [600] samples per law, DEMO_H [0.05] field, DEMO_A [-0.5] quadratic
# tilt, DEMO_L [16], DEMO_REFINE [20] HMC updates of the refinement,
# DEMO_SAMPLER [""]: extra mtsi sample options (default: its own defaults for
# a phi^4 drift, the SDE with noise rising from 0 to 1 in 60 steps and, under
# a field, the start's mean from 2 pilot passes; "--integrator heun" for the
# ODE).
# Everything is seeded: a rerun gives the same files.
set -eu
MTSI=${1:?usage: phi4-demo.sh MTSI OUTDIR}
OUT=${2:-demo-out}
L=${DEMO_L:-16}
STEPS=${DEMO_STEPS:-2000}
N=${DEMO_N:-600}
H=${DEMO_H:-0.05}
A=${DEMO_A:--0.5}
K=${DEMO_REFINE:-20}
SAMPLER=${DEMO_SAMPLER:-}
COUP="--m2 -4 --lambda 4.7"
# OpenMP threads wait actively (OpenBLAS runs one thread per process: passive
# waiting only adds wake-ups, 29 s against 19 s for 100 training steps)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-active}
mkdir -p "$OUT"
t0=$(date +%s)
step() { echo; echo "== $* ($(($(date +%s) - t0)) s)"; }

step "MCMC ground truth: L = $L, (m2, lambda) = (-4, 4.7), cluster sampler"
"$MTSI" mcmc $COUP --L "$L" --sampler cluster --chains 2 --n 8000 --therm 500 --thin 2 \
    --seed 1 --out "$OUT/mcmc.h5" --force
"$MTSI" stats "$OUT/mcmc.h5"

step "train the drift b(alpha, x) once ($STEPS steps; mtsi train's defaults otherwise)"
# the defaults: batch 32, lr 2e-3 with a cosine decay to 0, EMA 0.99, the
# Gaussian base, and half the samples from the ensemble tilted by fields up
# to the printed h (where the posterior at a field evaluates the drift)
"$MTSI" train --data "$OUT/mcmc.h5" --out "$OUT/drift.h5" --steps "$STEPS" --seed 1 --force

step "prior samples with the drift (mtsi sample's defaults${SAMPLER:+ and $SAMPLER})"
SAMPLE="--n $N $SAMPLER --seed 2"
"$MTSI" sample --model "$OUT/drift.h5" $SAMPLE --out "$OUT/prior_raw.h5" --force

step "posterior samples at h = $H and at A = $A (same drift, no retraining)"
"$MTSI" sample --model "$OUT/drift.h5" $SAMPLE --field "$H" --out "$OUT/post_h_raw.h5" --force
"$MTSI" sample --model "$OUT/drift.h5" $SAMPLE --quad "$A" --out "$OUT/post_A_raw.h5" --force

step "refine: $K exact HMC updates per sample on its own law (short-distance modes)"
for f in prior post_h post_A; do
    "$MTSI" refine "$OUT/${f}_raw.h5" --updates "$K" --seed 5 --out "$OUT/$f.h5" --force
done
# control: the same refinement applied to prior samples, aimed at the tilted
# laws; it shows what the refinement alone does to the long-distance modes
"$MTSI" refine "$OUT/prior_raw.h5" --field "$H" --updates "$K" --seed 5 --out "$OUT/ctrl_h.h5" --force
"$MTSI" refine "$OUT/prior_raw.h5" --quad "$A" --updates "$K" --seed 5 --out "$OUT/ctrl_A.h5" --force

step "MCMC at the same tilts"
"$MTSI" mcmc $COUP --L "$L" --field "$H" --sampler cluster --chains 2 --n 8000 --therm 500 \
    --thin 2 --seed 3 --out "$OUT/mcmc_h.h5" --force
"$MTSI" mcmc $COUP --L "$L" --quad "$A" --sampler cluster --chains 2 --n 8000 --therm 500 \
    --thin 2 --seed 4 --out "$OUT/mcmc_A.h5" --force

for pair in "prior mcmc" "post_h mcmc_h" "post_A mcmc_A"; do
    set -- $pair
    step "compare $1 (generated + refined) with $2 (MCMC)"
    "$MTSI" compare "$OUT/$1.h5" "$OUT/$2.h5" --plot "$OUT/$1.png" --force
    "$MTSI" compare "$OUT/$1.h5" "$OUT/$2.h5" --plot "$OUT/$1.pdf" --force >/dev/null
    "$MTSI" compare "$OUT/$1.h5" "$OUT/$2.h5" --json >"$OUT/$1.json"
done
for pair in "prior_raw mcmc" "post_h_raw mcmc_h" "post_A_raw mcmc_A" "ctrl_h mcmc_h" \
    "ctrl_A mcmc_A"; do
    set -- $pair
    "$MTSI" compare "$OUT/$1.h5" "$OUT/$2.h5" --plot "$OUT/$1.png" --force >/dev/null
    "$MTSI" compare "$OUT/$1.h5" "$OUT/$2.h5" --json >"$OUT/$1.json"
done

# one line per comparison: z of <|M|>, <M^2>, U4, e and the KS p-value on M
z() { tr -d '\n ' <"$1" | sed -n "s/.*\"$2\":{[^}]*\"z\":\([-0-9.eE+]*\).*/\1/p"; }
ksp() { tr -d '\n ' <"$1" | sed -n 's/.*"ks_m":{[^}]*"p":\([-0-9.eE+]*\).*/\1/p'; }
step "summary (z = generated - MCMC in combined standard errors)"
printf '%-44s %8s %8s %8s %8s %10s\n' "law" "<|M|>" "<M^2>" "U4" "e" "KS p(M)"
for row in "prior:prior, drift + refine" "post_h:posterior h = $H, drift + refine" \
    "post_A:posterior A = $A, drift + refine" "prior_raw:prior, drift only" \
    "post_h_raw:posterior h = $H, drift only" "post_A_raw:posterior A = $A, drift only" \
    "ctrl_h:control: prior + refine toward h = $H" "ctrl_A:control: prior + refine toward A = $A"; do
    f=$OUT/${row%%:*}.json
    printf '%-44s %8.2f %8.2f %8.2f %8.2f %10.3g\n' "${row#*:}" "$(z "$f" abs_m)" "$(z "$f" m2)" \
        "$(z "$f" binder)" "$(z "$f" energy)" "$(ksp "$f")"
done
step "done: tables above, JSON and figures (PNG; PDF of the refined laws) in $OUT/"
