#!/bin/sh
# mpirun -np 2 mtsi sweep gives, point by point, bitwise the files (and the
# summary) of the same sweep run by one process; both ranks take points.
# Skipped (77) when the build has no MPI launcher.
set -u
NAME=sweep_mpi
. "$(dirname "$0")/cli_lib.sh"
MPIRUN=${MPIRUN:-}
if [ -z "$MPIRUN" ] || ! command -v "$MPIRUN" >/dev/null 2>&1; then
    echo "no mpirun: skipped"
    exit 77
fi
unset SLURM_ARRAY_TASK_ID
# CI runs as root on two cores: allow it, and one OpenMP thread per rank.
OMPI_ALLOW_RUN_AS_ROOT=1
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MTSI_PROGRESS=${MTSI_PROGRESS:-0}
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM MTSI_PROGRESS
# Sanitizer builds: OpenMPI's runtime keeps allocations past MPI_Finalize
# (tests/lsan.supp names its libraries); the full unwinder lets those
# suppressions see the stacks through the components it has unloaded.
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS ASAN_OPTIONS
MPI="$MPIRUN -np 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS=1 -x MTSI_PROGRESS -x LSAN_OPTIONS -x ASAN_OPTIONS"
cd "$T" || exit 1

G="--m2 -4 --lambda 4.4:4.8:3 --L 4,6 --field 0,0.05 --sampler cluster --n 300 --therm 100 --thin 2 --chains 2"
OMP_NUM_THREADS=2 "$MTSI" sweep $G --dir one >one.txt 2>one.err || bad "serial sweep: $(cat one.err)"
$MPI "$MTSI" sweep $G --dir two >two.txt 2>two.err || bad "mpirun -np 2: $(cat two.err)"
n=0
for f in one/*.h5; do
    n=$((n + 1))
    cmp -s "$f" "two/${f#one/}" && ok || bad "${f#one/} differs between 1 and 2 ranks"
done
[ "$n" -eq 12 ] && ok || bad "$n files, expected 12"
[ "$(ls two/*.h5 | wc -l)" -eq 12 ] && ok || bad "mpirun made $(ls two/*.h5 | wc -l) files"
cmp -s one/summary.json two/summary.json && ok || bad "summary.json differs"
cmp -s one.txt two.txt && ok || bad "the table differs"
grep -q "rank 0: point" two.err && grep -q "rank 1: point" two.err && ok ||
    bad "not both ranks ran points: $(cat two.err)"

# A restart under mpirun runs nothing and rewrites nothing.
touch stamp
sleep 1
$MPI "$MTSI" sweep $G --dir two >/dev/null 2>two.err || bad "mpirun restart: $(cat two.err)"
[ -z "$(find two -name '*.h5' -newer stamp)" ] && ok || bad "restart rewrote files"

# One point per task does not mix with several ranks; one message only.
$MPI "$MTSI" sweep $G --dir two --task-id 0 >/dev/null 2>task.err
rc=$?
[ "$rc" -ne 0 ] && [ "$(grep -c 'mtsi sweep: --task-id runs one point' task.err)" -eq 1 ] && ok ||
    bad "--task-id under mpirun: exit $rc: $(cat task.err)"

finish
