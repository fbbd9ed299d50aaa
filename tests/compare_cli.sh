#!/bin/sh
# `mtsi compare`: small free-field MCMC ensembles (L = 8, chi = 1, gamma = 0)
# with fixed seeds. Two seeds at the same coupling must agree (every |z|
# below 4, KS p > 0.01); kappa = 0.5 against kappa = 0.2 must not
# (<M^2> = 1/(kappa V) differs by a factor 2.5, ~ 10 standard errors at
# N = 2000), nor a run with a field that shifts <M> (KS p < 0.01). The
# JSON keys of SPEC section 5, the table, the figure (PNG: signature, IHDR
# size, IEND; PDF and SVG: headers, file(1) and pdfinfo(1)), and refusals: exit 2, one line on stderr, nothing on stdout,
# no figure written. Run by `make check` with MTSI set.
set -u

: "${MTSI:?MTSI must name the mtsi binary}"
BUILD=$(dirname "$MTSI")
MKENS=${MKENS:-$BUILD/tests/mkens}
T=$(mktemp -d "${TMPDIR:-/tmp}/mtsi-compare.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# Value of KEY of observable NAME in compare's JSON (one observable per line).
jobs_get() {
    sed -n "s/^ *\"$2\": {.*\"$3\": \([^,}]*\).*/\1/p" "$1"
}
# Value of a key that appears once in the file ("stat", "p", "w1_m", ...).
jget() {
    sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" "$1" | head -n 1
}
# lt A B: A < B as numbers
lt() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}
abs() {
    awk -v a="$1" 'BEGIN { print (a < 0 ? -a : a) }'
}

run_mcmc() { # OUT KAPPA SEED [extra options]
    out=$1 kappa=$2 seed=$3
    shift 3
    "$MTSI" mcmc --chi 1 --kappa "$kappa" --gamma 0 --L 8 --n 2000 --therm 200 --thin 2 \
        --seed "$seed" --threads 1 "$@" --out "$T/$out" > /dev/null 2> "$T/$out.log" ||
        { echo "mtsi mcmc $out failed: $(cat "$T/$out.log")" >&2; exit 99; }
}
run_mcmc a.h5 0.5 11
run_mcmc b.h5 0.5 12
run_mcmc c.h5 0.2 13
run_mcmc h.h5 0.5 16 --field 0.1
run_mcmc l6.h5 0.5 14 --L 6
run_mcmc d1.h5 0.5 15 --dim 1
"$MKENS" data32 "$T/data32.h5" > /dev/null || { echo "mkens failed" >&2; exit 99; }
"$MKENS" obs "$T/obs.h5" > /dev/null || exit 99
"$MKENS" noattr "$T/noattr.h5" > /dev/null || exit 99

# ---- same law: small z, KS p not tiny --------------------------------------
out="$T/ab.json"
if "$MTSI" compare "$T/a.h5" "$T/b.h5" --json > "$out" 2> "$T/ab.err"; then
    [ -s "$T/ab.err" ] && fail "ab: unexpected stderr: $(cat "$T/ab.err")"
    for name in m abs_m m2 m4 energy binder chi xi2; do
        for key in a a_err b b_err z; do
            v=$(jobs_get "$out" $name $key)
            [ -n "$v" ] || fail "ab: $name.$key missing"
            [ "$v" = null ] && fail "ab: $name.$key is null"
        done
        z=$(jobs_get "$out" $name z)
        lt "$(abs "$z")" 4 || fail "ab: |z| of $name = $z, expected < 4 for equal laws"
    done
    grep -q '"ks_m": {"stat": ' "$out" || fail "ab: ks_m.stat missing"
    p=$(jget "$out" p)
    d=$(jget "$out" stat)
    lt 0.01 "$p" || fail "ab: KS p = $p (D = $d), expected > 0.01 for equal laws"
    lt "$d" 1 || fail "ab: KS D = $d"
    w1=$(jget "$out" w1_m)
    [ -n "$w1" ] && lt "$w1" 0.05 || fail "ab: W1 = $w1, expected < 0.05 (|M| ~ 0.14)"
    mz=$(jget "$out" max_abs_z)
    [ -n "$mz" ] && lt "$mz" 4 || fail "ab: max_abs_z = $mz"
    grep -q '"a_file": ".*a.h5"' "$out" || fail "ab: a_file"
    grep -q '"n_a": 2000' "$out" || fail "ab: n_a"
    grep -qi 'nan\|inf' "$out" && fail "ab: NaN or Inf in the JSON"
    # Braces balance (one object).
    o=$(tr -cd '{' < "$out" | wc -c)
    c=$(tr -cd '}' < "$out" | wc -c)
    [ "$o" -eq "$c" ] || fail "ab: unbalanced braces"
else
    fail "ab: exit status $?: $(cat "$T/ab.err")"
fi

# ---- different couplings: large z ----------------------------------------
out="$T/ac.json"
if "$MTSI" compare "$T/a.h5" "$T/c.h5" --json > "$out" 2> "$T/ac.err"; then
    mz=$(jget "$out" max_abs_z)
    lt 5 "$mz" || fail "ac: max_abs_z = $mz, expected > 5 for kappa 0.5 vs 0.2"
    z=$(jobs_get "$out" m2 z)
    lt "$z" -5 || fail "ac: z of m2 = $z, expected < -5"
    # Both laws are centred: KS has little power against a change of
    # width alone, W1 sees it.
    w1=$(jget "$out" w1_m)
    lt "$(jget "$T/ab.json" w1_m)" "$w1" || fail "ac: W1 = $w1 not above W1 of equal laws"
else
    fail "ac: exit status $?: $(cat "$T/ac.err")"
fi
# A field h = 0.1 shifts <M> by h/kappa = 0.2, about one standard deviation
# of M: KS rejects (over 8 other seed triples p <= 0.003 and z(m) <= -4.5;
# the thresholds leave a margin).
out="$T/ah.json"
if "$MTSI" compare "$T/a.h5" "$T/h.h5" --json > "$out" 2> "$T/ah.err"; then
    p=$(jget "$out" p)
    lt "$p" 0.01 || fail "ah: KS p = $p, expected < 0.01 for a shifted law"
    z=$(jobs_get "$out" m z)
    lt "$z" -3 || fail "ah: z of m = $z, expected < -3"
else
    fail "ah: exit status $?: $(cat "$T/ah.err")"
fi

# Swapping A and B flips the sign of every z.
"$MTSI" compare "$T/c.h5" "$T/a.h5" --json > "$T/ca.json" 2>/dev/null || fail "ca: exit status"
z1=$(jobs_get "$T/ac.json" energy z)
z2=$(jobs_get "$T/ca.json" energy z)
awk -v a="$z1" -v b="$z2" 'BEGIN { d = a + b; exit !(d < 1e-9 && d > -1e-9) }' ||
    fail "swap: z(energy) $z1 and $z2 are not opposite"

# Undefined observable: xi2 of constant-|phi| configurations is null with a note.
out="$T/do.json"
if "$MTSI" compare "$T/data32.h5" "$T/obs.h5" --json > "$out" 2> "$T/do.err"; then
    grep '"xi2"' "$out" | grep -q '"a": null.*"z": null.*"note": "undefined' ||
        fail "data32: xi2 should be null with a note"
else
    fail "data32 vs obs: exit status $?: $(cat "$T/do.err")"
fi

# ---- table ---------------------------------------------------------------
if "$MTSI" compare "$T/a.h5" "$T/c.h5" > "$T/table" 2> "$T/table.err"; then
    for name in m abs_m m2 m4 energy binder chi xi2; do
        grep -q "^  $name " "$T/table" || fail "table: row $name missing"
    done
    grep -q "Kolmogorov-Smirnov D = " "$T/table" || fail "table: KS line"
    grep -q "Wasserstein-1 distance W1 = " "$T/table" || fail "table: W1 line"
    grep -q "max |z| = " "$T/table" || fail "table: max |z|"
    grep -q "kappa = 0.2" "$T/table" || fail "table: couplings of B"
else
    fail "table: exit status $?"
fi
"$MTSI" compare --help > "$T/help" 2>&1 || fail "--help exit status"
grep -q '^usage: mtsi compare' "$T/help" || fail "--help text"

# ---- figure ----------------------------------------------------------------
check_png() { # FILE NAME
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || fail "$2: PNG signature is $sig"
    chunk=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
    [ "$chunk" = IHDR ] || fail "$2: first chunk is '$chunk', not IHDR"
    w=$(od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
    h=$(od -An -tu1 -j20 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
    [ "$w" -eq 1500 ] || fail "$2: width $w, expected 1500"
    { [ "$h" -ge 800 ] && [ "$h" -le 1400 ]; } || fail "$2: height $h"
    tail=$(tail -c 8 "$1" | od -An -tx1 | tr -d ' \n')
    [ "$tail" = 49454e44ae426082 ] || fail "$2: does not end with IEND and its CRC"
}
if "$MTSI" compare "$T/a.h5" "$T/b.h5" --png "$T/ab.png" > /dev/null 2> "$T/png.err"; then
    check_png "$T/ab.png" ab.png
else
    fail "--png: exit status $?: $(cat "$T/png.err")"
fi
# --plot: the format follows the extension. file(1) and pdfinfo(1) (poppler)
# read the outputs when installed; the PDF page is 750 points wide (two
# figure units a point).
"$MTSI" compare "$T/a.h5" "$T/b.h5" --plot "$T/ab2.png" > /dev/null 2>&1 || fail "--plot png"
check_png "$T/ab2.png" "ab2.png (--plot)"
cmp -s "$T/ab.png" "$T/ab2.png" || fail "--plot and --png draw different figures"
"$MTSI" compare "$T/a.h5" "$T/b.h5" --plot "$T/ab.pdf" > /dev/null 2> "$T/pdf.err" ||
    fail "--plot pdf: $(cat "$T/pdf.err")"
"$MTSI" compare "$T/a.h5" "$T/b.h5" --plot "$T/ab.svg" > /dev/null 2> "$T/svg.err" ||
    fail "--plot svg: $(cat "$T/svg.err")"
[ "$(head -c 5 "$T/ab.pdf")" = "%PDF-" ] || fail "ab.pdf: no PDF header"
tail -c 8 "$T/ab.pdf" | grep -q '%%EOF' || fail "ab.pdf: no %%EOF trailer"
grep -q '<svg' "$T/ab.svg" && tail -c 10 "$T/ab.svg" | grep -q '</svg>' || fail "ab.svg: not SVG"
if command -v file > /dev/null 2>&1; then
    file "$T/ab.png" | grep -q 'PNG image data, 1500 x' || fail "file: $(file "$T/ab.png")"
    file "$T/ab.pdf" | grep -q 'PDF document, version 1\.[0-9]*, 1 pages\{0,1\}' ||
        fail "file: $(file "$T/ab.pdf")"
    file "$T/ab.svg" | grep -q 'SVG' || fail "file: $(file "$T/ab.svg")"
else
    echo "compare_cli.sh: no file(1), its checks skipped"
fi
if command -v pdfinfo > /dev/null 2>&1; then
    pdfinfo "$T/ab.pdf" > "$T/pdfinfo" 2>&1 || fail "pdfinfo: $(cat "$T/pdfinfo")"
    grep -q '^Pages: *1$' "$T/pdfinfo" || fail "pdfinfo: pages"
    grep -q '^Page size: *750 x [0-9.]* pts' "$T/pdfinfo" || fail "pdfinfo: page size"
else
    echo "compare_cli.sh: no pdfinfo (poppler-utils), its checks skipped"
fi
"$MTSI" compare "$T/a.h5" "$T/b.h5" --plot "$T/ab2.pdf" > /dev/null 2>&1 || fail "--plot pdf again"
cmp -s "$T/ab.pdf" "$T/ab2.pdf" || fail "the same PDF twice differs"
"$MTSI" compare "$T/d1.h5" "$T/d1.h5" --json --png "$T/d1.png" > "$T/d1.json" 2>/dev/null ||
    fail "dim 1: exit status"
check_png "$T/d1.png" d1.png
z=$(jobs_get "$T/d1.json" m z)
[ "$z" = 0 ] || fail "a file against itself: z of m is $z, expected 0"
[ "$(jget "$T/d1.json" stat)" = 0 ] || fail "a file against itself: KS D not 0"
# An existing figure is kept without --force and replaced with it.
cksum "$T/ab.png" > "$T/ab.sum"
"$MTSI" compare "$T/a.h5" "$T/c.h5" --png "$T/ab.png" > "$T/keep.out" 2> "$T/keep.err"
[ $? -eq 2 ] || fail "existing --png without --force: not refused"
cksum "$T/ab.png" | cmp -s - "$T/ab.sum" || fail "existing --png was modified"
"$MTSI" compare "$T/a.h5" "$T/c.h5" --png "$T/ab.png" --force > /dev/null 2>&1 ||
    fail "--force: exit status"
cksum "$T/ab.png" | cmp -s - "$T/ab.sum" && fail "--force did not replace the figure"
check_png "$T/ab.png" "ab.png (--force)"

# ---- refusals ---------------------------------------------------------------
echo "not an ensemble" > "$T/text.h5"
bad() { # bad NAME ARGS...: exit 2, one stderr line, no stdout, no figure
    name=$1
    shift
    "$MTSI" compare "$@" > "$T/$name.out" 2> "$T/$name.stderr"
    rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2"
    n=$(wc -l < "$T/$name.stderr")
    [ "$n" -eq 1 ] || fail "$name: $n lines on stderr: $(cat "$T/$name.stderr")"
    [ -s "$T/$name.out" ] && fail "$name: output on stdout"
    grep -q "^mtsi compare: " "$T/$name.stderr" || fail "$name: message not prefixed"
    [ -e "$T/refused.png" ] && fail "$name: figure written" && rm -f "$T/refused.png"
}
bad diffL "$T/a.h5" "$T/l6.h5" --json --png "$T/refused.png"
bad diffdim "$T/d1.h5" "$T/a.h5" --png "$T/refused.png"
bad missing "$T/a.h5" "$T/nonexistent.h5" --png "$T/refused.png"
bad text "$T/text.h5" "$T/a.h5" --png "$T/refused.png"
bad noattr "$T/a.h5" "$T/noattr.h5" --json --png "$T/refused.png"
bad onefile "$T/a.h5" --png "$T/refused.png"
bad threefiles "$T/a.h5" "$T/b.h5" "$T/c.h5"
bad option --frobnicate "$T/a.h5" "$T/b.h5"
bad pngarg "$T/a.h5" "$T/b.h5" --png
bad plotarg "$T/a.h5" "$T/b.h5" --plot
bad plotext "$T/a.h5" "$T/b.h5" --plot "$T/refused.jpg"
[ -e "$T/refused.jpg" ] && fail "plotext: figure written"
grep -q "refused.jpg.*png, .pdf or .svg" "$T/plotext.stderr" || fail "plotext: $(cat "$T/plotext.stderr")"
bad force "$T/a.h5" "$T/b.h5" --force
grep -q "L = 8.*L = 6" "$T/diffL.stderr" || fail "diffL: message $(cat "$T/diffL.stderr")"
grep -q "nonexistent.h5" "$T/missing.stderr" || fail "missing: message does not name the file"
grep -q "kind" "$T/noattr.stderr" || fail "noattr: message $(cat "$T/noattr.stderr")"
ls "$T" | grep -q '\.tmp-' && fail "temporary file left behind"

if [ $fails -ne 0 ]; then
    echo "compare_cli.sh: $fails failure(s)" >&2
    exit 1
fi
echo "compare_cli.sh: all checks passed"
exit 0
