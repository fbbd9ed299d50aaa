#!/bin/sh
# mtsi train from the command line: bad input is refused with one line on
# stderr and exit 2 and touches no file; a small run on an MCMC ensemble
# writes a model that `mtsi model` reads; a run stopped by SIGTERM or
# killed with SIGKILL resumes to the same state as an uninterrupted one
# (compared by tests/train_state, which digests weights, Adam moments, RNG,
# data order and history).
set -u
NAME=train_cli
. "$(dirname "$0")/cli_lib.sh"
BUILD=$(cd "$(dirname "$MTSI")" && pwd)
STATE=${TRAIN_STATE:-$BUILD/tests/train_state}
MKENS=${MKENS:-$BUILD/tests/mkens}

cd "$T" || exit 1
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 8 --sampler cluster --chains 2 --n 300 --therm 100 \
    --thin 2 --seed 5 --out d.h5 || { echo "mcmc failed" >&2; exit 99; }
cp d.h5 d.orig

NET="--arch width=8,mult=1-2,groups=4 --batch 8 --ema 0.9 --quiet"
expect_refusal "missing data" "$MTSI" train --data none.h5 --out m.h5 $NET
echo "just text" >text.h5
expect_refusal "text file as data" "$MTSI" train --data text.h5 --out m.h5 $NET
expect_refusal "no --data" "$MTSI" train --out m.h5 $NET
expect_refusal "no --out" "$MTSI" train --data d.h5 $NET
expect_refusal "bad --nu key" "$MTSI" train --data d.h5 --out m.h5 --nu scalar=1,foo=2 $NET
expect_refusal "bad --nu weight" "$MTSI" train --data d.h5 --out m.h5 --nu scalar=-1 $NET
expect_refusal "zero --nu" "$MTSI" train --data d.h5 --out m.h5 --nu scalar=0 $NET
expect_refusal "bad --lr" "$MTSI" train --data d.h5 --out m.h5 --lr abc $NET
expect_refusal "zero --steps" "$MTSI" train --data d.h5 --out m.h5 --steps 0 $NET
expect_refusal "bad --schedule" "$MTSI" train --data d.h5 --out m.h5 --schedule linear $NET
expect_refusal "bad --val-frac" "$MTSI" train --data d.h5 --out m.h5 --val-frac 1.5 $NET
expect_refusal "bad --arch" "$MTSI" train --data d.h5 --out m.h5 --arch width=0
expect_refusal "groups not dividing" "$MTSI" train --data d.h5 --out m.h5 \
    --arch width=8,mult=1-2,groups=3
expect_refusal "unknown option" "$MTSI" train --data d.h5 --out m.h5 --bogus
expect_refusal "bad --base" "$MTSI" train --data d.h5 --out m.h5 --base linear $NET
expect_refusal "negative --zero-weight" "$MTSI" train --data d.h5 --out m.h5 --zero-weight -1 $NET
expect_refusal "NaN --zero-weight" "$MTSI" train --data d.h5 --out m.h5 --zero-weight nan $NET
expect_refusal "--alpha-weight above 2" "$MTSI" train --data d.h5 --out m.h5 --alpha-weight 2.5 $NET
expect_refusal "NaN --alpha-weight" "$MTSI" train --data d.h5 --out m.h5 --alpha-weight nan $NET
expect_refusal "negative gvar" "$MTSI" train --data d.h5 --out m.h5 \
    --arch width=8,mult=1-2,groups=4,base=gauss,gvar=-1
expect_refusal "gmean on an odd network" "$MTSI" train --data d.h5 --out m.h5 \
    --arch width=8,mult=1-2,groups=4,base=gauss,gvar=1,gmean=0.5
expect_refusal "resume a missing file" "$MTSI" train --resume --out none.h5
expect_refusal "resume an ensemble" "$MTSI" train --resume --out d.h5
expect_refusal "resume and force" "$MTSI" train --resume --force --out d.h5
[ -e m.h5 ] && bad "a refused run left m.h5 behind"
ls ./*.tmp-* >/dev/null 2>&1 && bad "a refused run left a temporary file"
cmp -s d.h5 d.orig && ok || bad "the data file was modified"

# An existing output is kept unless --force, byte for byte.
echo "precious" >keep.h5
expect_refusal "existing output" "$MTSI" train --data d.h5 --out keep.h5 --steps 2 $NET
[ "$(cat keep.h5)" = "precious" ] && ok || bad "existing output was modified"

"$MTSI" train --help | grep -q "usage: mtsi train" && ok || bad "train --help"

# A small run: a model `mtsi model` reads, with the history of every 5 steps.
"$MTSI" train --data d.h5 --out m.h5 --steps 20 --log-every 5 $NET 2>err || bad "small run: $(cat err)"
"$MTSI" model m.h5 >info 2>&1 && grep -q "step: 20" info && ok || bad "mtsi model: $(cat info)"
"$STATE" m.h5 >st && grep -q "^train_step 20$" st && ok || bad "train_state: $(cat st)"
"$MTSI" train --data d.h5 --out m.h5 --steps 20 --log-every 5 --force $NET || bad "--force"
cp m.h5 m.orig
# the default schedule: a cosine over the run's --steps; a resume with more
# steps moves the decay's end (else the rest would run at --lr-min)
grep -q "schedule=cosine .*total=20 " info && ok || bad "default schedule: $(cat info)"
cp m.h5 re.h5
"$MTSI" train --resume --out re.h5 --steps 30 --quiet && "$MTSI" model re.h5 >re.info &&
    grep -q "step: 30" re.info && grep -q "schedule=cosine .*total=30 " re.info && ok ||
    bad "cosine resume to 30 steps: $(cat re.info)"
"$MTSI" train --data d.h5 --out c.h5 --steps 20 --schedule constant $NET &&
    "$MTSI" model c.h5 | grep -q "schedule=constant" && ok || bad "--schedule constant"
expect_refusal "resume a finished run" "$MTSI" train --resume --out m.h5
expect_refusal "resume with another batch" "$MTSI" train --resume --out m.h5 --steps 40 --batch 4
expect_refusal "resume with another lr" "$MTSI" train --resume --out m.h5 --steps 40 --lr 0.1
expect_refusal "resume with another base" "$MTSI" train --resume --out m.h5 --steps 40 --base none
expect_refusal "resume with another zero weight" "$MTSI" train --resume --out m.h5 --steps 40 \
    --zero-weight 3
# the zero-mode weight changes the steps, is kept by the checkpoint and resumes
"$MTSI" train --data d.h5 --out zw.h5 --steps 10 --log-every 5 --zero-weight 15 $NET &&
    "$MTSI" train --data d.h5 --out zw0.h5 --steps 10 --log-every 5 $NET &&
    "$STATE" zw.h5 >zw.st && "$STATE" zw0.h5 >zw0.st &&
    [ "$(grep model_checksum zw.st)" != "$(grep model_checksum zw0.st)" ] && ok ||
    bad "--zero-weight 15 ran as 0"
"$MTSI" train --data d.h5 --out zw2.h5 --steps 5 --log-every 5 --zero-weight 15 $NET &&
    "$MTSI" train --resume --out zw2.h5 --steps 10 --quiet && "$STATE" zw2.h5 >zw2.st &&
    cmp -s zw.st zw2.st && ok || bad "--zero-weight: resume differs: $(diff zw.st zw2.st)"
# the alpha weight likewise
"$MTSI" train --data d.h5 --out aw.h5 --steps 10 --log-every 5 --alpha-weight -1 $NET &&
    "$STATE" aw.h5 >aw.st && [ "$(grep model_checksum aw.st)" != "$(grep model_checksum zw0.st)" ] &&
    ok || bad "--alpha-weight -1 ran as 0"
expect_refusal "resume with another alpha weight" "$MTSI" train --resume --out aw.h5 --steps 20 \
    --alpha-weight 1
"$MTSI" train --data d.h5 --out aw2.h5 --steps 5 --log-every 5 --alpha-weight -1 $NET &&
    "$MTSI" train --resume --out aw2.h5 --steps 10 --quiet && "$STATE" aw2.h5 >aw2.st &&
    cmp -s aw.st aw2.st && ok || bad "--alpha-weight: resume differs: $(diff aw.st aw2.st)"
rm -f zw.h5 zw0.h5 zw2.h5 aw.h5 aw2.h5
# the default base: the second moment of the training values (phi^4 is odd)
gv=$(sed -n 's/^architecture: .*,odd=1,base=gauss,gmean=0,gvar=\([0-9.e+-]*\)$/\1/p' info)
[ -n "$gv" ] && awk -v v="$gv" 'BEGIN { exit !(v > 0.05 && v < 5) }' && ok ||
    bad "no Gaussian base (gvar '$gv') in: $(grep architecture info)"
# --base gauss-zero adds the zero mode's variance (d.h5 is magnetised near the
# transition: positive), kept on resume, another base refused
"$MTSI" train --data d.h5 --out gz.h5 --steps 4 --log-every 2 --base gauss-zero $NET &&
    "$MTSI" model gz.h5 >gzinfo 2>&1 && gz=$(sed -n 's/^architecture: .*,base=gauss,gmean=0,gvar=[0-9.e+-]*,gzero=\([0-9.e+-]*\)$/\1/p' gzinfo) &&
    [ -n "$gz" ] && awk -v c="$gz" 'BEGIN { exit !(c > 0) }' && ok ||
    bad "--base gauss-zero: no gzero in $(grep architecture gzinfo)"
# data whose grid means never vary (a checkerboard): nothing for the zero
# mode's term to carry, refused rather than stored as a plain gauss base
"$MKENS" stagger st.h5 >/dev/null || bad "mkens stagger"
expect_refusal "gauss-zero without zero-mode variance" "$MTSI" train --data st.h5 --out st-m.h5 \
    --steps 2 --base gauss-zero $NET
grep -q "'st.h5' vary no more than independent values" err && ok ||
    bad "gauss-zero refusal names the data: $(cat err)"
[ -e st-m.h5 ] && bad "a refused gauss-zero run left st-m.h5"
expect_refusal "resume gauss-zero with gauss" "$MTSI" train --resume --out gz.h5 --steps 6 --base gauss
"$MTSI" train --resume --out gz.h5 --steps 6 --base gauss-zero --quiet && "$MTSI" model gz.h5 |
    grep -q "step: 6" && ok || bad "resume with --base gauss-zero"
rm -f gz.h5
"$MTSI" train --data d.h5 --out none.h5 --steps 2 --base none $NET && "$MTSI" model none.h5 |
    grep -q "^architecture: .*odd=1$" && ok || bad "--base none still has a base"
rm -f none.h5
# --tilt with --data: recorded, cut + resume is the uninterrupted run, it
# changes the training, and bad tilts are refused without a file
TD="--data d.h5 --tilt h=0.05 --log-every 5 --seed 3 $NET"
"$MTSI" train $TD --out td.h5 --steps 20 && "$MTSI" train $TD --out tc.h5 --steps 10 &&
    "$MTSI" train --resume --out tc.h5 --steps 20 --quiet || bad "tilted ensemble runs"
"$STATE" td.h5 >td.st && "$STATE" tc.h5 >tc.st && cmp -s td.st tc.st && ok ||
    bad "tilted ensemble: 10 + resumed 10 steps differ from 20"
"$MTSI" train --data d.h5 --out tu.h5 --steps 20 --log-every 5 --seed 3 --tilt none $NET &&
    "$STATE" tu.h5 >tu.st && ! cmp -s tu.st td.st && ok || bad "--tilt changes nothing"
"$MTSI" model td.h5 >tdinfo 2>&1
grep -q "^tilt: a fraction 0.5 of the samples from the ensemble reweighted by e^{h sum x}, fields in \[-0.05, 0.05\]$" \
    tdinfo && ok || bad "tilt provenance: $(cat tdinfo)"
expect_refusal "--tilt A= with --data" "$MTSI" train --data d.h5 --out never.h5 --tilt h=0.1,A=-1 $NET
grep -q -- "--tilt A=-1 needs --stream-mcmc" err && ok || bad "message: $(cat err)"
expect_refusal "--tilt too strong for the ensemble" "$MTSI" train --data d.h5 --out never.h5 \
    --tilt h=5 $NET
grep -q -- "--tilt h=5: reweighted by e^{h sum x}, 'd.h5' keeps an effective" err && ok ||
    bad "message: $(cat err)"
expect_refusal "--tilt with --standardize" "$MTSI" train --data d.h5 --out never.h5 --tilt h=0.1 \
    --standardize channel $NET
cp td.h5 td.orig
expect_refusal "resume with another --tilt" "$MTSI" train --resume --out td.h5 --steps 30 --tilt h=0.3
grep -q -- "--tilt h=0.3,A=0,frac=0.5 differs from the checkpoint's h=0.05,A=0,frac=0.5" err && ok ||
    bad "message: $(cat err)"
cmp -s td.h5 td.orig && ok || bad "a refused resume modified the tilted model"
# the default tilt of a phi^4 ensemble: the rule's field (mtsi_train_tilt_auto_h,
# test_train), halved until 100 effective configurations remain: here the
# doubled field is refused for fewer than 100. Said on stdout, recorded as
# an explicit tilt, resumed bitwise; --tilt none turns it off.
LOUD="--arch width=8,mult=1-2,groups=4 --batch 8 --ema 0.9 --log-every 5 --seed 3"
"$MTSI" train --data d.h5 --out ta.h5 --steps 20 $LOUD >taout 2>&1 || bad "default tilt runs"
HA=$(sed -n 's/^train: tilt h=\([0-9.e-]*\),frac=0.5 (automatic: 5.7 \/ (V m_rms); \([0-9]*\) effective.*/\1 \2/p' taout)
[ -n "$HA" ] && [ "${HA#* }" -ge 100 ] && ok || bad "default tilt line: $(cat taout)"
HA=${HA% *}
"$MTSI" model ta.h5 | grep -q "^tilt: a fraction 0.5 .* fields in \[-$HA[0-9]*, $HA[0-9]*\]$" && ok ||
    bad "default tilt h=$HA not in the model: $("$MTSI" model ta.h5 | grep tilt)"
H2=$(awk "BEGIN { printf \"%.6g\", 2 * $HA }")
expect_refusal "twice the default tilt" "$MTSI" train --data d.h5 --out never.h5 --tilt h=$H2 $NET
grep -q "fewer than 100" err && ok || bad "message: $(cat err)"
"$MTSI" train --data d.h5 --out tb.h5 --steps 10 $LOUD --quiet &&
    "$MTSI" train --resume --out tb.h5 --steps 20 --quiet || bad "default tilt, cut"
"$STATE" ta.h5 >ta.st && "$STATE" tb.h5 >tb.st && cmp -s ta.st tb.st && ok ||
    bad "default tilt: 10 + resumed 10 steps differ from 20"
"$MTSI" train --data d.h5 --out tn.h5 --steps 20 $LOUD --tilt none >tnout 2>&1 &&
    ! grep -q tilt tnout && ! "$MTSI" model tn.h5 | grep -q "^tilt" && "$STATE" tn.h5 >tn.st &&
    ! cmp -s tn.st ta.st && ok || bad "--tilt none"
"$MTSI" train --data d.h5 --out tf.h5 --steps 2 $LOUD --tilt auto,frac=0.25 |
    grep -q "^train: tilt h=$HA,frac=0.25 (automatic" && ok || bad "--tilt auto,frac=0.25"
expect_refusal "--tilt auto with h" "$MTSI" train --data d.h5 --out never.h5 --tilt auto,h=0.1 $NET
grep -q -- "--tilt: auto chooses h from the data" err && ok || bad "message: $(cat err)"
cp tn.h5 tn.orig
expect_refusal "resume untilted with --tilt auto" "$MTSI" train --resume --out tn.h5 --steps 30 \
    --tilt auto
grep -q -- "differs from the checkpoint's h=0,A=0,frac=0" err && ok || bad "message: $(cat err)"
cmp -s tn.h5 tn.orig && ok || bad "a refused resume modified the untilted model"
# too few configurations to tilt: trained untilted, and said
"$MTSI" mcmc --m2 -4 --lambda 4.7 --L 8 --sampler cluster --chains 2 --n 60 --therm 100 \
    --thin 2 --seed 5 --out small.h5 >/dev/null && "$MTSI" train --data small.h5 --out ts.h5 \
    --steps 2 $LOUD >tsout && grep -q "^train: no tilt: 'small.h5' has too few configurations (54)" \
    tsout && ! "$MTSI" model ts.h5 | grep -q "^tilt" && ok || bad "small ensemble: $(cat tsout)"
rm -f td.h5 td.orig tc.h5 tu.h5 ta.h5 tb.h5 tn.h5 tn.orig tf.h5 ts.h5 small.h5
cmp -s m.h5 m.orig && ok || bad "a refused resume modified the model"
# extending a finished run to 40 steps works
"$MTSI" train --resume --out m.h5 --steps 40 --quiet && "$STATE" m.h5 | grep -q "^train_step 40$" &&
    ok || bad "extending a finished run"

# SIGTERM and SIGKILL, then --resume: the same state as one run.
LONG="--data d.h5 --out k.h5 --steps 150 --log-every 10 --checkpoint-every 5 --seed 9 $NET"
mkdir ref term kill9
cp d.h5 ref/ && cp d.h5 term/ && cp d.h5 kill9/
(cd ref && "$MTSI" train $LONG) || bad "reference run"
"$STATE" ref/k.h5 >ref.st || bad "reference state"

cd term
term_when_written k.h5 "$MTSI" train $LONG
rc=$?
if "$STATE" k.h5 2>/dev/null | grep -q "^train_step 150$"; then
    echo "note: run finished before SIGTERM; resume path not exercised"
else
    [ $rc -eq 130 ] && ok || bad "SIGTERM exit status $rc, expected 130"
    term_reported && ok ||
        bad "SIGTERM message: $(cat term.err)"
    # a second start without --resume must not clobber the interrupted run
    expect_refusal "restart over checkpoint" "$MTSI" train $LONG
    "$MTSI" train --resume --out k.h5 --quiet || bad "resume after SIGTERM"
fi
"$STATE" k.h5 >../term.st
cd ..
cmp -s ref.st term.st && ok || bad "SIGTERM + resume differs from the uninterrupted run: $(diff ref.st term.st)"

cd kill9
"$MTSI" train $LONG 2>/dev/null &
pid=$!
i=0
while [ ! -e k.h5 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if "$STATE" k.h5 2>/dev/null | grep -q "^train_step 150$"; then
    echo "note: run finished before kill -9; resume path not exercised"
else
    "$STATE" k.h5 >/dev/null && ok || bad "no readable checkpoint after kill -9"
    "$MTSI" train --resume --out k.h5 --quiet || bad "resume after kill -9"
fi
rm -f k.h5.tmp-*
"$STATE" k.h5 >../kill9.st
cd ..
cmp -s ref.st kill9.st && ok || bad "kill -9 + resume differs from the uninterrupted run: $(diff ref.st kill9.st)"

finish
