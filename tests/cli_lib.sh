# Sourced by the command-line tests after setting NAME: checks that MTSI
# names the binary, makes a scratch directory $T (removed on exit), and
# defines the pass/fail counters, expect_refusal and finish.
: "${MTSI:?MTSI must name the mtsi binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/mtsi-$NAME.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_refusal WHAT CMD...: exit 2, exactly one line on stderr (left in
# $T/err), nothing on stdout, and no $T/never.h5 written.
expect_refusal() {
    what=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne 2 ]; then
        bad "$what: exit $rc, expected 2 ($(cat "$T/err"))"
    elif [ "$lines" -ne 1 ]; then
        bad "$what: $lines lines on stderr, expected 1: $(cat "$T/err")"
    elif [ -s "$T/out" ]; then
        bad "$what: wrote to stdout"
    else
        ok
    fi
    [ -e "$T/never.h5" ] && bad "$what: wrote never.h5"
    rm -f "$T/never.h5"
}

# The summary line and the exit status.
finish() {
    echo "$NAME: $pass passed, $fails failed"
    [ "$fails" -eq 0 ]
}
