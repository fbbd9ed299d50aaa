#!/bin/sh
# mtsi mcmc from the command line: bad input is refused with one line on
# stderr and exit 2 and touches no file; runs are reproducible; a run killed
# with SIGKILL or stopped with SIGTERM resumes to bitwise the same file.
set -u
NAME=mcmc_cli
. "$(dirname "$0")/cli_lib.sh"

C="--m2 -4 --lambda 4.7"
cd "$T" || exit 1

expect_refusal "negative L" "$MTSI" mcmc $C --L -4 --n 10 --out x.h5
expect_refusal "zero n" "$MTSI" mcmc $C --n 0 --out x.h5
expect_refusal "unstable free field" "$MTSI" mcmc --chi 1 --kappa -0.5 --gamma 0 --n 10 --out x.h5
expect_refusal "negative quartic" "$MTSI" mcmc --m2 1 --lambda -1 --n 10 --out x.h5
expect_refusal "unknown sampler" "$MTSI" mcmc $C --sampler metropolis --n 10 --out x.h5
expect_refusal "not a number" "$MTSI" mcmc --m2 abc --lambda 4.7 --n 10 --out x.h5
expect_refusal "mixed conventions" "$MTSI" mcmc $C --kappa 1 --n 10 --out x.h5
expect_refusal "unknown option" "$MTSI" mcmc $C --n 10 --out x.h5 --bogus
expect_refusal "missing --out" "$MTSI" mcmc $C --n 10
expect_refusal "bad dim" "$MTSI" mcmc $C --dim 4 --n 10 --out x.h5
expect_refusal "unwritable path" "$MTSI" mcmc $C --n 10 --out "$T/no/such/dir/x.h5"
expect_refusal "bad dt" "$MTSI" mcmc $C --sampler langevin --dt 3 --n 10 --out x.h5
[ -e x.h5 ] && bad "a refused run left x.h5 behind"

# An existing output is kept unless --force, byte for byte.
echo "precious" >keep.h5
expect_refusal "existing output" "$MTSI" mcmc $C --L 4 --n 5 --out keep.h5
[ "$(cat keep.h5)" = "precious" ] && ok || bad "existing output was modified"

# --resume with no checkpoint, and with a file that is not a checkpoint.
expect_refusal "resume without checkpoint" "$MTSI" mcmc --resume --out none.h5
echo "not hdf5" >junk.h5.ckpt
expect_refusal "resume from junk" "$MTSI" mcmc --resume --out junk.h5
[ "$(cat junk.h5.ckpt)" = "not hdf5" ] && ok || bad "junk checkpoint was modified"
expect_refusal "resume with settings" "$MTSI" mcmc --resume --out junk.h5 --L 8

# --help works for the command.
"$MTSI" mcmc --help | grep -q "usage: mtsi mcmc" && ok || bad "mcmc --help"

# Reproducible: the same seed gives the same file, whatever the thread count.
RUN="mcmc $C --L 8 --n 40 --chains 3 --therm 50 --thin 2 --seed 7 --out r.h5"
mkdir a b
(cd a && OMP_NUM_THREADS=1 "$MTSI" $RUN) || bad "run a"
(cd b && OMP_NUM_THREADS=2 "$MTSI" $RUN) || bad "run b"
cmp -s a/r.h5 b/r.h5 && ok || bad "same seed, different output"

# Every sampler runs end to end and writes an ensemble mtsi stats reads.
for s in langevin langevin-exp mala hmc fahmc cluster; do
    "$MTSI" mcmc $C --L 4 --n 20 --therm 20 --thin 1 --sampler $s --out s_$s.h5 2>err_$s &&
        "$MTSI" stats s_$s.h5 --json >s_$s.json 2>>err_$s && grep -q '"binder"' s_$s.json &&
        ok || bad "sampler $s: $(cat err_$s)"
done

# kill -9 in the middle, then --resume: bitwise identical to one run.
LONG="mcmc $C --L 16 --n 300 --chains 2 --therm 200 --thin 40 --seed 11 --checkpoint-every 0 --out k.h5"
mkdir ref kill term
(cd ref && "$MTSI" $LONG) || bad "reference run"
cd kill
"$MTSI" $LONG 2>/dev/null &
pid=$!
i=0
while [ ! -e k.h5.ckpt ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -e k.h5 ]; then
    echo "note: run finished before kill -9 (machine too fast); resume path not exercised"
else
    [ -e k.h5.ckpt ] && ok || bad "no checkpoint after kill -9"
    "$MTSI" mcmc --resume --out k.h5 || bad "resume after kill -9"
fi
cmp -s k.h5 ../ref/k.h5 && ok || bad "kill -9 + resume differs from the uninterrupted run"
[ -e k.h5.ckpt ] || [ -e k.h5.part ] && bad "checkpoint files left after completion"
cd ..

# SIGTERM: exit 130 with a checkpoint, then resume to the same file.
cd term
"$MTSI" $LONG 2>term.err &
pid=$!
i=0
while [ ! -e k.h5.ckpt ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if [ -e k.h5 ]; then
    echo "note: run finished before SIGTERM; resume path not exercised"
else
    [ $rc -eq 130 ] && ok || bad "SIGTERM exit status $rc, expected 130"
    grep -q "checkpoint written" term.err && ok || bad "SIGTERM message: $(cat term.err)"
    # a second start without --resume must not clobber the interrupted run
    expect_refusal "restart over checkpoint" "$MTSI" $LONG
    "$MTSI" mcmc --resume --out k.h5 || bad "resume after SIGTERM"
fi
cmp -s k.h5 ../ref/k.h5 && ok || bad "SIGTERM + resume differs from the uninterrupted run"
cd ..

finish
