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

# term_when_written FILE CMD...: run CMD in the background (stderr to
# term.err in the current directory), send it SIGTERM as soon as FILE exists
# (its first checkpoint; at most 20 s), wait; the status is CMD's.
term_when_written() {
    _file=$1
    shift
    "$@" 2>term.err &
    _pid=$!
    _i=0
    while [ ! -e "$_file" ] && [ $_i -lt 400 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    kill -TERM $_pid 2>/dev/null
    wait $_pid
}

# term_reported: the run stopped by term_when_written said one line of its
# own, naming the checkpoint. mpirun's event library may add its own
# "[warn] ..." lines when the signal reaches it; they are not mtsi's.
term_reported() {
    [ "$(grep -vc '^\[warn\] ' term.err)" -eq 1 ] && grep -q "checkpoint written" term.err
}

# mpi_setup: exits 77 (skipped) without an MPI launcher ($MPIRUN); else sets
# MPI to a two-rank launch with one OpenMP thread per rank, allowed as root
# (CI runs as root on two cores). Sanitizer builds: OpenMPI's runtime keeps
# allocations past MPI_Finalize (tests/lsan.supp names its libraries); the
# full unwinder lets those suppressions see the stacks through the
# components it has unloaded.
mpi_setup() {
    MPIRUN=${MPIRUN:-}
    if [ -z "$MPIRUN" ] || ! command -v "$MPIRUN" >/dev/null 2>&1; then
        echo "no mpirun: skipped"
        exit 77
    fi
    OMPI_ALLOW_RUN_AS_ROOT=1
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    MTSI_PROGRESS=${MTSI_PROGRESS:-0}
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM MTSI_PROGRESS LSAN_OPTIONS ASAN_OPTIONS
    MPI="$MPIRUN -q -np 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS=1 -x MTSI_PROGRESS -x LSAN_OPTIONS -x ASAN_OPTIONS"
}
