/* Planning in the maze by inpainting a whole path (SPEC.md section 8),
 * independent of where the path comes from: a sampler returns a path of
 * MTSI_MAZE_NPTS points with some points pinned (the start at index 0, the
 * goal at index k, optionally waypoints at other indices); the planner keeps
 * points 0..k, re-interpolates linearly to 6k + 1 points, tests validity and
 * searches k over 5, 10, ..., 45, 49. */
#ifndef MTSI_MAZE_PLAN_H
#define MTSI_MAZE_PLAN_H

#include <stdio.h>

#include "mtsi_maze.h"
#include "mtsi_rng.h"
#include "mtsi_shape.h"

#define MTSI_MAZE_NPTS 50
#define MTSI_MAZE_NK 10
#define MTSI_MAZE_SUB 6
#define MTSI_MAZE_MAXPLAN (MTSI_MAZE_SUB * (MTSI_MAZE_NPTS - 1) + 1)

/* The shape of a path (interp/mtsi_shape.h): a zero-boundary grid of
 * MTSI_MAZE_NPTS points with 2 channels (x, y), kind "path". */
void mtsi_maze_path_shape(mtsi_shape *s);

/* The goal indices searched, in order: 5, 10, ..., 45, 49. */
int mtsi_maze_k(int i);

/* Fills n paths (channel-major [n][2][MTSI_MAZE_NPTS]: x then y, raw
 * observation coordinates) given the npin pinned indices idx (increasing,
 * the same for all n) and their points pin ([n][npin][2]); every path must
 * hold its pinned points exactly. A batch lets a neural drift evaluate
 * many plans per network call. */
typedef int (*mtsi_maze_sampler_fn)(void *ctx, long n, int npin, const int *idx,
                                    const double *pin, double *paths, mtsi_rng *rng);

typedef struct {
    mtsi_maze_sampler_fn fn;
    void *ctx;
    char name[64];
} mtsi_maze_sampler;

/* Test doubles and baselines (no model): "straight" (linear between
 * consecutive pins, constant outside them) and "shortest" (between
 * consecutive pins the shortest path with clearance 0.2, else 0.1, else 0,
 * sampled at equal arc length, so that chords cut its corners at small k;
 * noise sd > 0 adds N(0, sd^2) to the free points).
 * ctx must stay valid while the sampler is used. */
typedef struct {
    const mtsi_maze *m;
    int shortest;
    double noise;
} mtsi_maze_baseline;
int mtsi_maze_sampler_baseline(mtsi_maze_sampler *s, mtsi_maze_baseline *ctx,
                               const mtsi_maze *m, const char *kind, double noise);

/* Points 0..k of a channel-major path, re-interpolated linearly to
 * MTSI_MAZE_SUB k + 1 points (interleaved). */
void mtsi_maze_reinterp(const double *path, int k, double *out);

typedef struct {
    int k, k_clear;         /* goal index of the first valid plan, -1 if none */
    double len, len_clear;  /* their lengths */
    double time, time_clear; /* seconds until each was found */
    int ntry;               /* sampler calls */
    int npts;               /* the plan (plain test; the k = 49 try if none valid) */
    double pts[2 * MTSI_MAZE_MAXPLAN];
    double path[2 * MTSI_MAZE_NPTS]; /* its raw 50 points, channel-major */
} mtsi_maze_plan_result;

/* Plan from start to goal: one sampler call per k until the plan is valid
 * for the plain test and for the clearance test (both searched on the same
 * samples; the plain search decides the reported plan). */
int mtsi_maze_plan(const mtsi_maze *m, const mtsi_maze_sampler *s, const double *start,
                   const double *goal, mtsi_rng *rng, mtsi_maze_plan_result *r);
/* The same for n pairs at once (ends [n][4]: start x, y, goal x, y): each
 * round of the k search samples the pairs still unresolved in one batch;
 * a pair's time is its share (1 / batch size) of each round it took part
 * in. */
int mtsi_maze_plan_batch(const mtsi_maze *m, const mtsi_maze_sampler *s, long n,
                         const double *ends, mtsi_rng *rng, mtsi_maze_plan_result *r);

/* Plan through pinned points (idx[0] = 0 the start, idx[npin-1] the goal):
 * one sample, kept up to the last pin and re-interpolated. r->k is the last
 * index when valid, else -1 (likewise k_clear). */
int mtsi_maze_plan_pins(const mtsi_maze *m, const mtsi_maze_sampler *s, int npin,
                        const int *idx, const double *pin, mtsi_rng *rng,
                        mtsi_maze_plan_result *r);

/* Closed loop: the ball starts at rest at pts[0] and the waypoint controller
 * follows pts[1..n-1]; returns the steps until it is within 0.1 of the last
 * point, or -1 when not reached in max_steps. The evaluation gives it the
 * plan's kept points 0..k: the controller slows to ~10 x the distance to its
 * waypoint, so the 6k + 1 re-interpolated points (1/6 apart) would hold the
 * ball to a crawl. */
long mtsi_maze_track(const mtsi_maze *m, long n, const double *pts, long max_steps);

/* Evaluation over random pairs (SPEC 8: two distinct random free cells,
 * each at its integer position + U(-0.1, 0.1) per axis): pair i is drawn
 * from its own generator (seeded from seed and i), so the pairs do not
 * depend on the batch; the sampler of batch j has its own generator too
 * (seeded from seed and j: its plans depend on the batch size). */
typedef struct {
    long pairs;
    long batch;        /* pairs planned together (>= 1) */
    uint64_t seed;
    long loop_steps;   /* closed loop within this many steps (0: skip) */
    int progress;      /* show a progress line */
} mtsi_maze_eval_opts;

typedef struct {
    long pairs, valid, valid_clear, nratio, nratio_clear, loop_n, loop_reached;
    long khist[MTSI_MAZE_NK + 1], khist_clear[MTSI_MAZE_NK + 1]; /* last: none */
    double ratio_mean, ratio_p95, ratio_max, ratio_clear_mean, ratio_clear_p95;
    double time_median, time_mean, time_p95;
    double shortest_mean;
} mtsi_maze_eval_result;

/* Runs the evaluation; when plans is non-NULL it receives per pair the
 * start and goal (4 doubles), k and the raw path: see mtsi_maze_plans_write. */
typedef struct {
    double *ends;  /* [pairs][4]: start x, y, goal x, y */
    long *k;       /* [pairs] (-1: none valid) */
    long *k_clear;
    double *paths; /* [pairs][2][50] */
} mtsi_maze_plans;

int mtsi_maze_eval(const mtsi_maze *m, const mtsi_maze_sampler *s, const mtsi_maze_eval_opts *o,
                   mtsi_maze_eval_result *res, mtsi_maze_plans *plans);
/* Writes the result as one JSON object with stable keys (one member per
 * line); MTSI_EIO when f fails. */
int mtsi_maze_eval_json(FILE *f, const mtsi_maze *m, const mtsi_maze_sampler *s,
                         const mtsi_maze_eval_opts *o, const mtsi_maze_eval_result *r);

#endif
