#!/bin/sh
# Training throughput with R = 1 rank of 2 threads against R = 2 ranks of 1
# thread each (the same 2 cores, the same training up to float rounding):
#
#   bench/train-ranks.sh MTSI [OUTDIR]      (mtsi configured --with-mpi)
#
# L = 16 phi^4 data (m2 = -4, lambda = 4.7, 2 x 2000 cluster-sampler
# configurations), the default network, batch 32, STEPS (default 200)
# steps, no intermediate checkpoints. Prints steps/s of both and their
# ratio; run it on an otherwise idle machine.
set -eu
MTSI=${1:?usage: train-ranks.sh MTSI [OUTDIR]}
OUT=${2:-train-ranks-out}
STEPS=${STEPS:-200}
mkdir -p "$OUT"
[ -e "$OUT/d16.h5" ] || "$MTSI" mcmc --m2 -4 --lambda 4.7 --L 16 --sampler cluster --chains 2 \
    --n 2000 --thin 2 --seed 1 --out "$OUT/d16.h5" >/dev/null
COMMON="--data $OUT/d16.h5 --batch 32 --steps $STEPS --log-every 50 --checkpoint-every 0 --seed 1 --force"
t0=$(date +%s.%N)
OMP_NUM_THREADS=2 "$MTSI" train $COMMON --out "$OUT/r1.h5"
t1=$(date +%s.%N)
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --bind-to none \
    -x OMP_NUM_THREADS=1 "$MTSI" train $COMMON --out "$OUT/r2.h5"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v s="$STEPS" 'BEGIN {
    r1 = s / (b - a); r2 = s / (c - b)
    printf "R = 1, 2 threads: %.1f s, %.2f steps/s\nR = 2, 1 thread each: %.1f s, %.2f steps/s\nratio R2/R1: %.2f\n", b - a, r1, c - b, r2, r2 / r1 }'
