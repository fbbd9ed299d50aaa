#!/bin/sh
# One row of the drift-fidelity study (docs/STUDY_FIDELITY.md): a trained
# drift, sampled as drawn (no refinement) for the prior, h = 0.05 and
# A = -0.5 at L = 16, (m2, lambda) = (-4, 4.7), each compared with MCMC at
# the same tilt: z of <|M|>, <M^2>, U4 and e, and the KS p-value on M.
#
#   examples/phi4-fidelity.sh MTSI OUTDIR ROW MODEL.h5 [sample options...]
#
# The sample options are read against mtsi sample's defaults as they were
# when the study's rows were made: the Heun ODE and, under a field, the start
# from m = 0 (--integrator heun --start-pilot 0 come first, so --sde and
# --start-pilot given here win); without options "--steps 60", the main
# job's former sampler. FID_DEFAULTS=new drops that prefix: the options then
# add to mtsi sample's present defaults (a phi^4 network: --sde 1:rise,
# 60 steps, --start-pilot 2).
# The MCMC references (8,000 configurations each, cluster sampler, as the
# main job) are made once in OUTDIR and reused. One line per law is added to
# OUTDIR/rows.tsv: row, law, z(<|M|>), z(<M^2>), z(U4), z(e), KS p, max |z|,
# sampling seconds. Knobs: FID_N [2000] samples, FID_LAWS ["prior h A"],
# FID_L [16], FID_H [0.05], FID_A [-0.5], FID_SEED [2].
set -eu
MTSI=${1:?usage: phi4-fidelity.sh MTSI OUTDIR ROW MODEL.h5 [sample options]}
OUT=${2:?}
ROW=${3:?}
MODEL=${4:?}
shift 4
if [ "${FID_DEFAULTS:-old}" = new ]; then
    :
elif [ $# -gt 0 ]; then
    set -- --integrator heun --start-pilot 0 "$@"
else
    set -- --integrator heun --start-pilot 0 --steps 60
fi
N=${FID_N:-2000}
L=${FID_L:-16}
H=${FID_H:-0.05}
A=${FID_A:--0.5}
SEED=${FID_SEED:-2}
COUP="--m2 -4 --lambda 4.7 --L $L"
MC="--sampler cluster --chains 2 --n 8000 --therm 500 --thin 2"
mkdir -p "$OUT"
z() { tr -d '\n ' <"$1" | sed -n "s/.*\"$2\":{[^}]*\"z\":\([-0-9.eE+]*\).*/\1/p"; }
ksp() { tr -d '\n ' <"$1" | sed -n 's/.*"ks_m":{[^}]*"p":\([-0-9.eE+]*\).*/\1/p'; }
for law in ${FID_LAWS:-prior h A}; do
    case $law in
    prior) tilt= seed=1 ;;
    h) tilt="--field $H" seed=3 ;;
    A) tilt="--quad $A" seed=4 ;;
    *) echo "phi4-fidelity: unknown law '$law' (prior, h or A)" >&2; exit 2 ;;
    esac
    ref=$OUT/mcmc_L${L}_$law.h5
    [ -e "$ref" ] || "$MTSI" mcmc $COUP $MC $tilt --seed $seed --out "$ref"
    gen=$OUT/${ROW}_$law.h5
    s=$(date +%s)
    "$MTSI" sample --model "$MODEL" --n "$N" --seed "$SEED" "$@" $tilt --out "$gen" --force
    secs=$(($(date +%s) - s))
    "$MTSI" compare "$gen" "$ref" --json >"$OUT/${ROW}_$law.json"
    f=$OUT/${ROW}_$law.json
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ROW" "$law" "$(z "$f" abs_m)" "$(z "$f" m2)" \
        "$(z "$f" binder)" "$(z "$f" energy)" "$(ksp "$f")" "$secs" |
        awk -F'\t' 'BEGIN { OFS = "\t" } { m = 0; for (i = 3; i <= 6; i++) { a = $i < 0 ? -$i : $i; if (a > m) m = a }
            printf "%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.3g\t%.2f\t%s\n", $1, $2, $3, $4, $5, $6, $7, m, $8 }' |
        tee -a "$OUT/rows.tsv"
done
