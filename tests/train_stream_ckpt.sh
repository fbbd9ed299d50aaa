#!/bin/sh
# mtsi train --stream-mcmc --resume refuses a corrupt checkpoint with one
# line and exit status 2: tests/fuzz_gen mutates every attribute of the
# stream (source, stream_*, the tilt's stream_tilt_*, val_n), zero_weight,
# alpha_weight, the data_tilt_* of an ensemble run with --tilt
# and every dataset of /train/chains (fields, rng, state_d, state_l:
# retyped, grown, rank dropped, huge, NaN, emptied, removed) and its
# checksum; each mutant fuzz_gen marks "must" is resumed and must be
# refused, while the intact file resumes.
set -u
NAME=train_stream_ckpt
. "$(dirname "$0")/cli_lib.sh"
BUILD=$(cd "$(dirname "$MTSI")" && pwd)
STATE=${TRAIN_STATE:-$BUILD/tests/train_state}
# one thread: every comparison below is bitwise for a fixed thread count
OMP_NUM_THREADS=1
export OMP_NUM_THREADS
cd "$T" || exit 1
NET="--arch width=8,mult=1-2,groups=4 --batch 8 --ema 0.9 --quiet"
S="--stream-mcmc --m2 -4 --lambda 4.7 --L 8 --stream-chains 6 --stream-therm 50 --val-n 16
   --stream-tilt h=0.1,A=-0.5,frac=0.5 --zero-weight 1 --alpha-weight 0.5"
GEN=$BUILD/tests/fuzz_gen
"$MTSI" train $S --out k.h5 --steps 10 --log-every 5 --seed 9 $NET || bad "stream run"
cp k.h5 base.h5
"$MTSI" train --resume --out base.h5 --steps 12 --quiet && ok || bad "resuming the intact file"
mkdir fz
"$GEN" k.h5 fz m fields:D rng:D state_d:D state_l:D chains_checksum:s stream_L:i \
    stream_chains:i stream_thin:i stream_therm:i val_n:i stream_m2:d stream_lambda:d source:s \
    stream_sampler:s stream_tilt_h:d stream_tilt_a:d stream_tilt_frac:d zero_weight:d alpha_weight:d \
    >fz/list || bad "fuzz_gen"
# zero_weight or alpha_weight deleted reads as 0, as in files that predate
# them: not refusable
sed -i 's/ must \(attr \/train@\(zero\|alpha\)_weight del\)$/ ok \1/' fz/list
# refuse_all DIR PATTERN: every variant in DIR/list whose description
# matches PATTERN and must be refused is: exit 2, one line on stderr,
# nothing on stdout; failures in DIR/fails
refuse_all() {
    grep -E "$2" "$1/list" | while read -r f expect desc; do
        [ "$expect" = must ] || continue
        "$MTSI" train --resume --out "$f" --steps 12 --quiet >"$1/out" 2>"$1/err"
        rc=$?
        if [ $rc -ne 2 ] || [ "$(wc -l <"$1/err")" -ne 1 ] || [ -s "$1/out" ]; then
            echo "FAIL: corrupt checkpoint ($desc) not refused: exit $rc, $(cat "$1/err")"
        fi
    done >"$1/fails"
}
refuse_all fz "train/chains|@stream_|@source |@val_n |@(zero|alpha)_weight "
n=$(grep -cE "must .*(train/chains|@stream_|@source |@val_n |@(zero|alpha)_weight )" fz/list)
echo "$n corrupt checkpoints"
[ "$n" -ge 80 ] && ok || bad "only $n corruptions generated"
[ -s fz/fails ] && bad "$(cat fz/fails)" || ok

# an ensemble run with --tilt: its data_tilt_* attributes, mutated the same way
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 8 --sampler cluster --chains 2 --n 200 --therm 50 \
    --thin 2 --seed 5 --out d.h5 >/dev/null || bad "mcmc for the tilted ensemble"
"$MTSI" train --data d.h5 --tilt h=0.02 --out e.h5 --steps 10 --log-every 5 --seed 9 $NET ||
    bad "tilted ensemble run"
cp e.h5 ebase.h5
"$MTSI" train --resume --out ebase.h5 --steps 12 --quiet && ok || bad "resuming the intact tilted file"
mkdir fe
"$GEN" e.h5 fe m data_tilt_h:d data_tilt_frac:d >fe/list || bad "fuzz_gen (data tilt)"
refuse_all fe "@data_tilt_"
n=$(grep -c "must .*@data_tilt_" fe/list)
echo "$n corrupt tilted-ensemble checkpoints"
[ "$n" -ge 8 ] && ok || bad "only $n data-tilt corruptions generated"
[ -s fe/fails ] && bad "$(cat fe/fails)" || ok
finish
