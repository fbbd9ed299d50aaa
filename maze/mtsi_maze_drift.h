/* Planning by inpainting with a drift (SPEC.md section 8 and 1.1): the
 * start and goal (and any waypoints) are pinned at their indices with
 * alpha = 0, the other points go from alpha = 1 to 0 along the SDE
 * (Euler-Maruyama, eps = 0.7, 80 steps by default). A path is C x P =
 * 2 x 50 values, channel-major ([x(50), y(50)], the data-shape layout), so
 * the drift works on 100 values with one alpha per point shared by its two
 * channels; the drift sees standardised coordinates (x - mean_c) / sd_c.
 *
 * This is the one place where planning calls the interpolant's machinery
 * (mtsi_path_inpaint, mtsi_path_init, mtsi_integrate). */
#ifndef MTSI_MAZE_DRIFT_H
#define MTSI_MAZE_DRIFT_H

#include "mtsi_interp.h"
#include "mtsi_maze_plan.h"

typedef struct {
    mtsi_drift *d;          /* over 2 * MTSI_MAZE_NPTS values (not owned) */
    double mean[2], sd[2];  /* per-channel standardisation of the data */
    double eps;             /* SDE noise level (0: the ODE, Heun) */
    long steps;
} mtsi_maze_drift_planner;

/* A sampler that inpaints with p->d (p must outlive s). MTSI_EINVAL when
 * the drift does not act on 100 values or the settings are out of range. */
int mtsi_maze_sampler_drift(mtsi_maze_sampler *s, mtsi_maze_drift_planner *p);

/* A dense Gaussian model of the windows (test double and baseline): the
 * exact drift of x1 ~ N(mu, C) (SPEC 1.2, interp's mtsi_drift_dense_new,
 * kind "dense", on the path shape mtsi_maze_path_shape) with mu and C the
 * mean and covariance (1/(n-1)) of the standardised windows (C + 1e-6 I),
 * from n paths ([n][2][50], raw coordinates). Writes the standardisation
 * into mean, sd. */
mtsi_drift *mtsi_maze_drift_gaussian(long n, const double *paths, double *mean, double *sd);

#endif
