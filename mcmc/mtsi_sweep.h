/* Parameter sweeps (`mtsi sweep`): grid axes, per-point seeds and the
 * Binder-cumulant crossing estimate of the transition (SPEC.md section 3).
 *
 * An axis is written as one value ("4.6"), a comma list ("4.6,4.7,5") or an
 * inclusive range "lo:hi:count" (count >= 1 equally spaced values, lo and
 * hi included; count = 1 gives lo). Every value is rounded to the number
 * printed by "%.10g", so a value and its printed form (in file names and
 * in the equivalent `mtsi mcmc` command) are the same double. */
#ifndef MTSI_SWEEP_H
#define MTSI_SWEEP_H

#include <stdint.h>

/* Most values on one axis. */
#define MTSI_SWEEP_AXIS_MAX 100000

/* Parse spec for option opt (named in messages). integer != 0 requires
 * whole numbers. Duplicate values are refused (two points would share a
 * file). On success *vals (malloc'd, free it) holds *n >= 1 values in the
 * order written. Errors: MTSI_EINVAL with "OPT: ..." naming the bad part. */
int mtsi_sweep_axis_parse(const char *opt, const char *spec, int integer, double **vals, int *n);

/* v rounded to its "%.10g" form, with -0 made 0. */
double mtsi_sweep_round(double v);

/* A well-mixed 63-bit seed for the point called name (e.g. its file name)
 * of the sweep with seed `seed`: depends only on both, so it survives
 * reordering or extending the grid. */
uint64_t mtsi_sweep_point_seed(uint64_t seed, const char *name);

/* Where U4 of two lattice sizes cross along a coupling axis.
 *
 * x[0..n-1] ascending; u1, e1 (u2, e2) are U4 and its error on the smaller
 * (larger) lattice. With D_i = u2_i - u1_i, the first interval where D
 * changes sign (or the first grid point with D = 0) holds the crossing; U4
 * of both sizes is interpolated linearly there:
 *     x* = x_i + (x_{i+1} - x_i) D_i / (D_i - D_{i+1}),
 * and the errors of the four U4 values (independent runs) are propagated
 * linearly to x* and to U4(x*). No sign change: found = 0 and reason says
 * so (with the signs at both ends). */
typedef struct {
    int found;
    double x, x_err;   /* the crossing coupling */
    double u4, u4_err; /* U4 there */
    int interval;      /* i: x[i] <= x* <= x[i+1] */
    int ncross;        /* sign changes of D along the axis (> 1: several) */
    char reason[200];
} mtsi_sweep_crossing;

int mtsi_sweep_binder_crossing(int n, const double *x, const double *u1, const double *e1,
                               const double *u2, const double *e2, mtsi_sweep_crossing *res);

#endif
