#!/bin/sh
# mtsi maze from the command line: each action end to end, the data file's
# layout (read back with h5dump when available), reproducibility, and bad
# input refused with one line on stderr, exit 2 and nothing written.
set -u
NAME=maze_cli
. "$MTSI_SRCDIR/tests/cli_lib.sh"
cd "$T" || exit 1

"$MTSI" maze --help | grep -q "mtsi maze data" && ok || bad "--help"

# data: a short run, twice with the same seed, once with another
"$MTSI" maze data --maze medium --steps 20000 --windows 200 --seed 3 --out a.h5 --json >a.json ||
    bad "data a"
"$MTSI" maze data --maze medium --steps 20000 --windows 200 --seed 3 --out b.h5 >/dev/null ||
    bad "data b"
"$MTSI" maze data --maze medium --steps 20000 --windows 200 --seed 4 --noisy --out c.h5 \
    >/dev/null || bad "data c"
grep -q '"cells_visited": 26' a.json && ok || bad "data: not every cell visited: $(cat a.json)"
grep -q '"steps": 20000' a.json && ok || bad "data json: $(cat a.json)"
if command -v h5dump >/dev/null 2>&1; then
    h5dump -H a.h5 >h.txt 2>&1
    grep -q 'DATASET "configs"' h.txt && grep -q '( 200, 2, 50 )' h.txt && ok ||
        bad "configs shape: $(grep -A3 configs h.txt)"
    for attr in kind data_kind grid periodic channels maze steps seed noisy; do
        grep -q "ATTRIBUTE \"$attr\"" h.txt && ok || bad "attribute $attr missing"
    done
    grep -q 'DATASET "trajectory"' h.txt && ok || bad "coverage missing"
    h5dump -d configs a.h5 >ca.txt 2>&1
    h5dump -d configs b.h5 >cb.txt 2>&1
    h5dump -d configs c.h5 >cc.txt 2>&1
    cmp -s ca.txt cb.txt && ok || bad "same seed, different data"
    cmp -s ca.txt cc.txt && bad "different seed and noise, same data" || ok
fi

# the data file carries the path shape: the interpolant commands read it
"$MTSI" fit-gaussian a.h5 --out ag.h5 >fg.txt 2>&1 &&
    grep -q '50 zero-boundary grid, 2 channels (path), 100 values' fg.txt && ok ||
    bad "fit-gaussian on maze data: $(cat fg.txt)"
expect_refusal "stats on paths" "$MTSI" stats a.h5
grep -q "data_kind 'path'" "$T/err" && ok || bad "stats message: $(cat "$T/err")"

# refusals
expect_refusal "existing output" "$MTSI" maze data --maze medium --steps 1000 --out a.h5
expect_refusal "unknown maze" "$MTSI" maze data --maze tiny --steps 1000 --out never.h5
expect_refusal "steps below the window" "$MTSI" maze data --maze medium --steps 10 --out never.h5
expect_refusal "windows 0" "$MTSI" maze data --maze medium --windows 0 --out never.h5
expect_refusal "no action" "$MTSI" maze
expect_refusal "unknown action" "$MTSI" maze fly --maze medium
expect_refusal "option of another action" "$MTSI" maze shortest --maze medium --steps 5 \
    --from 1,1 --to 2,2
expect_refusal "start inside a wall" "$MTSI" maze shortest --maze medium --from 0,0 --to 6,6
grep -q "inside wall cell (0, 0)" "$T/err" && ok || bad "message: $(cat "$T/err")"
expect_refusal "goal outside the maze" "$MTSI" maze plan --maze medium --from 1,1 --to 20,3 \
    --planner straight
grep -q "outside" "$T/err" && ok || bad "message: $(cat "$T/err")"
expect_refusal "start touching a wall" "$MTSI" maze plan --maze large --from 1,0.35 --to 3,3 \
    --planner shortest
expect_refusal "bad point" "$MTSI" maze shortest --maze medium --from 1 --to 2,2
expect_refusal "unknown planner" "$MTSI" maze plan --maze medium --from 1,1 --to 2,2 \
    --planner oracle
expect_refusal "no planner" "$MTSI" maze eval --maze medium --pairs 3
expect_refusal "bad via index" "$MTSI" maze plan --maze medium --from 1,1 --to 6,6 \
    --via 4,1@60 --planner shortest
expect_refusal "bad pairs" "$MTSI" maze eval --maze medium --pairs 0 --planner straight
expect_refusal "negative clearance" "$MTSI" maze shortest --maze medium --from 1,1 --to 2,2 \
    --clearance -1
expect_refusal "plans-out exists" "$MTSI" maze eval --maze medium --pairs 3 --planner straight \
    --plans-out a.h5

# shortest, valid, plan, eval
"$MTSI" maze shortest --maze medium --from 2,2 --to 3,3.2 >s.json || bad "shortest"
grep -q '"length": 1.5644' s.json && ok || bad "shortest length: $(cat s.json)"
"$MTSI" maze valid --maze medium 2,2 3,3 >v.json || bad "valid"
grep -q '"valid": true, "valid_clearance": false' v.json && ok || bad "valid: $(cat v.json)"
"$MTSI" maze valid --maze medium 1.8,2 1.8,3.6 >v.json || bad "valid crossing"
grep -q '"valid": false' v.json && ok || bad "crossing: $(cat v.json)"
"$MTSI" maze plan --maze medium --from 1,1 --to 6,6 --planner shortest >p.json || bad "plan"
grep -q '"valid": true' p.json && ok || bad "plan: $(cat p.json)"
"$MTSI" maze plan --maze medium --from 1,1 --to 6,6 --via 4,1@20 --planner shortest >p.json ||
    bad "plan via"
grep -q '"k": 49' p.json && ok || bad "plan via: $(cat p.json)"
"$MTSI" maze eval --maze large --pairs 50 --planner shortest --closed-loop --plans-out pl.h5 \
    >e.json || bad "eval"
for key in '"valid": {"count": 50' '"valid_clearance"' '"k_hist"' '"k_hist_clearance"' \
    '"length_ratio"' '"time_per_plan_s"' '"closed_loop": {"steps": 800, "n": 50, "reached": 50'; do
    grep -q "$key" e.json && ok || bad "eval key $key: $(cat e.json)"
done
[ -s pl.h5 ] && ok || bad "plans-out not written"
"$MTSI" maze eval --maze large --pairs 50 --planner shortest --closed-loop >e2.json || bad "eval 2"
# the same pairs and plans (times differ)
sed 's/"time_per_plan_s".*//' e.json >e1.txt
sed 's/"time_per_plan_s".*//' e2.json >e2.txt
cmp -s e1.txt e2.txt && ok || bad "eval not reproducible"

# inpainting with the Gaussian of a.h5's windows
"$MTSI" maze plan --maze medium --from 1,1 --to 2,1 --planner gaussian --data a.h5 \
    --sde-steps 20 >g.json || bad "plan gaussian"
grep -q '"planner": "dense, sde' g.json && ok || bad "plan gaussian: $(cat g.json)"
"$MTSI" maze eval --maze medium --pairs 6 --batch 4 --planner gaussian --data a.h5 \
    --sde-steps 10 >g.json || bad "eval gaussian"
grep -q '"pairs": 6, "batch": 4' g.json || grep -q '"batch": 4' g.json && ok ||
    bad "eval gaussian: $(cat g.json)"
expect_refusal "gaussian without data" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --planner gaussian
expect_refusal "gaussian on plans" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --planner gaussian --data pl.h5
expect_refusal "data with a baseline" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --planner straight --data a.h5
expect_refusal "negative eps" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --planner gaussian --data a.h5 --eps -1

# inpainting with a model file: the dense Gaussian of fit-gaussian (ag.h5,
# raw coordinates), a tiny network trained on standardised windows; a model
# of another shape is refused
"$MTSI" maze plan --maze medium --from 1,1 --to 2,1 --model ag.h5 --sde-steps 20 >m.json ||
    bad "plan model"
grep -q '"planner": "dense, sde eps 0.7, 20 steps"' m.json && grep -q '"points": \[\[1, 1\]' m.json &&
    ok || bad "plan model: $(head -c 300 m.json)"
"$MTSI" maze eval --maze medium --pairs 6 --batch 4 --planner model --model ag.h5 --sde-steps 10 \
    --closed-loop --plans-out pm.h5 >m.json || bad "eval model"
grep -q '"pairs": 6' m.json && grep -q '"k_hist"' m.json && ok || bad "eval model: $(cat m.json)"
"$MTSI" maze figure --plans pm.h5 --count 4 --out pm.png && [ -s pm.png ] && ok ||
    bad "figure of model plans"
"$MTSI" train --data a.h5 --out net.h5 --standardize channel --nu site=0.7,mask=0.3 --steps 2 \
    --batch 8 --arch width=8,mult=1-2,groups=4 --threads 1 --quiet >tr.log 2>&1 || bad "train: $(cat tr.log)"
"$MTSI" maze eval --maze medium --pairs 3 --model net.h5 --sde-steps 5 >n.json &&
    grep -q '"planner": "neural, sde' n.json && ok || bad "eval network: $(cat n.json)"
"$MTSI" mcmc --chi 1 --kappa 0.5 --gamma 0 --L 4 --n 50 --therm 20 --out phi.h5 >/dev/null 2>&1 &&
    "$MTSI" fit-gaussian phi.h5 --out phig.h5 >/dev/null 2>&1 || bad "phi4 model"
expect_refusal "model of another shape" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --model phig.h5
grep -q "4x4 periodic lattice (phi4), a maze path is a 50 zero-boundary grid, 2 channels" "$T/err" &&
    ok || bad "shape message: $(cat "$T/err")"
expect_refusal "model: not a model" "$MTSI" maze eval --maze medium --pairs 2 --model a.h5
expect_refusal "model with another planner" "$MTSI" maze plan --maze medium --from 1,1 --to 2,1 \
    --planner shortest --model ag.h5
expect_refusal "planner model without a file" "$MTSI" maze eval --maze medium --pairs 2 \
    --planner model
expect_refusal "model with data" "$MTSI" maze eval --maze medium --pairs 2 --model ag.h5 \
    --data a.h5

# figures
"$MTSI" maze figure --plans pl.h5 --count 4 --cols 2 --out plans.png || bad "figure plans"
"$MTSI" maze figure --data a.h5 --out cov.svg || bad "figure coverage"
[ -s plans.png ] && [ -s cov.svg ] && ok || bad "figures not written"
head -c 8 plans.png | od -c | grep -q "P   N   G" && ok || bad "plans.png is not a PNG"
expect_refusal "figure: bad extension" "$MTSI" maze figure --data a.h5 --out never.h5
expect_refusal "figure: data file as plans" "$MTSI" maze figure --plans a.h5 --out never.png
[ -e never.png ] && bad "wrote never.png" || ok
expect_refusal "figure: maze mismatch" "$MTSI" maze figure --maze medium --plans pl.h5 \
    --out never.png
expect_refusal "figure: existing output" "$MTSI" maze figure --data a.h5 --out cov.svg

finish
