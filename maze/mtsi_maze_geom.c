/* Continuous validity tests and exact shortest paths (SPEC.md section 8). */
#include "config.h"
#include "mtsi_maze.h"
#include "mtsi_maze_priv.h"

#include "mtsi_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL MTSI_MAZE_TOL

/* Liang-Barsky: the parameter interval [t0, t1] of segment p + t (q - p),
 * t in [0, 1], inside the closed box; 0 when empty. */
static int seg_box_clip(const double *p, const double *q, const double *lo, const double *hi,
                        double *t0, double *t1)
{
    double a = 0, b = 1;
    for (int k = 0; k < 2; k++) {
        double d = q[k] - p[k];
        if (d == 0) {
            if (p[k] < lo[k] || p[k] > hi[k])
                return 0;
            continue;
        }
        double ta = (lo[k] - p[k]) / d, tb = (hi[k] - p[k]) / d;
        if (ta > tb) {
            double s = ta;
            ta = tb;
            tb = s;
        }
        if (ta > a)
            a = ta;
        if (tb < b)
            b = tb;
        if (a > b)
            return 0;
    }
    *t0 = a;
    *t1 = b;
    return 1;
}

static double pt_box_dist(const double *p, const double *lo, const double *hi)
{
    double dx = p[0] < lo[0] ? lo[0] - p[0] : p[0] > hi[0] ? p[0] - hi[0] : 0;
    double dy = p[1] < lo[1] ? lo[1] - p[1] : p[1] > hi[1] ? p[1] - hi[1] : 0;
    return hypot(dx, dy);
}

static double pt_seg_dist(const double *c, const double *p, const double *q)
{
    double dx = q[0] - p[0], dy = q[1] - p[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((c[0] - p[0]) * dx + (c[1] - p[1]) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(p[0] + t * dx - c[0], p[1] + t * dy - c[1]);
}

double mtsi_maze_seg_box_dist(const double *p, const double *q, const double *lo,
                              const double *hi)
{
    double t0, t1;
    if (seg_box_clip(p, q, lo, hi, &t0, &t1))
        return 0;
    /* Disjoint convex polygons: the distance is attained at a vertex of one
     * of them. */
    double d = fmin(pt_box_dist(p, lo, hi), pt_box_dist(q, lo, hi));
    const double cs[4][2] = {{lo[0], lo[1]}, {lo[0], hi[1]}, {hi[0], lo[1]}, {hi[0], hi[1]}};
    for (int i = 0; i < 4; i++)
        d = fmin(d, pt_seg_dist(cs[i], p, q));
    return d;
}

int mtsi_maze_seg_box_open(const double *p, const double *q, const double *lo, const double *hi)
{
    double t0, t1;
    if (!seg_box_clip(p, q, lo, hi, &t0, &t1))
        return 0;
    /* The chord of a convex set: if any of it is interior, its midpoint is. */
    double t = 0.5 * (t0 + t1);
    for (int k = 0; k < 2; k++) {
        double x = p[k] + t * (q[k] - p[k]);
        if (!(x > lo[k] + TOL && x < hi[k] - TOL))
            return 0;
    }
    return 1;
}

/* Cells (1 or 2 per axis) whose closed extent holds coordinate x. */
static int cells_at(double x, int *c)
{
    double u = x + 0.7, f = floor(u);
    if (u - f < TOL) {
        c[0] = (int)f - 1;
        c[1] = (int)f;
        return 2;
    }
    if (f + 1 - u < TOL) {
        c[0] = (int)f;
        c[1] = (int)f + 1;
        return 2;
    }
    c[0] = (int)f;
    return 1;
}

/* p in the open interior of the union of the walls: every cell whose closed
 * box holds p is a wall. */
static int in_walls(const mtsi_maze *m, const double *p)
{
    int cw[2], ch[2], nw = cells_at(p[0], cw), nh = cells_at(p[1], ch);
    for (int i = 0; i < nw; i++)
        for (int j = 0; j < nh; j++)
            if (!mtsi_maze_is_wall(m, cw[i], ch[j]))
                return 0;
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Plain test: split pq at the grid lines x, y = k + 0.3; each piece lies in
 * one cell (or along one grid line), so it meets the open union of the
 * walls iff its midpoint does. */
static int seg_hits_plain(const mtsi_maze *m, const double *p, const double *q)
{
    double ts[64];
    int n = 0;
    ts[n++] = 0;
    ts[n++] = 1;
    const int lim[2] = {m->nw, m->nh};
    for (int k = 0; k < 2; k++) {
        double d = q[k] - p[k];
        if (d == 0)
            continue;
        double a = fmin(p[k], q[k]), b = fmax(p[k], q[k]);
        int i0 = (int)ceil(a - 0.3), i1 = (int)floor(b - 0.3);
        if (i0 < -1)
            i0 = -1;
        if (i1 > lim[k] - 1)
            i1 = lim[k] - 1;
        for (int i = i0; i <= i1; i++) {
            double t = (i + 0.3 - p[k]) / d;
            if (t > 0 && t < 1)
                ts[n++] = t;
        }
    }
    qsort(ts, (size_t)n, sizeof ts[0], cmp_double);
    if (p[0] == q[0] && p[1] == q[1])
        return in_walls(m, p);
    for (int i = 0; i + 1 < n; i++) {
        if (!(ts[i + 1] > ts[i]))
            continue;
        double t = 0.5 * (ts[i] + ts[i + 1]), x[2] = {p[0] + t * (q[0] - p[0]),
                                                      p[1] + t * (q[1] - p[1])};
        if (in_walls(m, x))
            return 1;
    }
    return 0;
}

int mtsi_maze_seg_hits(const mtsi_maze *m, const double *p, const double *q, double c)
{
    if (!(c > 0))
        return seg_hits_plain(m, p, q);
    /* Outside the layout is wall too: leaving the extent is a hit. */
    for (int k = 0; k < 2; k++) {
        double hi = (k ? m->nh : m->nw) - 0.7;
        if (fmin(p[k], q[k]) < -0.7 || fmax(p[k], q[k]) > hi)
            return 1;
    }
    double bx0 = fmin(p[0], q[0]) - c, bx1 = fmax(p[0], q[0]) + c;
    double by0 = fmin(p[1], q[1]) - c, by1 = fmax(p[1], q[1]) + c;
    for (int i = 0; i < m->nbox; i++) {
        const double *b = m->boxes + 4 * i;
        if (b[0] > bx1 || b[2] < bx0 || b[1] > by1 || b[3] < by0)
            continue;
        if (mtsi_maze_seg_box_dist(p, q, b, b + 2) < c - TOL)
            return 1;
    }
    return 0;
}

int mtsi_maze_polyline_valid(const mtsi_maze *m, long n, const double *pts, double c)
{
    if (n == 1)
        return !mtsi_maze_seg_hits(m, pts, pts, c);
    for (long i = 0; i + 1 < n; i++)
        if (mtsi_maze_seg_hits(m, pts + 2 * i, pts + 2 * i + 2, c))
            return 0;
    return 1;
}

double mtsi_maze_polyline_length(long n, const double *pts)
{
    double s = 0;
    for (long i = 0; i + 1 < n; i++)
        s += hypot(pts[2 * i + 2] - pts[2 * i], pts[2 * i + 3] - pts[2 * i + 1]);
    return s;
}

/* ---- shortest paths ----------------------------------------------------- */

/* Obstacles for the graph: c = 0 the walls' union (the plain test); c > 0
 * the exact Minkowski sum of the walls and the disc of radius c (the
 * clearance test). */
static int graph_point_blocked(const mtsi_maze *m, const double *p, double c)
{
    return c > 0 ? mtsi_maze_seg_hits(m, p, p, c) : in_walls(m, p);
}

static int graph_seg_blocked(const mtsi_maze *m, const double *p, const double *q, double c)
{
    return c > 0 ? mtsi_maze_seg_hits(m, p, q, c) : seg_hits_plain(m, p, q);
}

/* Vertices per rounded corner: the two ends of the quarter arc (where it
 * meets the inflated faces) and the MTSI_MAZE_ARC corners of the polygon
 * circumscribed about the arc. */
#define NARC MTSI_MAZE_ARC

int mtsi_maze_vgraph_build(const mtsi_maze *m, double c, mtsi_maze_vgraph *g)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    int per = c > 0 ? NARC + 2 : 1, nv = (m->nw + 1) * (m->nh + 1) * per;
    g->pts = mtsi_malloc((size_t)nv * 2 * sizeof(double));
    if (!g->pts)
        return MTSI_ENOMEM;
    /* Grid vertex (i - 0.7, j - 0.7) is a convex corner of the walls when
     * exactly one of its four cells is a wall; (sx, sy) points away from
     * that wall. Shortest paths bend only there (c = 0) or wrap the disc of
     * radius c about it (c > 0), leaving and joining it along tangents. */
    const double rc = c / cos(M_PI / (4.0 * NARC));
    for (int i = 0; i <= m->nw; i++)
        for (int j = 0; j <= m->nh; j++) {
            int nwall = 0, wi = 0, wj = 0;
            for (int a = i - 1; a <= i; a++)
                for (int b = j - 1; b <= j; b++)
                    if (mtsi_maze_is_wall(m, a, b)) {
                        nwall++;
                        wi = a;
                        wj = b;
                    }
            if (nwall != 1)
                continue;
            const double vx = i - 0.7, vy = j - 0.7;
            const double sx = wi == i - 1 ? 1 : -1, sy = wj == j - 1 ? 1 : -1;
            for (int k = 0; k < per; k++) {
                double *p = g->pts + 2 * g->npts;
                if (!(c > 0)) {
                    p[0] = vx, p[1] = vy;
                } else {
                    /* k = 0, 1: the arc's ends; k >= 2: polygon corners at
                     * t = (k - 1.5) (pi/2) / NARC, radius c / cos(pi / (4 NARC)) */
                    double t = k == 0 ? 0 : k == 1 ? M_PI / 2 : (k - 1.5) * (M_PI / 2) / NARC;
                    double r = k < 2 ? c : rc;
                    p[0] = vx + sx * r * cos(t);
                    p[1] = vy + sy * r * sin(t);
                }
                if (!graph_point_blocked(m, p, c))
                    g->npts++;
            }
        }
    int n = g->npts;
    g->vis = mtsi_calloc((size_t)n * (size_t)n + 1, 1);
    if (!g->vis)
        return MTSI_ENOMEM;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            g->vis[i * n + j] = g->vis[j * n + i] =
                (unsigned char)!graph_seg_blocked(m, g->pts + 2 * i, g->pts + 2 * j, c);
    return MTSI_OK;
}

static void vgraph_clear(mtsi_maze_vgraph *g)
{
    free(g->pts);
    free(g->vis);
}

double mtsi_maze_shortest(const mtsi_maze *m, const double *a, const double *b, double c,
                          double *pts, int maxpts, int *npts)
{
    if (npts)
        *npts = 0;
    if (graph_point_blocked(m, a, c) || graph_point_blocked(m, b, c))
        return -1;
    mtsi_maze_vgraph tmp, *g;
    g = NULL;
    for (int i = 0; i < 3; i++)
        if (c == m->vg[i].c || (i == 0 && !(c > 0)))
            g = (mtsi_maze_vgraph *)&m->vg[i];
    if (!g) {
        if (mtsi_maze_vgraph_build(m, c, &tmp)) {
            vgraph_clear(&tmp);
            return -1;
        }
        g = &tmp;
    }
    int n = g->npts, N = n + 2;
    double *dist = malloc((size_t)N * sizeof(double));
    int *prev = malloc((size_t)N * sizeof(int));
    unsigned char *done = calloc((size_t)N, 1), *va = malloc((size_t)N), *vb = malloc((size_t)N);
    double len = -1;
    if (!dist || !prev || !done || !va || !vb)
        goto out;
    /* Node n is a, n + 1 is b; their visibility is computed per query. */
#define NODE(i) ((i) < n ? g->pts + 2 * (i) : (i) == n ? a : b)
    for (int i = 0; i < N; i++) {
        va[i] = i == n ? 0 : (unsigned char)!graph_seg_blocked(m, a, NODE(i), c);
        vb[i] = i == n + 1 ? 0 : (unsigned char)!graph_seg_blocked(m, b, NODE(i), c);
        dist[i] = INFINITY;
        prev[i] = -1;
    }
    dist[n] = 0;
    for (;;) {
        int u = -1;
        for (int i = 0; i < N; i++)
            if (!done[i] && isfinite(dist[i]) && (u < 0 || dist[i] < dist[u]))
                u = i;
        if (u < 0 || u == n + 1)
            break;
        done[u] = 1;
        const double *pu = NODE(u);
        for (int v = 0; v < N; v++) {
            if (done[v] || v == u)
                continue;
            int e = u == n ? va[v] : u == n + 1 ? vb[v] : v == n ? va[u] : v == n + 1 ? vb[u]
                                                                             : g->vis[u * n + v];
            if (!e)
                continue;
            const double *pv = NODE(v);
            double d = dist[u] + hypot(pv[0] - pu[0], pv[1] - pu[1]);
            if (d < dist[v]) {
                dist[v] = d;
                prev[v] = u;
            }
        }
    }
    if (isfinite(dist[n + 1])) {
        len = dist[n + 1];
        int cnt = 0;
        for (int v = n + 1; v >= 0; v = prev[v])
            cnt++;
        if (npts)
            *npts = cnt;
        if (pts) {
            int i = cnt - 1;
            for (int v = n + 1; v >= 0; v = prev[v], i--)
                if (i < maxpts) {
                    pts[2 * i] = NODE(v)[0];
                    pts[2 * i + 1] = NODE(v)[1];
                }
        }
    }
#undef NODE
out:
    free(dist);
    free(prev);
    free(done);
    free(va);
    free(vb);
    if (g == &tmp)
        vgraph_clear(&tmp);
    return len;
}
