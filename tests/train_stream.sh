#!/bin/sh
# mtsi train --stream-mcmc from the command line: (a) the same seed gives
# the same model file byte for byte (and another seed another model); (b)
# the model records the provenance (couplings, L, "stream-mcmc", chains,
# thin) for `mtsi model` and the data shape of an mcmc ensemble of that L,
# and `mtsi sample` uses it; (c) SIGTERM + --resume gives the file of the
# uninterrupted run byte for byte, and a finished run can be extended;
# (d) bad input is refused with one line naming the bad value, exit 2,
# nothing written; (e) --stream-tilt is recorded, resumes bitwise and
# refuses bad ranges. The law of the stream: tests/train_stream_law.sh;
# corrupt checkpoints: tests/train_stream_ckpt.sh; two MPI ranks:
# tests/train_stream_mpi.sh.
set -u
NAME=train_stream
. "$(dirname "$0")/cli_lib.sh"
BUILD=$(cd "$(dirname "$MTSI")" && pwd)
STATE=${TRAIN_STATE:-$BUILD/tests/train_state}
# one thread: every comparison below is bitwise for a fixed thread count
OMP_NUM_THREADS=1
export OMP_NUM_THREADS
cd "$T" || exit 1
NET="--arch width=8,mult=1-2,groups=4 --batch 8 --ema 0.9 --quiet"
S="--stream-mcmc --m2 -4 --lambda 4.7 --L 8 --stream-chains 6 --stream-therm 50 --val-n 16"
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 8 --sampler cluster --n 200 --therm 100 --thin 2 \
    --seed 12 --out ref.h5 >/dev/null || { echo "mcmc failed" >&2; exit 99; }

# ---- (a) the same seed twice: the same file ------------------------------
mkdir a b
for d in a b; do
    (cd $d && "$MTSI" train $S --out s.h5 --steps 30 --log-every 10 --seed 4 $NET) ||
        bad "stream run in $d"
done
cmp -s a/s.h5 b/s.h5 && ok || bad "two runs with the same seed differ"
"$STATE" a/s.h5 | grep -q "^train_step 30$" && ok || bad "train_state: $("$STATE" a/s.h5)"
(cd b && "$MTSI" train $S --out s.h5 --steps 30 --log-every 10 --seed 5 $NET --force) ||
    bad "stream run with seed 5"
"$STATE" a/s.h5 >s4.st && "$STATE" b/s.h5 >s5.st && ! cmp -s s4.st s5.st && ok ||
    bad "another seed gives the same model"

# ---- (b) provenance and shape ----------------------------------------------
"$MTSI" model a/s.h5 >info 2>&1 || bad "mtsi model: $(cat info)"
grep -q "^source: stream-mcmc (cluster sampler) m2=-4 lambda=4.7 L=8 chains=6 thin=2 therm=50 val_n=16$" info &&
    ok || bad "provenance: $(cat info)"
"$MTSI" train --data ref.h5 --out e.h5 --steps 2 $NET || bad "training on the mcmc ensemble"
"$MTSI" model e.h5 >einfo 2>&1
[ "$(grep '^data:' info)" = "$(grep '^data:' einfo)" ] && grep -q "^source: ensemble ref.h5$" einfo &&
    ok || bad "data shape of the stream model: $(grep '^data:' info) vs $(grep '^data:' einfo)"
"$MTSI" sample --model a/s.h5 --n 4 --steps 10 --out g.h5 && "$MTSI" stats g.h5 >/dev/null && ok ||
    bad "sampling and stats with a stream model"

# ---- (c) SIGTERM, then --resume: the uninterrupted file ----------------------
LONG="$S --out k.h5 --steps 300 --log-every 10 --checkpoint-every 5 --seed 9 $NET"
mkdir ref term
(cd ref && "$MTSI" train $LONG) || bad "reference run"
cd term
term_when_written k.h5 "$MTSI" train $LONG
rc=$?
if "$STATE" k.h5 2>/dev/null | grep -q "^train_step 300$"; then
    echo "note: run finished before SIGTERM; resume path not exercised"
else
    [ $rc -eq 130 ] && ok || bad "SIGTERM exit status $rc, expected 130"
    term_reported && ok ||
        bad "SIGTERM message: $(cat term.err)"
    "$MTSI" train --resume --out k.h5 --quiet || bad "resume after SIGTERM"
fi
cd ..
cmp -s ref/k.h5 term/k.h5 && ok || bad "SIGTERM + resume differs from the uninterrupted run"
# a finished run is extended: the chains go on
cp ref/k.h5 more.h5
"$MTSI" train --resume --out more.h5 --steps 310 --quiet && "$STATE" more.h5 |
    grep -q "^train_step 310$" && ok || bad "extending a finished stream run"

# ---- (d) bad input ----------------------------------------------------------------
B="--out never.h5 --steps 2 $NET"
expect_refusal "no --L" "$MTSI" train --stream-mcmc --m2 -4 --lambda 4.7 $B
grep -q "needs the lattice side --L" err && ok || bad "message: $(cat err)"
expect_refusal "no couplings" "$MTSI" train --stream-mcmc --L 8 $B
grep -q "needs the couplings --m2 and --lambda" err && ok || bad "message: $(cat err)"
expect_refusal "no --lambda" "$MTSI" train --stream-mcmc --m2 -4 --L 8 $B
expect_refusal "--tilt auto with the stream" "$MTSI" train $S --tilt auto $B
grep -q -- "--tilt auto: auto chooses h from an ensemble (--data)" err && ok || bad "message: $(cat err)"
expect_refusal "--stream-tilt auto" "$MTSI" train $S --stream-tilt auto $B
grep -q -- "--stream-tilt auto: auto chooses h from an ensemble (--data)" err && ok ||
    bad "message: $(cat err)"
expect_refusal "--stream-chains 0" "$MTSI" train $S --stream-chains 0 $B
grep -q -- "--stream-chains" err && ok || bad "message: $(cat err)"
expect_refusal "--L 3" "$MTSI" train --stream-mcmc --m2 -4 --lambda 4.7 --L 3 $B
grep -q -- "--L: 3 is outside" err && ok || bad "message: $(cat err)"
expect_refusal "--L 6 (not poolable)" "$MTSI" train --stream-mcmc --m2 -4 --lambda 4.7 --L 6 \
    --out never.h5 --steps 2 --arch width=8,mult=1-2-2,groups=4
expect_refusal "--stream-thin 0" "$MTSI" train $S --stream-thin 0 $B
expect_refusal "--stream-therm -1" "$MTSI" train $S --stream-therm -1 $B
expect_refusal "--val-n -1" "$MTSI" train $S --val-n -1 $B
expect_refusal "--lambda -1" "$MTSI" train --stream-mcmc --m2 -4 --lambda -1 --L 8 $B
grep -q -- "--lambda: must be >= 0, got -1" err && ok || bad "message: $(cat err)"
expect_refusal "--m2 abc" "$MTSI" train --stream-mcmc --m2 abc --lambda 4.7 --L 8 $B
expect_refusal "--stream-chains without --stream-mcmc" "$MTSI" train --data ref.h5 \
    --stream-chains 8 $B
grep -q -- "--stream-chains needs --stream-mcmc" err && ok || bad "message: $(cat err)"
expect_refusal "--L without --stream-mcmc" "$MTSI" train --data ref.h5 --L 8 $B
expect_refusal "--data with --stream-mcmc" "$MTSI" train $S --data ref.h5 $B
grep -q "exclude each other" err && ok || bad "message: $(cat err)"
expect_refusal "--val-frac with --stream-mcmc" "$MTSI" train $S --val-frac 0.2 $B
expect_refusal "--standardize channel" "$MTSI" train $S --standardize channel $B
expect_refusal "no data at all" "$MTSI" train $B
cp ref/k.h5 keep.h5 && cp keep.h5 keep.orig
expect_refusal "resume with another --stream-thin" "$MTSI" train --resume --out keep.h5 \
    --steps 400 --stream-thin 3
grep -q -- "--stream-thin 3 differs from the checkpoint's 2" err && ok || bad "message: $(cat err)"
expect_refusal "resume with --data" "$MTSI" train --resume --out keep.h5 --steps 400 --data ref.h5
expect_refusal "resume an ensemble run with --stream-mcmc" "$MTSI" train --resume --out e.h5 \
    --steps 4 --stream-mcmc
cmp -s keep.h5 keep.orig && ok || bad "a refused resume modified the model"
ls ./*.tmp-* >/dev/null 2>&1 && bad "a refused run left a temporary file"

# ---- (e) --stream-tilt: recorded, resumed bitwise, refused when bad ---------------
TL="$S --stream-tilt h=0.2,A=-1,frac=0.5 --log-every 5 --seed 3 $NET"
mkdir tref tres
(cd tref && "$MTSI" train $TL --out t.h5 --steps 20) || bad "tilted stream run"
(cd tres && "$MTSI" train $TL --out t.h5 --steps 10 && "$MTSI" train --resume --out t.h5 \
    --steps 20 --quiet) || bad "tilted stream run in two legs"
# the files differ only in the recorded command line (--steps); the state is bitwise
"$STATE" tref/t.h5 >tref.st && "$STATE" tres/t.h5 >tres.st && cmp -s tref.st tres.st && ok ||
    bad "tilted run: 10 + resumed 10 steps differ from 20"
"$MTSI" model tref/t.h5 >tinfo 2>&1
grep -q "^tilt: a fraction 0.5 of the chains at fields in \[-0.2, 0.2\] and quadratic terms in \[-1, 0\]$" \
    tinfo && ok || bad "tilt provenance: $(cat tinfo)"
(cd tres && "$MTSI" train $S --out u.h5 --steps 20 --log-every 5 --seed 3 $NET) &&
    "$STATE" tres/u.h5 >u.st && "$STATE" tref/t.h5 >t.st && ! cmp -s u.st t.st && ok ||
    bad "the tilt changes nothing"
expect_refusal "--stream-tilt h=0" "$MTSI" train $S --stream-tilt h=0 $B
grep -q -- "--stream-tilt: give h > 0 or A < 0" err && ok || bad "message: $(cat err)"
expect_refusal "--stream-tilt A=1" "$MTSI" train $S --stream-tilt A=1 $B
grep -q -- "--stream-tilt: A must be in \[-100, 0\] (terms in \[A, 0\]), got 1" err && ok ||
    bad "message: $(cat err)"
expect_refusal "--stream-tilt frac=0" "$MTSI" train $S --stream-tilt h=0.1,frac=0 $B
expect_refusal "--stream-tilt x=1" "$MTSI" train $S --stream-tilt x=1 $B
grep -q "unknown key 'x'" err && ok || bad "message: $(cat err)"
expect_refusal "--stream-tilt without --stream-mcmc" "$MTSI" train --data ref.h5 \
    --stream-tilt h=0.1 $B
cp tref/t.h5 tkeep.h5 && cp tkeep.h5 tkeep.orig
expect_refusal "resume with another tilt" "$MTSI" train --resume --out tkeep.h5 --steps 30 \
    --stream-tilt h=0.3,A=-1
grep -q -- "--tilt h=0.3,A=-1,frac=0.5 differs" err && ok || bad "message: $(cat err)"
cmp -s tkeep.h5 tkeep.orig && ok || bad "a refused resume modified the tilted model"

finish
