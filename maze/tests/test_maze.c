/* Unit tests of maze/: layouts, the dynamics against its closed form, wall
 * contacts, the generator never entering a wall, the controller reaching
 * every free cell from every other, validity on crafted segments, shortest
 * paths against hand-computed cases, and planning with the baselines. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_maze.h"
#include "mtsi_maze_drift.h"
#include "mtsi_maze_plan.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mtsi_maze *maze(const char *name)
{
    mtsi_maze *m = mtsi_maze_new(name);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(layouts)
{
    mtsi_maze *m = maze("medium");
    ck_assert_int_eq(mtsi_maze_rows(m), 8);
    ck_assert_int_eq(mtsi_maze_cols(m), 8);
    ck_assert_int_eq(mtsi_maze_nfree(m), 26);
    /* row 3 "##OOO###": x = 3 follows the row, y the column */
    ck_assert(mtsi_maze_is_wall(m, 3, 1));
    ck_assert(!mtsi_maze_is_wall(m, 3, 2));
    ck_assert(mtsi_maze_is_wall(m, 3, 5));
    ck_assert(!mtsi_maze_is_wall(m, 6, 6)); /* the 'G' */
    ck_assert(mtsi_maze_is_wall(m, -1, 2) && mtsi_maze_is_wall(m, 8, 2));
    /* wall cell (2, 3) covers [1.3, 2.3] x [2.3, 3.3] */
    int w, h;
    const double p[2] = {1.31, 3.29}, q[2] = {2.31, 3.29};
    mtsi_maze_cell_of(p, &w, &h);
    ck_assert(w == 2 && h == 3);
    mtsi_maze_cell_of(q, &w, &h);
    ck_assert(w == 3 && h == 3);
    const double c[2] = {1.8, 2.8}; /* the centre of cell (2, 3): i - 0.2 */
    ck_assert_double_eq(mtsi_maze_wall_dist(m, c), 0);
    const double f[2] = {2.8, 2.8}; /* centre of free (3, 3): 0.5 from wall (2, 3) */
    ck_assert_double_eq_tol(mtsi_maze_wall_dist(m, f), 0.5, 1e-12);
    mtsi_maze_free(m);
    m = maze("large");
    ck_assert_int_eq(mtsi_maze_rows(m), 9);
    ck_assert_int_eq(mtsi_maze_cols(m), 12);
    ck_assert_int_eq(mtsi_maze_nfree(m), 46);
    ck_assert(!mtsi_maze_is_wall(m, 7, 9) && mtsi_maze_is_wall(m, 7, 7));
    mtsi_maze_free(m);
    mtsi_error_clear();
    ck_assert_ptr_null(mtsi_maze_new("tiny"));
    ck_assert_int_eq(mtsi_error_code(), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "'tiny'"));
}
END_TEST

START_TEST(point_checks)
{
    mtsi_maze *m = maze("medium");
    const double in_wall[2] = {0, 0}, outside[2] = {20, 3}, close[2] = {2.35, 2.8},
                 ok[2] = {3.05, 2.9};
    ck_assert_int_eq(mtsi_maze_check_point(m, in_wall, "start"), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "inside wall cell (0, 0)"));
    ck_assert_int_eq(mtsi_maze_check_point(m, outside, "goal"), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "outside"));
    ck_assert_int_eq(mtsi_maze_check_point(m, close, "start"), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_maze_check_point(m, ok, "start"), MTSI_OK);
    mtsi_maze_free(m);
}
END_TEST

/* From rest at full thrust: v_n = 100 (1 - r^n), r = 1 - dt / (m + dt),
 * until v exceeds the clip 5; from then on every step starts from 5 and
 * ends at 5 + dt (100 - 5) / (m + dt) = 5.2262556. */
START_TEST(dynamics_closed_form)
{
    mtsi_maze *m = maze("medium");
    const double dt = 0.01, mass = 1000 * 4.0 / 3.0 * M_PI * 1e-3, r = 1 - dt / (mass + dt);
    ck_assert_double_eq_tol(MTSI_MAZE_MASS, mass, 1e-15);
    const double vmax = 5 + dt * (100 - 5) / (mass + dt);
    ck_assert_double_eq_tol(vmax, 5.2262556, 5e-8);
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        /* the 2 x 2 open block of cells (1..2, 1..2): 1 unit of room */
        mtsi_maze_state s = {{sgn > 0 ? 1.0 : 2.0, 1.5}, {0, 0}};
        const double a[2] = {sgn * 1.0, 0};
        double x = s.x[0], v = 0, top = 0;
        int n;
        for (n = 1; n <= 30; n++) {
            ck_assert_int_eq(mtsi_maze_step(m, &s, a), 0);
            double vc = fabs(v) <= 5 ? 100 * (1 - pow(r, n)) : vmax; /* v: the step's start */
            v = s.v[0];
            x += dt * v;
            ck_assert_double_eq_tol(fabs(v), vc, 1e-12);
            ck_assert_double_eq_tol(s.x[0], x, 1e-12);
            ck_assert_double_eq(s.v[1], 0);
            ck_assert_double_eq(s.x[1], 1.5);
            top = fmax(top, fabs(v));
        }
        ck_assert_double_eq_tol(top, vmax, 1e-12);
        ck_assert_double_eq_tol(fabs(s.v[0]), vmax, 1e-12);
    }
    /* damping with a = 0: v' = v (1 - dt / (m + dt)) */
    mtsi_maze_state s = {{1.5, 1.5}, {1, -2}};
    const double a0[2] = {0, 0};
    mtsi_maze_step(m, &s, a0);
    ck_assert_double_eq_tol(s.v[0], r, 1e-15);
    ck_assert_double_eq_tol(s.v[1], -2 * r, 1e-15);
    mtsi_maze_free(m);
}
END_TEST

START_TEST(wall_contact)
{
    mtsi_maze *m = maze("medium");
    /* push +y into wall (1, 3) from free cell (1, 2): the face y = 2.3, so
     * the ball stops at y = 2.2 with v_y = 0, sliding freely along x */
    mtsi_maze_state s = {{0.9, 1.9}, {0, 0}};
    const double a[2] = {0, 1};
    int contacts = 0;
    for (int i = 0; i < 300; i++) {
        contacts += mtsi_maze_step(m, &s, a);
        ck_assert(s.x[1] <= 2.2 + 1e-12);
    }
    ck_assert_int_gt(contacts, 100);
    ck_assert_double_eq_tol(s.x[1], 2.2, 1e-12);
    ck_assert_double_eq_tol(s.v[1], 0, 1e-12);
    ck_assert_double_eq_tol(s.x[0], 0.9, 1e-12);
    /* at a corner the push is along the corner's normal: the ball comes
     * to rest at distance exactly 0.1 from corner (2.3, 2.3) of wall (2, 3) */
    mtsi_maze_state c = {{2.6, 2.0}, {0, 0}};
    const double ac[2] = {-1, 1};
    double dmin = 1;
    for (int i = 0; i < 400; i++) {
        mtsi_maze_step(m, &c, ac);
        dmin = fmin(dmin, mtsi_maze_wall_dist(m, c.x));
    }
    ck_assert(dmin >= 0.1 - 1e-12);
    mtsi_maze_free(m);
}
END_TEST

/* 200,000 steps per maze, clean and noisy: no position ever has the ball
 * overlapping a wall (centre closer than the radius minus 1e-9). */
START_TEST(generator_never_in_walls)
{
    const char *names[2] = {"medium", "large"};
    const long n = 200000;
    double *pos = malloc((size_t)n * 2 * sizeof(double));
    ck_assert_ptr_nonnull(pos);
    for (int k = 0; k < 4; k++) {
        mtsi_maze *m = maze(names[k / 2]);
        mtsi_maze_gen *g = mtsi_maze_gen_new(m, 7 + (uint64_t)k, k % 2 ? 0.5 : 0);
        ck_assert_ptr_nonnull(g);
        long reached = mtsi_maze_gen_run(g, n, pos);
        ck_assert_int_gt(reached, 50); /* the controller keeps reaching targets */
        if (k % 2) /* the noisy runs touch walls; the clean controller need not */
            ck_assert_int_gt(mtsi_maze_gen_contacts(g), 0);
        double dmin = INFINITY, vmax = 0;
        int cells_seen[12 * 12] = {0};
        for (long i = 0; i < n; i++) {
            dmin = fmin(dmin, mtsi_maze_wall_dist(m, pos + 2 * i));
            int w, h;
            mtsi_maze_cell_of(pos + 2 * i, &w, &h);
            ck_assert(!mtsi_maze_is_wall(m, w, h));
            cells_seen[w * 12 + h] = 1;
            if (i)
                vmax = fmax(vmax, hypot(pos[2 * i] - pos[2 * i - 2],
                                        pos[2 * i + 1] - pos[2 * i - 1]) / 0.01);
        }
        ck_assert(dmin >= MTSI_MAZE_RADIUS - 1e-9);
        if (k % 2)
            ck_assert(dmin < MTSI_MAZE_RADIUS + 1e-6);
        printf("generator %s noise %d: closest approach %.6f, %ld contacts\n", names[k / 2],
               k % 2, dmin, mtsi_maze_gen_contacts(g));
        ck_assert(vmax <= 5.2262556 * sqrt(2) + 1e-6);
        int seen = 0;
        for (int i = 0; i < 144; i++)
            seen += cells_seen[i];
        ck_assert_int_eq(seen, mtsi_maze_nfree(m)); /* every free cell visited */
        mtsi_maze_gen_free(g);
        mtsi_maze_free(m);
    }
    free(pos);
}
END_TEST

START_TEST(generator_reproducible)
{
    mtsi_maze *m = maze("medium");
    const long n = 5000;
    double *a = malloc((size_t)n * 4 * sizeof(double)), *b = a + 2 * n;
    mtsi_maze_gen *g1 = mtsi_maze_gen_new(m, 3, 0.5), *g2 = mtsi_maze_gen_new(m, 3, 0.5);
    mtsi_maze_gen_run(g1, n, a);
    mtsi_maze_gen_run(g2, n / 2, b);
    mtsi_maze_gen_run(g2, n - n / 2, b + 2 * (n / 2)); /* split runs continue */
    ck_assert_mem_eq(a, b, (size_t)n * 2 * sizeof(double));
    mtsi_maze_gen_free(g2);
    g2 = mtsi_maze_gen_new(m, 4, 0.5);
    mtsi_maze_gen_run(g2, n, b);
    ck_assert(memcmp(a, b, (size_t)n * 2 * sizeof(double)) != 0);
    mtsi_maze_gen_free(g1);
    mtsi_maze_gen_free(g2);
    free(a);
    mtsi_maze_free(m);
}
END_TEST

/* From rest at every free cell's integer position to every other (no
 * jitter): the target is reached, in at most 100 steps per cell of the
 * BFS path, and the ball never overlaps a wall. */
START_TEST(controller_reaches_every_cell)
{
    const char *names[2] = {"medium", "large"};
    for (int k = 0; k < 2; k++) {
        mtsi_maze *m = maze(names[k]);
        int nf = mtsi_maze_nfree(m), cells[2 * 64];
        mtsi_maze_ctrl c;
        mtsi_maze_ctrl_init(&c);
        long worst = 0;
        for (int i = 0; i < nf; i++)
            for (int j = 0; j < nf; j++) {
                if (i == j)
                    continue;
                int w0, h0, w1, h1;
                mtsi_maze_free_cell(m, i, &w0, &h0);
                mtsi_maze_free_cell(m, j, &w1, &h1);
                int len = mtsi_maze_cell_path(m, w0, h0, w1, h1, cells);
                ck_assert_int_ge(len, abs(w1 - w0) + abs(h1 - h0));
                mtsi_maze_state s = {{w0, h0}, {0, 0}};
                const double t[2] = {w1, h1};
                ck_assert_int_eq(mtsi_maze_ctrl_target(m, &c, s.x, t, NULL), MTSI_OK);
                long steps;
                double a[2];
                for (steps = 0; steps < 100L * len + 100; steps++) {
                    if (mtsi_maze_ctrl_action(&c, &s, a))
                        break;
                    mtsi_maze_step(m, &s, a);
                    ck_assert(mtsi_maze_wall_dist(m, s.x) >= MTSI_MAZE_RADIUS - 1e-9);
                }
                ck_assert_msg(steps < 100L * len + 100, "%s: (%d,%d) -> (%d,%d) not reached",
                              names[k], w0, h0, w1, h1);
                worst = steps > worst ? steps : worst;
            }
        ck_assert_int_gt(worst, 0);
        mtsi_maze_ctrl_clear(&c);
        mtsi_maze_free(m);
    }
}
END_TEST

START_TEST(segment_box)
{
    const double lo[2] = {0, 0}, hi[2] = {1, 1};
    const double a[2] = {-1, 0.5}, b[2] = {2, 0.5}; /* through */
    ck_assert_double_eq(mtsi_maze_seg_box_dist(a, b, lo, hi), 0);
    ck_assert(mtsi_maze_seg_box_open(a, b, lo, hi));
    const double c[2] = {-1, 1}, d[2] = {2, 1}; /* along the top face */
    ck_assert_double_eq(mtsi_maze_seg_box_dist(c, d, lo, hi), 0);
    ck_assert(!mtsi_maze_seg_box_open(c, d, lo, hi));
    const double e[2] = {-1, 1}, f[2] = {1, 3}; /* through the corner (0, 2)? no: (0, 2) */
    ck_assert_double_eq_tol(mtsi_maze_seg_box_dist(e, f, lo, hi), sqrt(0.5), 1e-15);
    const double g[2] = {0.5, 2}, h[2] = {2, 0.5}; /* corner (1, 1) at distance 0.5 / sqrt 2 */
    ck_assert_double_eq_tol(mtsi_maze_seg_box_dist(g, h, lo, hi), 0.5 / sqrt(2), 1e-15);
    const double i[2] = {2, 3}, j[2] = {4, 5}; /* endpoint nearest: (2, 3) to (1, 1) */
    ck_assert_double_eq_tol(mtsi_maze_seg_box_dist(i, j, lo, hi), sqrt(5), 1e-15);
    const double p[2] = {0.5, 0.5}; /* a point inside */
    ck_assert(mtsi_maze_seg_box_open(p, p, lo, hi));
    const double k2[2] = {0, 2}, l2[2] = {2, 0}; /* diagonal touching corner (1, 1) */
    ck_assert_double_eq_tol(mtsi_maze_seg_box_dist(k2, l2, lo, hi), 0, 1e-15);
    ck_assert(!mtsi_maze_seg_box_open(k2, l2, lo, hi));
}
END_TEST

/* Crafted segments around wall cell (2, 3) of the medium maze, box
 * [1.3, 2.3] x [2.3, 3.3]; cells (2, 2), (3, 2), (3, 3) are free. */
START_TEST(validity_crafted)
{
    mtsi_maze *m = maze("medium");
    const double r = MTSI_MAZE_RADIUS;
    struct {
        double p[4];
        int plain, clear;
        const char *what;
    } cases[] = {
        {{1.8, 2.0, 1.8, 3.6}, 0, 0, "crossing the wall"},
        {{2.0, 2.0, 2.0, 2.31}, 0, 0, "ending just inside"},
        {{2.3, 2.5, 2.3, 3.2}, 1, 0, "along the wall's right face"},
        {{2.0, 2.0, 3.0, 3.0}, 1, 0, "through the corner (2.3, 2.3)"},
        {{2.0, 2.0, 2.0, 1.0}, 1, 1, "clear, 0.3 from the walls"},
        {{2.4 + 1e-6, 2.5, 2.4 + 1e-6, 3.2}, 1, 1, "0.1 + 1e-6 from the face"},
        {{2.4 - 1e-6, 2.5, 2.4 - 1e-6, 3.2}, 1, 0, "0.1 - 1e-6 from the face"},
        /* 0.113 from the corner: out of the rounded inflation, inside the
         * square one; valid with clearance (the exact Minkowski sum) */
        {{2.28, 2.12, 2.48, 2.32}, 1, 1, "past the corner at 0.113"},
        {{2.25, 2.17, 2.45, 2.37}, 1, 0, "past the corner at 0.057"},
        /* the seam between wall cells (0, 3) and (1, 3) at x = 0.3: inside
         * the union although on the boundary of each box */
        {{0.3, 2.5, 0.3, 3.0}, 0, 0, "along the seam of two walls"},
        /* along the outer face of the top-row walls, y = 0.3 at x in free
         * cells (1, 1), (2, 1): touching only */
        {{0.6, 0.3, 1.8, 0.3}, 1, 0, "along the outer wall face"},
        {{1.0, 1.0, 9.0, 1.0}, 0, 0, "leaving the maze"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double *p = cases[i].p;
        ck_assert_msg(mtsi_maze_seg_hits(m, p, p + 2, 0) == !cases[i].plain, "plain: %s",
                      cases[i].what);
        ck_assert_msg(mtsi_maze_seg_hits(m, p, p + 2, r) == !cases[i].clear, "clearance: %s",
                      cases[i].what);
        ck_assert_msg(mtsi_maze_seg_hits(m, p + 2, p, 0) == !cases[i].plain, "reversed: %s",
                      cases[i].what);
    }
    /* polylines: the first segment fine, the second crossing */
    const double poly[6] = {2.0, 2.0, 2.0, 1.0, 1.8, 3.6};
    ck_assert(mtsi_maze_polyline_valid(m, 2, poly, r));
    ck_assert(!mtsi_maze_polyline_valid(m, 3, poly, 0));
    ck_assert_double_eq_tol(mtsi_maze_polyline_length(2, poly), 1, 1e-15);
    mtsi_maze_free(m);
}
END_TEST

START_TEST(shortest_hand_cases)
{
    mtsi_maze *m = maze("medium");
    double pts[2 * 64];
    int n;
    /* in the open 2 x 2 block: the straight segment */
    const double a[2] = {1, 1}, b[2] = {2, 2};
    ck_assert_double_eq_tol(mtsi_maze_shortest(m, a, b, 0, pts, 64, &n), sqrt(2), 1e-12);
    ck_assert_int_eq(n, 2);
    /* (2, 2) -> (3, 3) only touches the corner (2.3, 2.3): still straight */
    const double c[2] = {3, 3};
    ck_assert_double_eq_tol(mtsi_maze_shortest(m, b, c, 0, pts, 64, &n), sqrt(2), 1e-12);
    /* (2, 2) -> (3, 3.2) bends at the corner (2.3, 2.3) */
    const double d[2] = {3, 3.2};
    double l = mtsi_maze_shortest(m, b, d, 0, pts, 64, &n);
    ck_assert_double_eq_tol(l, 0.3 * sqrt(2) + sqrt(0.49 + 0.81), 1e-12);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq_tol(pts[2], 2.3, 1e-12);
    ck_assert_double_eq_tol(pts[3], 2.3, 1e-12);
    /* with clearance 0.1 the exact optimum wraps the disc of radius 0.1
     * about that corner: tangent from (2, 2), an arc, tangent to (3, 3.2).
     * From the corner C, P = (2, 2) is at 0.3 sqrt 2 and angle 225 deg,
     * Q = (3, 3.2) at |(0.7, 0.9)| and angle atan2(0.9, 0.7) + 360 deg
     * going round the free side; the arc spans that difference less the
     * two tangent angles acos(r / |CP|), acos(r / |CQ|). */
    const double r = 0.1, cp = 0.3 * sqrt(2), cq = hypot(0.7, 0.9);
    const double arc = (atan2(0.9, 0.7) + 2 * M_PI - 1.25 * M_PI) - acos(r / cp) - acos(r / cq);
    const double exact = sqrt(cp * cp - r * r) + sqrt(cq * cq - r * r) + r * arc;
    ck_assert_double_eq_tol(exact, 1.5931037, 1e-7);
    l = mtsi_maze_shortest(m, b, d, r, pts, 64, &n);
    /* within the bound c (2 M tan(pi / 4M) - pi / 2) of one (partial) turn */
    const double M = MTSI_MAZE_ARC, bound = r * (2 * M * tan(M_PI / (4 * M)) - M_PI / 2);
    ck_assert_msg(l >= exact - 1e-12 && l <= exact + bound, "%.9f vs %.9f", l, exact);
    ck_assert(mtsi_maze_polyline_valid(m, n, pts, r));
    ck_assert_double_eq_tol(mtsi_maze_polyline_length(n, pts), l, 1e-12);
    /* and the square-inflated corner (2.4, 2.2) would be longer */
    ck_assert(l < sqrt(0.16 + 0.04) + sqrt(0.36 + 1.0));
    /* the far corner of the maze: (1, 1) to the goal (6, 6); checked by
     * hand: down the left corridor x 1..6 at y = 1, then through the bottom
     * rows; the path's length lies between the Euclidean distance and the
     * cell path through cell centres */
    const double s[2] = {1, 1}, g[2] = {6, 6};
    l = mtsi_maze_shortest(m, s, g, 0, pts, 64, &n);
    ck_assert(l > hypot(5, 5));
    ck_assert(mtsi_maze_polyline_valid(m, n, pts, 0));
    ck_assert_double_eq_tol(mtsi_maze_polyline_length(n, pts), l, 1e-12);
    /* inside a wall: no path */
    const double wall[2] = {0, 0};
    ck_assert_double_eq(mtsi_maze_shortest(m, wall, g, 0, NULL, 0, NULL), -1);
    mtsi_maze_free(m);
}
END_TEST

/* Random pairs in both mazes: the plain shortest path is valid, no shorter
 * than the straight line and equal to it when the segment is valid; the
 * clearance path is valid with clearance and at least as long; a path
 * through the BFS cells' centres is never shorter. */
START_TEST(shortest_properties)
{
    const char *names[2] = {"medium", "large"};
    for (int k = 0; k < 2; k++) {
        mtsi_maze *m = maze(names[k]);
        mtsi_rng r;
        mtsi_rng_seed(&r, 11, (uint64_t)k);
        double pts[2 * 128], cp[2 * 130];
        int cells[2 * 64];
        for (int t = 0; t < 300; t++) {
            int nf = mtsi_maze_nfree(m), w0, h0, w1, h1, n, nc;
            mtsi_maze_free_cell(m, (int)mtsi_rng_below(&r, (uint64_t)nf), &w0, &h0);
            mtsi_maze_free_cell(m, (int)mtsi_rng_below(&r, (uint64_t)nf), &w1, &h1);
            double a[2] = {w0 + 0.2 * mtsi_rng_uniform(&r) - 0.1, h0 + 0.2 * mtsi_rng_uniform(&r) - 0.1};
            double b[2] = {w1 + 0.2 * mtsi_rng_uniform(&r) - 0.1, h1 + 0.2 * mtsi_rng_uniform(&r) - 0.1};
            double l0 = mtsi_maze_shortest(m, a, b, 0, pts, 128, &n);
            ck_assert(l0 >= hypot(b[0] - a[0], b[1] - a[1]) - 1e-12);
            ck_assert(mtsi_maze_polyline_valid(m, n, pts, 0));
            if (!mtsi_maze_seg_hits(m, a, b, 0))
                ck_assert_double_eq_tol(l0, hypot(b[0] - a[0], b[1] - a[1]), 1e-12);
            double l1 = mtsi_maze_shortest(m, a, b, 0.1, pts, 128, &n);
            ck_assert(l1 >= l0 - 1e-12);
            ck_assert(mtsi_maze_polyline_valid(m, n, pts, 0.1));
            nc = mtsi_maze_cell_path(m, w0, h0, w1, h1, cells);
            cp[0] = a[0], cp[1] = a[1];
            for (int i = 0; i < nc; i++) {
                cp[2 * i + 2] = cells[2 * i] - 0.2;
                cp[2 * i + 3] = cells[2 * i + 1] - 0.2;
            }
            cp[2 * nc + 2] = b[0], cp[2 * nc + 3] = b[1];
            if (mtsi_maze_polyline_valid(m, nc + 2, cp, 0.1))
                ck_assert(mtsi_maze_polyline_length(nc + 2, cp) >= l1 - 1e-12);
        }
        mtsi_maze_free(m);
    }
}
END_TEST

START_TEST(reinterp)
{
    double path[2 * MTSI_MAZE_NPTS], out[2 * MTSI_MAZE_MAXPLAN];
    for (int i = 0; i < MTSI_MAZE_NPTS; i++) {
        path[i] = i;
        path[MTSI_MAZE_NPTS + i] = i * i;
    }
    mtsi_maze_reinterp(path, 5, out);
    /* 6 k + 1 points, through the kept points, linear in between */
    ck_assert_double_eq(out[0], 0);
    ck_assert_double_eq(out[2 * 30], 5);
    ck_assert_double_eq(out[2 * 30 + 1], 25);
    ck_assert_double_eq_tol(out[2 * 9], 1.5, 1e-15);
    ck_assert_double_eq_tol(out[2 * 9 + 1], 2.5, 1e-15);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(mtsi_maze_k(i), i < 9 ? 5 * (i + 1) : 49);
}
END_TEST

START_TEST(planning_baselines)
{
    mtsi_maze *m = maze("medium");
    mtsi_maze_sampler s;
    mtsi_maze_baseline ctx;
    mtsi_rng r;
    mtsi_rng_seed(&r, 1, 0);
    mtsi_maze_plan_result *res = malloc(sizeof *res);
    /* straight: valid at k = 5 when the segment is; never when blocked */
    ck_assert_int_eq(mtsi_maze_sampler_baseline(&s, &ctx, m, "straight", 0), MTSI_OK);
    const double a[2] = {1, 1}, b[2] = {2, 2}, g[2] = {6, 6};
    ck_assert_int_eq(mtsi_maze_plan(m, &s, a, b, &r, res), MTSI_OK);
    ck_assert_int_eq(res->k, 5);
    ck_assert_int_eq(res->npts, 31);
    ck_assert_double_eq_tol(res->len, sqrt(2), 1e-12);
    ck_assert_int_eq(mtsi_maze_plan(m, &s, a, g, &r, res), MTSI_OK);
    ck_assert_int_eq(res->k, -1);
    ck_assert_int_eq(res->ntry, 10);
    ck_assert_int_eq(res->npts, 6 * 49 + 1); /* the last try is kept */
    /* shortest (with clearance, sampled at equal arc length): the chords cut
     * corners at small k, so the search moves up until they do not */
    ck_assert_int_eq(mtsi_maze_sampler_baseline(&s, &ctx, m, "shortest", 0), MTSI_OK);
    ck_assert_int_eq(mtsi_maze_plan(m, &s, a, g, &r, res), MTSI_OK);
    ck_assert_int_gt(res->k, 5);
    ck_assert(res->k_clear >= res->k);
    double l0 = mtsi_maze_shortest(m, a, g, 0, NULL, 0, NULL);
    ck_assert(res->len >= l0 - 1e-12 && res->len <= l0 * 1.1);
    ck_assert(mtsi_maze_polyline_valid(m, res->npts, res->pts, 0));
    ck_assert_double_eq(res->pts[0], 1);
    ck_assert_double_eq(res->pts[2 * res->npts - 2], 6);
    /* the closed loop follows it to the goal */
    ck_assert_int_gt(mtsi_maze_track(m, res->npts, res->pts, 800), 0);
    /* pins through a waypoint */
    const int idx[3] = {0, 20, 49};
    const double pin[6] = {1, 1, 4, 1, 6, 6};
    ck_assert_int_eq(mtsi_maze_plan_pins(m, &s, 3, idx, pin, &r, res), MTSI_OK);
    ck_assert_int_eq(res->npts, 6 * 49 + 1);
    ck_assert_double_eq(res->path[20], 4);
    ck_assert_double_eq(res->path[50 + 20], 1);
    const int bad[3] = {0, 30, 20};
    ck_assert_int_eq(mtsi_maze_plan_pins(m, &s, 3, bad, pin, &r, res), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_maze_sampler_baseline(&s, &ctx, m, "oracle", 0), MTSI_EINVAL);
    free(res);
    mtsi_maze_free(m);
}
END_TEST

START_TEST(evaluation)
{
    mtsi_maze *m = maze("large");
    mtsi_maze_sampler s;
    mtsi_maze_baseline ctx;
    mtsi_maze_sampler_baseline(&s, &ctx, m, "shortest", 0);
    mtsi_maze_eval_opts o = {200, 1, 5, 800, 0};
    mtsi_maze_eval_result r1, r2;
    ck_assert_int_eq(mtsi_maze_eval(m, &s, &o, &r1, NULL), MTSI_OK);
    /* the arc-length sampled shortest path is valid at k = 49 at the latest
     * (chords of at most ~0.6 across a corner stay within 0.1 of it...) */
    ck_assert_int_eq(r1.pairs, 200);
    ck_assert_int_eq(r1.valid, 200);
    ck_assert(r1.ratio_mean >= 1 && r1.ratio_mean < 1.1);
    ck_assert(r1.ratio_p95 >= r1.ratio_mean);
    long tot = 0;
    for (int i = 0; i <= MTSI_MAZE_NK; i++)
        tot += r1.khist[i];
    ck_assert_int_eq(tot, 200);
    ck_assert_int_eq(r1.loop_n, 200);
    ck_assert_int_eq(r1.loop_reached, 200);
    /* reproducible, and the pairs do not depend on the batch: this planner
     * draws no random numbers, so neither do the plans */
    o.batch = 7;
    ck_assert_int_eq(mtsi_maze_eval(m, &s, &o, &r2, NULL), MTSI_OK);
    ck_assert_mem_eq(r1.khist, r2.khist, sizeof r1.khist);
    ck_assert_double_eq(r1.ratio_mean, r2.ratio_mean);
    mtsi_maze_free(m);
}
END_TEST

/* The dense Gaussian drift against its closed forms: alpha = 1 everywhere
 * gives b = x - mu (eta0 = x, eta1 = mu); alpha = 0 gives b = -x. Then
 * inpainting with it: pins held exactly, reproducible, finite. */
START_TEST(drift_planner)
{
    mtsi_maze *m = maze("medium");
    const long steps = 30000, nw = 400;
    double *pos = malloc((size_t)steps * 2 * sizeof(double));
    double *paths = malloc((size_t)nw * 100 * sizeof(double));
    mtsi_maze_gen *g = mtsi_maze_gen_new(m, 9, 0);
    mtsi_maze_gen_run(g, steps, pos);
    for (long i = 0; i < nw; i++)
        for (int t = 0; t < 50; t++)
            for (int c = 0; c < 2; c++)
                paths[i * 100 + c * 50 + t] = pos[2 * (i * 70 + 6 * t) + c];
    double mean[2], sd[2];
    mtsi_drift *d = mtsi_maze_drift_gaussian(nw, paths, mean, sd);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(mtsi_drift_sites(d), 100);
    double al[100], x[100], b[100], mu[100], zero[100] = {0};
    mtsi_rng r;
    mtsi_rng_seed(&r, 2, 0);
    for (int i = 0; i < 100; i++) {
        al[i] = 1;
        x[i] = mtsi_rng_normal(&r);
    }
    ck_assert_int_eq(mtsi_drift_eval(d, 1, al, zero, mu), MTSI_OK); /* b(1, 0) = -mu */
    ck_assert_int_eq(mtsi_drift_eval(d, 1, al, x, b), MTSI_OK);
    for (int i = 0; i < 100; i++)
        ck_assert_double_eq_tol(b[i], x[i] + mu[i], 1e-12);
    for (int i = 0; i < 100; i++)
        al[i] = 0;
    ck_assert_int_eq(mtsi_drift_eval(d, 1, al, x, b), MTSI_OK);
    for (int i = 0; i < 100; i++)
        ck_assert_double_eq_tol(b[i], -x[i], 1e-7);
    /* the mean of the standardised windows is their mean: mu averages to 0 */
    double smu = 0;
    for (int i = 0; i < 50; i++)
        smu += -mu[i];
    ck_assert_double_eq_tol(smu / 50, 0, 1e-9);

    mtsi_maze_drift_planner dp = {d, {mean[0], mean[1]}, {sd[0], sd[1]}, 0.7, 20};
    mtsi_maze_sampler s;
    ck_assert_int_eq(mtsi_maze_sampler_drift(&s, &dp), MTSI_OK);
    mtsi_maze_plan_result *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
    const int idx[3] = {0, 15, 30};
    const double pin[6] = {1, 1, 2, 2, 3, 3};
    mtsi_rng_seed(&r, 4, 0);
    ck_assert_int_eq(mtsi_maze_plan_pins(m, &s, 3, idx, pin, &r, r1), MTSI_OK);
    mtsi_rng_seed(&r, 4, 0);
    ck_assert_int_eq(mtsi_maze_plan_pins(m, &s, 3, idx, pin, &r, r2), MTSI_OK);
    ck_assert_mem_eq(r1->path, r2->path, sizeof r1->path);
    for (int j = 0; j < 3; j++) {
        ck_assert_double_eq(r1->path[idx[j]], pin[2 * j]);
        ck_assert_double_eq(r1->path[50 + idx[j]], pin[2 * j + 1]);
    }
    ck_assert_int_eq(r1->npts, 6 * 30 + 1);
    /* the search with it: k of a pair one cell apart */
    const double a[2] = {1, 1}, bb[2] = {2, 1};
    ck_assert_int_eq(mtsi_maze_plan(m, &s, a, bb, &r, r1), MTSI_OK);
    ck_assert(r1->ntry >= 1 && r1->ntry <= 10);
    /* a drift of the wrong size is refused */
    dp.d = NULL;
    ck_assert_int_eq(mtsi_maze_sampler_drift(&s, &dp), MTSI_EINVAL);
    free(r1), free(r2);
    mtsi_drift_free(d);
    mtsi_maze_gen_free(g);
    free(pos), free(paths);
    mtsi_maze_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("maze");
    TCase *t = tcase_create("maze");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, layouts);
    tcase_add_test(t, point_checks);
    tcase_add_test(t, dynamics_closed_form);
    tcase_add_test(t, wall_contact);
    tcase_add_test(t, generator_never_in_walls);
    tcase_add_test(t, generator_reproducible);
    tcase_add_test(t, controller_reaches_every_cell);
    tcase_add_test(t, segment_box);
    tcase_add_test(t, validity_crafted);
    tcase_add_test(t, shortest_hand_cases);
    tcase_add_test(t, shortest_properties);
    tcase_add_test(t, reinterp);
    tcase_add_test(t, planning_baselines);
    tcase_add_test(t, evaluation);
    tcase_add_test(t, drift_planner);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
