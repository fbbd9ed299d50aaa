#!/bin/sh
# `mtsi stats`: values of the JSON summary on synthetic ensembles with known
# answers (written by tests/mkens), and malformed inputs: exit 2, exactly one
# line on stderr, no file touched. Run by `make check` with MTSI set to the
# built command; tests/mkens lives next to it in the build tree.
set -u

: "${MTSI:?MTSI must name the mtsi binary}"
BUILD=$(dirname "$MTSI")
MKENS=${MKENS:-$BUILD/tests/mkens}
T=$(mktemp -d "${TMPDIR:-/tmp}/mtsi-stats.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# Value of KEY ("mean", "err", "tau_int", "tau_int_err") of observable NAME in
# the JSON file $1 (mtsi prints one observable per line).
jget() {
    sed -n "s/^ *\"$2\": {.*\"$3\": \([^,}]*\).*/\1/p" "$1"
}
# Expected value KEY from an mkens answer file.
eget() {
    awk -v k="$2" '$1 == k { print $2 }' "$1"
}
# near A B TOL: |A - B| <= TOL
near() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

for m in obs data32 data64 noattr badshape badobs n1 badchain badkind nanobs; do
    "$MKENS" $m "$T/$m.h5" > "$T/$m.exp" || { echo "mkens $m failed" >&2; exit 99; }
done

# ---- values --------------------------------------------------------------
for ens in obs data32 data64; do
    out="$T/$ens.json"
    if ! "$MTSI" stats "$T/$ens.h5" --json > "$out" 2> "$T/$ens.err"; then
        fail "$ens: mtsi stats exited $?: $(cat "$T/$ens.err")"
        continue
    fi
    [ -s "$T/$ens.err" ] && fail "$ens: unexpected stderr: $(cat "$T/$ens.err")"
    grep -q '"n": '"$(eget "$T/$ens.exp" n)"',' "$out" || fail "$ens: wrong n"
    grep -q '"L": '"$(eget "$T/$ens.exp" L)"',' "$out" || fail "$ens: wrong L"
    grep -q '"n_chains": '"$(eget "$T/$ens.exp" n_chains)"',' "$out" || fail "$ens: wrong n_chains"
    grep -qi 'nan\|inf' "$out" && fail "$ens: NaN or Inf in the JSON"
    # Every SPEC section 5 key is present.
    for name in m abs_m m2 m4 energy binder chi xi2; do
        for key in mean err tau_int; do
            [ -n "$(jget "$out" $name $key)" ] || fail "$ens: $name.$key missing"
        done
    done
    # Means that are exact functions of the data: agree to rounding.
    for name in m abs_m m2 m4 energy binder chi; do
        v=$(jget "$out" $name mean)
        e=$(eget "$T/$ens.exp" $name)
        near "$v" "$e" 1e-12 || fail "$ens: $name mean $v, expected $e"
    done
    # Constant observables have exactly zero error and tau_int = 1/2.
    for name in abs_m m2 m4 binder chi; do
        [ "$(jget "$out" $name err)" = 0 ] || fail "$ens: $name err not 0"
        [ "$(jget "$out" $name tau_int)" = 0.5 ] || fail "$ens: $name tau_int not 0.5"
    done
    # m = +-1/2 with independent signs: the Gamma-method error equals the
    # naive standard error up to the noise of the few Gamma(t), t <= W,
    # it adds (relative ~ sqrt(W/N) <= 10% here); 25% tolerance.
    v=$(jget "$out" m err)
    e=$(eget "$T/$ens.exp" m_err)
    near "$v" "$e" "$(awk -v e="$e" 'BEGIN { print 0.25 * e }')" || fail "$ens: m err $v, naive $e"
done

# AR(1) energy (rho = 0.8, tau_int = 4.5) in 4 replica: tau_int within 3 of
# its own standard errors; the error of the mean within 20% of the exact
# asymptotic value (its own relative error is sqrt((W + 1/2)/N) ~ 5% at
# W ~ 20, N = 8000: 20% is 4 of those).
out="$T/obs.json"
tau=$(jget "$out" energy tau_int)
dtau=$(jget "$out" energy tau_int_err)
near "$tau" "$(eget "$T/obs.exp" energy_tau)" "$(awk -v d="$dtau" 'BEGIN { print 3 * d }')" \
    || fail "obs: energy tau_int $tau +- $dtau, exact $(eget "$T/obs.exp" energy_tau)"
v=$(jget "$out" energy err)
e=$(eget "$T/obs.exp" energy_err)
near "$v" "$e" "$(awk -v e="$e" 'BEGIN { print 0.2 * e }')" || fail "obs: energy err $v, exact $e"
# xi2 = (2 sin(pi/8))^-1 sqrt(5/1 - 1), derived through the propagation.
v=$(jget "$out" xi2 mean)
near "$v" "$(eget "$T/obs.exp" xi2)" 1e-12 || fail "obs: xi2 $v"
# Constant field configurations: ghat1 = 0, xi2 is null with a reason.
grep -q '"xi2": {"mean": null, "err": null, "tau_int": null' "$T/data32.json" \
    || fail "data32: xi2 should be null"
grep '"xi2"' "$T/data32.json" | grep -q '"note": "undefined' || fail "data32: xi2 reason missing"

# The table names the file and the couplings and has the eight rows.
if "$MTSI" stats "$T/obs.h5" > "$T/table" 2> "$T/table.err"; then
    grep -q "obs.h5" "$T/table" || fail "table: file name missing"
    grep -q "kappa = -8" "$T/table" || fail "table: couplings missing"
    grep -q "sampler synthetic" "$T/table" || fail "table: sampler missing"
    grep -q "N = 8000" "$T/table" || fail "table: N missing"
    for name in m abs_m m2 m4 energy binder chi xi2; do
        grep -q "^  $name " "$T/table" || fail "table: row $name missing"
    done
else
    fail "table: exit status $?"
fi
"$MTSI" stats "$T/data32.h5" | grep '^  xi2 ' | grep -q 'undefined' || fail "table: xi2 reason"
"$MTSI" stats --help > "$T/help" 2>&1 || fail "--help exit status"
grep -q '^usage: mtsi stats' "$T/help" || fail "--help text"

# ---- malformed input -----------------------------------------------------
echo "not an ensemble" > "$T/text.h5"
size=$(wc -c < "$T/obs.h5")
head -c 3000 "$T/obs.h5" > "$T/trunc_head.h5"
head -c $((size / 2)) "$T/obs.h5" > "$T/trunc_half.h5"
: > "$T/empty.h5"
mkdir "$T/dir.h5"
sums() { (cd "$T" && find . -type f ! -name '*.sum' ! -name '*.out' ! -name '*.stderr' \
    -exec cksum {} + | sort); }
sums > "$T/before.sum"

bad() { # bad NAME ARGS...: exit 2 and exactly one line on stderr
    name=$1; shift
    "$MTSI" stats "$@" > "$T/$name.out" 2> "$T/$name.stderr"
    rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2"
    n=$(wc -l < "$T/$name.stderr")
    [ "$n" -eq 1 ] || fail "$name: $n lines on stderr: $(cat "$T/$name.stderr")"
    [ -s "$T/$name.out" ] && fail "$name: output on stdout"
    grep -q "^mtsi stats: " "$T/$name.stderr" || fail "$name: message not prefixed"
}
bad missing "$T/nonexistent.h5" --json
bad text "$T/text.h5" --json
bad empty "$T/empty.h5"
bad dir "$T/dir.h5"
bad noattr "$T/noattr.h5" --json
bad trunc_head "$T/trunc_head.h5" --json
bad trunc_half "$T/trunc_half.h5" --json
bad badshape "$T/badshape.h5"
bad badobs "$T/badobs.h5"
bad n1 "$T/n1.h5"
bad badchain "$T/badchain.h5"
bad badkind "$T/badkind.h5"
bad nanobs "$T/nanobs.h5"
bad option --frobnicate "$T/obs.h5"
bad noargs
bad twofiles "$T/obs.h5" "$T/data32.h5"
bad stau --stau x "$T/obs.h5"
grep -q "not an HDF5 file" "$T/text.stderr" || fail "text: message $(cat "$T/text.stderr")"
grep -q "kind" "$T/noattr.stderr" || fail "noattr: message $(cat "$T/noattr.stderr")"
grep -q "nonexistent.h5" "$T/missing.stderr" || fail "missing: message does not name the file"
grep -q "m4" "$T/badobs.stderr" || fail "badobs: message does not name the dataset"

sums > "$T/after.sum"
cmp -s "$T/before.sum" "$T/after.sum" || fail "a file was modified: $(diff "$T/before.sum" "$T/after.sum")"
ls "$T" | grep -q '\.tmp-' && fail "temporary file left behind"

if [ $fails -ne 0 ]; then
    echo "stats_cli.sh: $fails failure(s)" >&2
    exit 1
fi
echo "stats_cli.sh: all checks passed"
exit 0
