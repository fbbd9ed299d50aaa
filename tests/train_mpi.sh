#!/bin/sh
# mpirun -np 2 mtsi train: (1) two ranks with batch B give the weights of
# one process with batch B after 20 steps, up to float rounding; (2) a
# run stopped by SIGTERM and resumed under two ranks is bitwise the
# uninterrupted two-rank run; (3) a checkpoint resumes only under the
# number of ranks that wrote it, and a batch the ranks do not divide is
# refused (exit 2, one line). Skipped (77) when the build has no MPI
# launcher.
#
# The bound of (1). Both runs draw the same samples (every rank draws the
# whole batch from the one stream and keeps its share), so they differ
# only in the order in which float32 gradients are summed (per half batch,
# then across ranks): Adam's first moment agrees to ~1e-6 of its largest
# entry. Adam then divides each gradient by its own RMS, so the few weights
# whose gradient is zero up to rounding (terms that cancel exactly in the
# odd network) take steps of up to lr in unrelated directions in the two
# runs. After N = 20 steps at lr = 1e-3 we require
#   max |w1 - w2| < 1e-2   (N lr / 2; measured 3.3e-3)
#   rms |w1 - w2| < 5e-4   (N lr / 40; measured 9.4e-5)
# whereas runs whose samples differ (another --val-frac, same initial
# weights) differ by max 2e-2 and rms 4.3e-3.
set -u
NAME=train_mpi
. "$(dirname "$0")/cli_lib.sh"
BUILD=$(cd "$(dirname "$MTSI")" && pwd)
STATE=${TRAIN_STATE:-$BUILD/tests/train_state}
mpi_setup
cd "$T" || exit 1

"$MTSI" mcmc --m2 -4 --lambda 4.6 --L 4 --sampler cluster --n 200 --therm 100 --thin 2 \
    --seed 5 --out d.h5 >/dev/null || { echo "mcmc failed" >&2; exit 99; }
NET="--arch width=4,mult=1,blocks=1,groups=1 --batch 8 --lr 1e-3 --quiet"

# (1) one rank with batch 8 against two ranks with 4 samples each
OMP_NUM_THREADS=1 "$MTSI" train --data d.h5 --out one.h5 --steps 20 --seed 3 $NET ||
    bad "one-process run"
$MPI "$MTSI" train --data d.h5 --out two.h5 --steps 20 --seed 3 $NET 2>two.err ||
    bad "mpirun -np 2: $(cat two.err)"
if "$STATE" --diff one.h5 two.h5 >diff.txt; then
    awk '$1 == "max_abs_diff" { m = $2 } $1 == "rms_diff" { r = $2 }
         END { exit !(m + 0 < 1e-2 && r + 0 < 5e-4) }' diff.txt && ok ||
        bad "two ranks differ from one by more than the bound: $(cat diff.txt)"
else
    bad "cannot compare the models"
fi
"$STATE" two.h5 | grep -q "^train_step 20$" && ok || bad "two ranks did not train 20 steps"
# the same two-rank run again: bitwise the same state
$MPI "$MTSI" train --data d.h5 --out again.h5 --steps 20 --seed 3 $NET 2>/dev/null ||
    bad "second mpirun -np 2"
"$STATE" two.h5 >two.st && "$STATE" again.h5 >again.st && cmp -s two.st again.st && ok ||
    bad "two-rank training is not reproducible"

# (2) SIGTERM under two ranks, --resume under two ranks: the uninterrupted run
LONG="--data ../d.h5 --out k.h5 --steps 300 --log-every 10 --checkpoint-every 5 --seed 9 $NET"
mkdir ref term
(cd ref && $MPI "$MTSI" train $LONG 2>ref.err) || bad "reference two-rank run: $(cat ref/ref.err)"
"$STATE" ref/k.h5 >ref.st || bad "reference state"
cd term
term_when_written k.h5 $MPI "$MTSI" train $LONG
rc=$?
if "$STATE" k.h5 2>/dev/null | grep -q "^train_step 300$"; then
    echo "note: run finished before SIGTERM; resume path not exercised"
else
    [ $rc -ne 0 ] && ok || bad "SIGTERM: exit status 0"
    term_reported && ok ||
        bad "SIGTERM message: $(cat term.err)"
    $MPI "$MTSI" train --resume --out k.h5 2>resume.err || bad "resume after SIGTERM: $(cat resume.err)"
fi
"$STATE" k.h5 >../term.st
cd ..
cmp -s ref.st term.st && ok ||
    bad "SIGTERM + resume under two ranks differs from the uninterrupted run: $(diff ref.st term.st)"

# (3) the number of ranks is part of the checkpoint
cp two.h5 two.orig
expect_refusal "resume two ranks on one" "$MTSI" train --resume --out two.h5 --steps 30
grep -q "trained on 2 MPI ranks, resumed on 1" err && ok || bad "message: $(cat err)"
expect_refusal "resume one rank on two" $MPI "$MTSI" train --resume --out one.h5 --steps 30
grep -q "trained on 1 MPI rank, resumed on 2" err && ok || bad "message: $(cat err)"
cmp -s two.h5 two.orig && ok || bad "a refused resume modified the model"
expect_refusal "batch not divisible" $MPI "$MTSI" train --data d.h5 --out never.h5 --steps 5 \
    --arch width=4,mult=1,blocks=1,groups=1 --batch 7 --quiet
grep -q "not divisible by the 2 MPI ranks" err && ok || bad "message: $(cat err)"

finish
