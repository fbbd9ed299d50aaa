/* The D4RL maze2d mazes (SPEC.md section 8): layouts, wall geometry in
 * observation coordinates, the point-mass dynamics with wall contacts, the
 * waypoint controller over the shortest cell path, the trajectory
 * generator, continuous validity tests of polylines and the exact shortest
 * collision-free path.
 *
 * Coordinates. Row w and column h of the layout string are the cell (w, h);
 * a point is (x, y) in observation ("qpos") coordinates. Wall cell (w, h)
 * covers the box [w - 0.7, w + 0.3] x [h - 0.7, h + 0.3]; so the cell of a
 * point is (floor(x + 0.7), floor(y + 0.7)) and free cell i's centre is at
 * i - 0.2. Cells outside the layout count as walls. The ball has radius 0.1.
 * Points are interleaved (x, y) pairs in this module: pts[2 i], pts[2 i + 1].
 *
 * Validity (both tests use open sets, so touching is allowed):
 *  - plain: a segment is valid when it does not meet the open interior of
 *    the union of the wall boxes (a segment running along the seam between
 *    two wall cells is inside the union and invalid; one along an outer wall
 *    face or through a wall corner only touches it and is valid);
 *  - with clearance c > 0: valid when its distance to every wall box is
 *    >= c, i.e. it stays out of the exact Minkowski sum of the walls and the
 *    disc of radius c (boxes inflated by c with rounded corners).
 * Points within 1e-9 of a boundary count as on it (rounding of inputs such
 * as w + 0.3). */
#ifndef MTSI_MAZE_H
#define MTSI_MAZE_H

#include <stdint.h>

#include "mtsi_rng.h"

#define MTSI_MAZE_DT 0.01
#define MTSI_MAZE_GEAR 100.0
#define MTSI_MAZE_DAMPING 1.0
#define MTSI_MAZE_VCLIP 5.0
#define MTSI_MAZE_RADIUS 0.1
/* m = 1000 (4/3) pi 0.1^3, the MuJoCo ball's mass */
#define MTSI_MAZE_MASS 4.1887902047863905
/* The controller (D4RL waypoint_controller): a = clip(P (wp - x) + D v). */
#define MTSI_MAZE_PGAIN 10.0
#define MTSI_MAZE_DGAIN (-1.0)
#define MTSI_MAZE_REACH 0.1
#define MTSI_MAZE_TOL 1e-9

typedef struct mtsi_maze mtsi_maze;

/* "medium" (8 x 8) or "large" (9 x 12); an unknown name is an MTSI_EINVAL
 * error naming it (NULL returned). */
mtsi_maze *mtsi_maze_new(const char *name);
void mtsi_maze_free(mtsi_maze *m);
const char *mtsi_maze_name(const mtsi_maze *m);
/* Rows (x) and columns (y) of the layout. */
int mtsi_maze_rows(const mtsi_maze *m);
int mtsi_maze_cols(const mtsi_maze *m);
/* 1 for a wall or a cell outside the layout. */
int mtsi_maze_is_wall(const mtsi_maze *m, int w, int h);
int mtsi_maze_nfree(const mtsi_maze *m);
/* Free cell number i (0 .. nfree - 1, row-major order of the layout). */
void mtsi_maze_free_cell(const mtsi_maze *m, int i, int *w, int *h);
/* The cell that contains point p: (floor(x + 0.7), floor(y + 0.7)). */
void mtsi_maze_cell_of(const double *p, int *w, int *h);
/* Distance from p to the nearest wall box (0 inside a wall). */
double mtsi_maze_wall_dist(const mtsi_maze *m, const double *p);
/* A user point: MTSI_EINVAL naming `what` and the point when it lies
 * outside the maze's extent, inside a wall, or closer than the ball's
 * radius to a wall (the ball cannot be there). */
int mtsi_maze_check_point(const mtsi_maze *m, const double *p, const char *what);

/* ---- dynamics -------------------------------------------------------- */

typedef struct {
    double x[2], v[2];
} mtsi_maze_state;

/* One step (SPEC 8), per axis: v <- clip(v, +-5);
 * v' = v + dt (gear a - damping v) / (m + dt damping); x' = x + dt v'.
 * Then wall contacts: for each wall box within reach, if the ball overlaps
 * it (distance from x' to the box < radius), x' is moved along the contact
 * normal (from the box's nearest point to x') to distance exactly radius,
 * and the velocity component into the wall is set to 0. On a face the
 * normal is the face's; at a corner it points from the corner. a is
 * clipped to [-1, 1]. Returns the number of contacts resolved. */
int mtsi_maze_step(const mtsi_maze *m, mtsi_maze_state *s, const double *a);

/* ---- cell paths and the controller ------------------------------------ */

/* Shortest 4-connected path over free cells (BFS, fixed neighbour order
 * -x, +x, -y, +y) from cell (w0, h0) to (w1, h1): writes the cells after
 * the start up to and including the goal into cells (2 ints each, at most
 * nfree pairs) and returns their number (0 when start == goal), or -1 when
 * a cell is a wall. */
int mtsi_maze_cell_path(const mtsi_maze *m, int w0, int h0, int w1, int h1, int *cells);

typedef struct {
    double *wp;   /* waypoints, interleaved, the last is the target */
    int nwp, iwp, cap;
} mtsi_maze_ctrl;

void mtsi_maze_ctrl_init(mtsi_maze_ctrl *c);
void mtsi_maze_ctrl_clear(mtsi_maze_ctrl *c);
/* New target from position x: the waypoints are the cells of the shortest
 * cell path after x's cell, excluding the target's cell, each at its
 * integer position (w, h) minus U(0, 1) * 0.2 per axis (D4RL; no jitter
 * when rng is NULL: minus 0.1), then the target itself. */
int mtsi_maze_ctrl_target(const mtsi_maze *m, mtsi_maze_ctrl *c, const double *x,
                          const double *target, mtsi_rng *rng);
/* Follow an explicit list of n waypoints (interleaved, copied). */
int mtsi_maze_ctrl_follow(mtsi_maze_ctrl *c, int n, const double *wp);
/* Advance past waypoints within the reach 0.1 of s->x, write the action
 * a = clip(10 (wp - x) - v, +-1) toward the current one, and return 1 when
 * the last waypoint (the target) is within reach, else 0. */
int mtsi_maze_ctrl_action(mtsi_maze_ctrl *c, const mtsi_maze_state *s, double *a);

/* ---- the trajectory generator (D4RL generate_maze2d_datasets) --------- */

typedef struct mtsi_maze_gen mtsi_maze_gen;

/* Random streams of `seed`: 0 the start, targets and waypoint jitter; 1 the
 * action noise (noise_sd > 0: a += N(0, noise_sd^2), then clipped again;
 * D4RL's --noisy is 0.5). The ball starts at a random free cell + U(-0.1,
 * 0.1) per axis with velocity N(0, 0.1^2) per axis. */
mtsi_maze_gen *mtsi_maze_gen_new(const mtsi_maze *m, uint64_t seed, double noise_sd);
void mtsi_maze_gen_free(mtsi_maze_gen *g);
/* n steps: pos (may be NULL) receives the position before each step
 * (interleaved, 2 n doubles), i.e. the observations. Returns the number of
 * targets reached so far. The run continues across calls. */
long mtsi_maze_gen_run(mtsi_maze_gen *g, long n, double *pos);
const mtsi_maze_state *mtsi_maze_gen_state(const mtsi_maze_gen *g);
long mtsi_maze_gen_contacts(const mtsi_maze_gen *g);

/* ---- geometry ----------------------------------------------------------- */

/* Closed segment pq against the box [lo0, hi0] x [lo1, hi1]: distance
 * (0 when they meet), and whether the segment meets the open box. */
double mtsi_maze_seg_box_dist(const double *p, const double *q, const double *lo,
                              const double *hi);
int mtsi_maze_seg_box_open(const double *p, const double *q, const double *lo, const double *hi);
/* 1 when segment pq is invalid for clearance c (0: plain test), see above. */
int mtsi_maze_seg_hits(const mtsi_maze *m, const double *p, const double *q, double c);
/* 1 when every segment of the polyline of n points is valid. */
int mtsi_maze_polyline_valid(const mtsi_maze *m, long n, const double *pts, double c);
/* Polyline length. */
double mtsi_maze_polyline_length(long n, const double *pts);

/* Shortest collision-free path from a to b: Dijkstra on a visibility graph
 * whose edges pass the validity test for c. c = 0: exact (vertices at the
 * convex wall corners; the path may touch them). c > 0: the walls' exact
 * Minkowski sum with the disc of radius c, rounded corners included; the
 * path leaves and joins each corner's quarter disc at the arc's ends or at
 * the MTSI_MAZE_ARC corners of the polygon circumscribed about it, so it is
 * valid for clearance c and longer than the true optimum by at most
 * c (2 M tan(pi / 4M) - pi/2) per quarter turn (M = MTSI_MAZE_ARC; 0.0009
 * for c = 0.1). Returns the length, writes the vertices (a first, b last)
 * into pts (at most maxpts points, may be NULL) and their number into
 * *npts; returns -1 when a or b violates the test or no path exists. */
#define MTSI_MAZE_ARC 6
double mtsi_maze_shortest(const mtsi_maze *m, const double *a, const double *b, double c, double *pts,
                          int maxpts, int *npts);

#endif
