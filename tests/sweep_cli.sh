#!/bin/sh
# mtsi sweep from the command line: a small serial sweep makes one file per
# point and summary.json with its keys and a Binder crossing; a restarted
# sweep leaves finished files untouched; --task-id (and SLURM_ARRAY_TASK_ID)
# runs exactly one point, bitwise the file of the full sweep; a point's file
# is bitwise what its listed `mtsi mcmc` command makes; SIGTERM exits 130
# with a summary and the rerun finishes to the files of an uninterrupted
# sweep; --generate answers reachable tilts; bad input is refused with one
# stderr line and exit 2.
set -u
NAME=sweep_cli
. "$(dirname "$0")/cli_lib.sh"
# the sweep must not take SLURM's task id from the environment of the test
unset SLURM_ARRAY_TASK_ID

cd "$T" || exit 1
G="--m2 -4 --lambda 4.4,4.8 --L 4,6 --sampler cluster --n 400 --therm 200 --thin 2 --chains 2 --quiet"

# ---- refusals -------------------------------------------------------------
expect_refusal "bad range syntax" "$MTSI" sweep --m2 -4 --lambda 4:5 --n 10 --dir r
expect_refusal "range count 0" "$MTSI" sweep --m2 -4 --lambda 4:5:0 --n 10 --dir r
expect_refusal "range count text" "$MTSI" sweep --m2 -4 --lambda 4:5:x --n 10 --dir r
expect_refusal "empty list item" "$MTSI" sweep --m2 -4 --lambda 4,,5 --n 10 --dir r
expect_refusal "duplicate value" "$MTSI" sweep --m2 -4 --lambda 4.6,4.6 --n 10 --dir r
expect_refusal "fractional L" "$MTSI" sweep --m2 -4 --lambda 4.6 --L 8.5 --n 10 --dir r
expect_refusal "unknown option" "$MTSI" sweep --m2 -4 --lambda 4.6 --n 10 --dir r --bogus
expect_refusal "mixed conventions" "$MTSI" sweep --m2 -4 --lambda 4.6 --kappa 1 --n 10 --dir r
expect_refusal "half a convention" "$MTSI" sweep --m2 -4 --n 10 --dir r
expect_refusal "missing --dir" "$MTSI" sweep --m2 -4 --lambda 4.6 --n 10
expect_refusal "missing --n" "$MTSI" sweep --m2 -4 --lambda 4.6 --dir r
expect_refusal "unstable point" "$MTSI" sweep --chi 1 --kappa 0.5,-0.5 --gamma 0 --n 10 --dir r
echo "a file" >plain
expect_refusal "unwritable --dir" "$MTSI" sweep --m2 -4 --lambda 4.6 --n 10 --dir plain/sub
expect_refusal "--dir is a file" "$MTSI" sweep --m2 -4 --lambda 4.6 --n 10 --dir plain
expect_refusal "task id out of range" "$MTSI" sweep $G --dir r --task-id 4
SLURM_ARRAY_TASK_ID=9 expect_refusal "array task out of range" "$MTSI" sweep $G --dir r
SLURM_ARRAY_TASK_ID=x expect_refusal "bad array task id" "$MTSI" sweep $G --dir r
expect_refusal "gen option without model" "$MTSI" sweep $G --dir r --gen-steps 5
[ -e r ] && bad "a refused sweep created its --dir"
[ "$(cat plain)" = "a file" ] && ok || bad "a refused sweep modified a file"

"$MTSI" sweep --help >help.txt 2>&1 && grep -q "lo:hi:count" help.txt && ok || bad "--help"

# ---- a small serial sweep ---------------------------------------------------
"$MTSI" sweep $G --dir s >table.txt 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && ok || bad "serial sweep: exit $rc: $(cat err.txt)"
n=$(ls s/L*_m2-4_lambda4.[48]_h0.h5 2>/dev/null | wc -l)
[ "$n" -eq 4 ] && ok || bad "serial sweep: $n ensemble files, expected 4"
[ -f s/summary.json ] && [ -f s/summary.txt ] && ok || bad "no summary files"
grep -q "Binder crossings along lambda" table.txt && ok || bad "table has no Binder section"
ls s | grep -q 'tmp-\|\.part\|\.ckpt' && bad "temporary files left: $(ls s)" || ok
for key in '"points"' '"L"' '"chi"' '"kappa"' '"gamma"' '"m2"' '"lambda"' '"field_h"' \
    '"quad_a"' '"file"' '"observables"' '"mean"' '"err"' '"tau_int"' '"binder"' '"abs_m"' \
    '"binder_crossing"' '"L1"' '"L2"'; do
    grep -q "$key" s/summary.json || bad "summary.json lacks $key"
done
if command -v python3 >/dev/null 2>&1; then
    python3 - s/summary.json <<'EOF' && ok || bad "summary.json structure"
import json, sys
d = json.load(open(sys.argv[1]))
pts = d["points"]
assert len(pts) == 4 and d["n_done"] == 4 and d["complete"] is True
for p in pts:
    assert p["status"] == "done", p
    for k in ("L", "chi", "kappa", "gamma", "m2", "lambda", "field_h", "quad_a", "file"):
        assert k in p, k
    assert p["chi"] == 2 and p["kappa"] == -8 and p["gamma"] == 4 * p["lambda"]
    for name in ("m", "abs_m", "m2", "m4", "energy", "binder", "chi", "xi2"):
        o = p["observables"][name]
        assert set(o) == {"mean", "err", "tau_int"}, o
    assert p["observables"]["abs_m"]["err"] > 0
bc = d["binder_crossing"]
assert len(bc) == 1 and bc[0]["L1"] == 4 and bc[0]["L2"] == 6 and bc[0]["axis"] == "lambda"
c = bc[0]
assert (c["value"] is None) == (c["reason"] is not None)
if c["value"] is not None:
    assert 4.4 <= c["value"] <= 4.8 and c["err"] > 0
EOF
fi

# ---- restart: everything is done, nothing is rewritten ---------------------
mkdir keep && cp s/*.h5 keep/
touch stamp
sleep 1
"$MTSI" sweep $G --dir s >table2.txt 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && ok || bad "restart: exit $rc: $(cat err.txt)"
for f in keep/*.h5; do
    cmp -s "$f" "s/${f#keep/}" || bad "restart changed ${f#keep/}"
done
[ -z "$(find s -name '*.h5' -newer stamp)" ] && ok || bad "restart rewrote: $(find s -name '*.h5' -newer stamp)"
cmp -s table.txt table2.txt && ok || bad "restart: the summary differs"
# the same directory with other settings is refused, files untouched
expect_refusal "other settings in the same dir" "$MTSI" sweep $(echo "$G" | sed 's/--n 400/--n 300/') --dir s
[ -z "$(find s -name '*.h5' -newer stamp)" ] && ok || bad "refused restart touched files"

# ---- --list and the equivalent mcmc command --------------------------------
"$MTSI" sweep $G --list >list.txt
[ "$(grep -c '^[0-9]' list.txt)" -eq 4 ] && ok || bad "--list: $(cat list.txt)"
grep -q '^3 L6_m2-4_lambda4.8_h0.h5 ' list.txt && ok || bad "--list: point 3 is not L6 lambda 4.8"
mkdir one && (cd one && eval "$(sed -n 's/^3 .* | mtsi /"$MTSI" /p' ../list.txt)") &&
    cmp -s one/L6_m2-4_lambda4.8_h0.h5 s/L6_m2-4_lambda4.8_h0.h5 && ok ||
    bad "point 3 is not bitwise its listed mtsi mcmc command"

# ---- one point per task ------------------------------------------------------
"$MTSI" sweep $G --dir t --task-id 2 >task.txt 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && ok || bad "--task-id: exit $rc: $(cat err.txt)"
[ "$(ls t/*.h5 | wc -l)" -eq 1 ] && cmp -s t/L6_m2-4_lambda4.4_h0.h5 s/L6_m2-4_lambda4.4_h0.h5 &&
    ok || bad "--task-id 2: $(ls t)"
[ -e t/summary.json ] && bad "--task-id wrote a summary (tasks run concurrently)" || ok
grep -q "L6\|^ *2 " task.txt && ok || bad "--task-id printed no row: $(cat task.txt)"
SLURM_ARRAY_TASK_ID=1 "$MTSI" sweep $G --dir t >/dev/null 2>err.txt || bad "array task: $(cat err.txt)"
[ "$(ls t/*.h5 | wc -l)" -eq 2 ] && cmp -s t/L4_m2-4_lambda4.8_h0.h5 s/L4_m2-4_lambda4.8_h0.h5 &&
    ok || bad "SLURM_ARRAY_TASK_ID=1: $(ls t)"
SLURM_ARRAY_TASK_ID=1 "$MTSI" sweep $G --dir t --collect >/dev/null 2>err.txt && ok ||
    bad "--collect: $(cat err.txt)"
grep -q '"n_done": 2, "complete": false' t/summary.json && ok || bad "--collect summary"
[ "$(ls t/*.h5 | wc -l)" -eq 2 ] && ok || bad "--collect ran points"

# ---- SIGTERM: exit 130 after the summary; the rerun finishes bitwise -------
I="--m2 -4 --lambda 4.6,4.8 --L 12 --sampler cluster --n 1500 --therm 200 --thin 2 --chains 2 --checkpoint-every 0 --quiet"
"$MTSI" sweep $I --dir ref >/dev/null 2>err.txt || bad "reference sweep: $(cat err.txt)"
"$MTSI" sweep $I --dir int >/dev/null 2>int.err &
pid=$!
i=0
while [ ! -e int/L12_m2-4_lambda4.8_h0.h5.ckpt ] && [ ! -e int/L12_m2-4_lambda4.6_h0.h5.ckpt ] &&
    [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
if [ "$rc" -eq 130 ]; then
    ok
    [ -f int/summary.json ] && grep -q '"complete": false' int/summary.json && ok ||
        bad "interrupted sweep: no partial summary"
    grep -q "run the same command again" int.err && ok || bad "interrupted: $(cat int.err)"
elif [ "$rc" -eq 0 ]; then
    echo "note: the sweep finished before SIGTERM arrived"
else
    bad "SIGTERM: exit $rc: $(cat int.err)"
fi
"$MTSI" sweep $I --dir int >/dev/null 2>err.txt || bad "resumed sweep: $(cat err.txt)"
for f in ref/*.h5; do
    cmp -s "$f" "int/${f#ref/}" && ok || bad "interrupted and resumed ${f#ref/} differs"
done

# ---- --generate: reachable tilts with the model, A > 0 reported ------------
# Free field: a Gaussian model of the h = 0 law; A > 0 cannot start from noise.
F="--chi 1 --kappa 0.5 --gamma 0 --L 4 --n 300 --therm 100 --thin 2 --quiet"
"$MTSI" mcmc --chi 1 --kappa 0.5 --gamma 0 --L 4 --n 500 --therm 100 --thin 2 --out data.h5 &&
    "$MTSI" fit-gaussian data.h5 --zero-mean --out model.h5 >/dev/null || bad "model for --generate"
"$MTSI" sweep $F --field 0,0.1 --quad -0.3,0.2 --dir g --generate model.h5 --gen-steps 20 \
    >gen.txt 2>err.txt || bad "--generate: $(cat err.txt)"
[ "$(ls g/*_generated.h5 2>/dev/null | wc -l)" -eq 2 ] && ok || bad "--generate made: $(ls g)"
[ -f g/L4_chi1_kappa0.5_gamma0_h0.1_A-0.3_generated.h5 ] && ok || bad "no generated file for h 0.1, A -0.3"
grep -q '"status": "unreachable"' g/summary.json && grep -q '"z": {' g/summary.json && ok ||
    bad "--generate summary"
grep -q "z: |M|" gen.txt && grep -q "generated unreachable" gen.txt && ok || bad "--generate table"
# The generated samples are those of the equivalent `mtsi sample` command
# (same drift, reward, streams): identical statistics to the last digit.
if command -v python3 >/dev/null 2>&1; then
    s=$("$MTSI" sweep $F --field 0,0.1 --quad -0.3,0.2 --list | awk '$2 ~ /h0.1_A-0.3.h5$/ {print $3}')
    gs=$(python3 -c "print(($s ^ 0x67656e6572617465) >> 1)")
    "$MTSI" sample --model model.h5 --n 300 --steps 20 --seed "$gs" --field 0.1 --quad -0.3 \
        --out direct.h5 2>err.txt || bad "mtsi sample: $(cat err.txt)"
    "$MTSI" stats --json direct.h5 | sed 's/"file": "[^"]*"//' >direct.json
    "$MTSI" stats --json g/L4_chi1_kappa0.5_gamma0_h0.1_A-0.3_generated.h5 |
        sed 's/"file": "[^"]*"//' >gen.json
    cmp -s direct.json gen.json && ok || bad "generated samples differ from mtsi sample's"
    # --gen-refine K: the same samples refined as `mtsi refine --seed (seed + 1)` does
    "$MTSI" sweep $F --field 0.1 --quad -0.3 --dir gr --generate model.h5 --gen-steps 20 \
        --gen-refine 5 >/dev/null 2>err.txt || bad "--gen-refine: $(cat err.txt)"
    "$MTSI" refine direct.h5 --updates 5 --seed $((gs + 1)) --out direct_r.h5 2>err.txt ||
        bad "mtsi refine: $(cat err.txt)"
    "$MTSI" stats --json direct_r.h5 | sed 's/"file": "[^"]*"//' >direct_r.json
    "$MTSI" stats --json gr/L4_chi1_kappa0.5_gamma0_h0.1_A-0.3_generated.h5 |
        sed 's/"file": "[^"]*"//' >gen_r.json
    cmp -s direct_r.json gen_r.json && ok || bad "--gen-refine differs from mtsi refine"
    cmp -s direct_r.json direct.json && bad "refinement changed nothing" || ok
    # a neural phi^4 drift: the sweep samples with the model's defaults as
    # mtsi sample does (the SDE with rising noise, 60 steps; under a field
    # alone the start's mean from 2 pilot passes)
    "$MTSI" train --data data.h5 --out nmodel.h5 --steps 2 --arch width=8,mult=1-2,groups=4 \
        --batch 8 --quiet 2>err.txt || bad "neural model: $(cat err.txt)"
    "$MTSI" sweep $F --field 0.1 --quad 0 --dir gn --generate nmodel.h5 >/dev/null 2>err.txt ||
        bad "--generate with a network: $(cat err.txt)"
    s=$("$MTSI" sweep $F --field 0.1 --quad 0 --list | awk '$2 ~ /h0.1.h5$/ {print $3}')
    gs=$(python3 -c "print(($s ^ 0x67656e6572617465) >> 1)")
    "$MTSI" sample --model nmodel.h5 --n 300 --seed "$gs" --field 0.1 --out ndirect.h5 \
        2>err.txt || bad "mtsi sample (network): $(cat err.txt)"
    "$MTSI" stats --json ndirect.h5 | sed 's/"file": "[^"]*"//' >ndirect.json
    "$MTSI" stats --json gn/L4_chi1_kappa0.5_gamma0_h0.1_generated.h5 |
        sed 's/"file": "[^"]*"//' >ngen.json
    cmp -s ndirect.json ngen.json && ok || bad "network: generated samples differ from mtsi sample's"
    grep -a -q -- "--sde 1:rise --steps 60" gn/L4_chi1_kappa0.5_gamma0_h0.1_generated.h5 && ok ||
        bad "network: the recorded sample command is not the SDE's"
fi
expect_refusal "model matches nothing" "$MTSI" sweep $F --L 6 --dir g2 --generate model.h5
expect_refusal "model is not a file" "$MTSI" sweep $F --dir g3 --generate nothing.h5

finish
