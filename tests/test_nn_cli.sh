#!/bin/sh
# mtsi model: create, inspect, refuse to overwrite, and exit 2 with one
# line on stderr for every kind of bad model file.
set -u
: "${MTSI:?MTSI must point to the mtsi binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/mtsi_nn_cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

# expect_exit2 NAME ARGS...: exit status 2 and exactly one line on stderr
expect_exit2() {
    name=$1; shift
    "$MTSI" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    n=$(wc -l <"$T/err")
    if [ "$rc" -eq 2 ] && [ "$n" -eq 1 ]; then ok "$name: $(cat "$T/err")"
    else bad "$name: exit $rc, $n lines on stderr: $(cat "$T/err")"; fi
}

ARCH=width=8,mult=1-2,groups=4,odd=1
"$MTSI" model --init --arch "$ARCH" --seed 3 --lr 1e-3 --schedule cosine --total 100 \
    --out "$T/m.h5" && ok "init" || bad "init"
"$MTSI" model "$T/m.h5" >"$T/info" && ok "info" || bad "info"
grep -q "^architecture: in=1,out=1,width=8,mult=1-2,blocks=1,k=3x3,pad=circular,groups=4,cond=0,odd=1$" "$T/info" \
    && ok "architecture printed" || bad "architecture printed: $(cat "$T/info")"
grep -q "^parameters: [1-9][0-9]*$" "$T/info" && ok "parameter count" || bad "parameter count"
grep -q "^step: 0$" "$T/info" && ok "step" || bad "step"
grep -q "schedule=cosine" "$T/info" && ok "optimiser settings" || bad "optimiser settings"
"$MTSI" model "$T/m.h5" --expect-arch "$ARCH" >/dev/null && ok "expect-arch match" || bad "expect-arch match"
"$MTSI" model --help >/dev/null && ok "--help" || bad "--help"

expect_exit2 "overwrite refused" model --init --arch "$ARCH" --out "$T/m.h5"
"$MTSI" model --init --arch "$ARCH" --seed 4 --out "$T/m.h5" --force && ok "--force" || bad "--force"
expect_exit2 "other architecture" model "$T/m.h5" --expect-arch width=16,mult=1-2,groups=4
expect_exit2 "bad arch" model --init --arch width=0 --out "$T/x.h5"
expect_exit2 "bad option" model "$T/m.h5" --frobnicate
expect_exit2 "missing file" model "$T/none.h5"
echo "not hdf5" >"$T/text.h5"
expect_exit2 "not HDF5" model "$T/text.h5"
size=$(wc -c <"$T/m.h5")
head -c $((size / 2)) "$T/m.h5" >"$T/trunc.h5"
expect_exit2 "truncated" model "$T/trunc.h5"
# Corrupt: overwrite 64 bytes at 3/4 of the file (inside the arrays).
cp "$T/m.h5" "$T/corrupt.h5"
printf '%064d' 0 | dd of="$T/corrupt.h5" bs=1 seek=$((size * 3 / 4)) conv=notrunc 2>/dev/null
expect_exit2 "corrupt" model "$T/corrupt.h5"
"$MTSI" model --init --arch "$ARCH" --no-optimizer --out "$T/w.h5" && ok "weights only" || bad "weights only"
"$MTSI" model "$T/w.h5" | grep -q "optimizer: none" && ok "weights-only info" || bad "weights-only info"
exit $fail
