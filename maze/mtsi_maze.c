/* Mazes, dynamics, controller and generator (SPEC.md section 8). */
#include "config.h"
#include "mtsi_maze.h"
#include "mtsi_maze_priv.h"

#include "mtsi_err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* D4RL d4rl/pointmaze/maze_model.py, 'G' read as free. */
static const char *const medium_rows[] = {
    "########", "#OO##OO#", "#OO#OOO#", "##OOO###",
    "#OO#OOO#", "#O#OO#O#", "#OOO#OG#", "########",
};
static const char *const large_rows[] = {
    "############", "#OOOO#OOOOO#", "#O##O#O#O#O#", "#OOOOOO#OOO#", "#O####O###O#",
    "#OO#O#OOOOO#", "##O#O#O#O###", "#OO#OOO#OGO#", "############",
};

mtsi_maze *mtsi_maze_new(const char *name)
{
    const char *const *rows;
    int nw;
    if (!strcmp(name, "medium")) {
        rows = medium_rows;
        nw = 8;
    } else if (!strcmp(name, "large")) {
        rows = large_rows;
        nw = 9;
    } else {
        mtsi_error_set(MTSI_EINVAL, "unknown maze '%s' (expected medium or large)", name);
        return NULL;
    }
    mtsi_maze *m = mtsi_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->nw = nw;
    m->nh = (int)strlen(rows[0]);
    int nc = m->nw * m->nh;
    m->wall = mtsi_calloc((size_t)nc, 1);
    m->free_idx = mtsi_calloc((size_t)nc, sizeof(int));
    m->boxes = mtsi_calloc((size_t)nc, 4 * sizeof(double));
    m->next = mtsi_calloc((size_t)nc * (size_t)nc, sizeof(int));
    if (!m->wall || !m->free_idx || !m->boxes || !m->next) {
        mtsi_maze_free(m);
        return NULL;
    }
    for (int w = 0; w < m->nw; w++)
        for (int h = 0; h < m->nh; h++) {
            int wall = rows[w][h] == '#';
            m->wall[w * m->nh + h] = (unsigned char)wall;
            if (wall) {
                double *b = m->boxes + 4 * m->nbox++;
                b[0] = w - 0.7;
                b[1] = h - 0.7;
                b[2] = w + 0.3;
                b[3] = h + 0.3;
            } else {
                m->free_idx[m->nfree++] = w * m->nh + h;
            }
        }
    /* next[to * nc + from]: the neighbour of `from` one BFS step closer to
     * `to` (-1 for walls and for from == to). */
    int *dist = mtsi_malloc((size_t)nc * sizeof(int)), *queue = mtsi_malloc((size_t)nc * sizeof(int));
    if (!dist || !queue) {
        free(dist);
        free(queue);
        mtsi_maze_free(m);
        return NULL;
    }
    static const int dw[4] = {-1, 1, 0, 0}, dh[4] = {0, 0, -1, 1};
    for (int t = 0; t < nc; t++) {
        int *nx = m->next + (size_t)t * nc;
        for (int i = 0; i < nc; i++) {
            dist[i] = -1;
            nx[i] = -1;
        }
        if (m->wall[t])
            continue;
        int qh = 0, qt = 0;
        dist[t] = 0;
        queue[qt++] = t;
        while (qh < qt) {
            int c = queue[qh++], w = c / m->nh, h = c % m->nh;
            for (int d = 0; d < 4; d++) {
                int w2 = w + dw[d], h2 = h + dh[d];
                if (mtsi_maze_is_wall(m, w2, h2))
                    continue;
                int c2 = w2 * m->nh + h2;
                if (dist[c2] < 0) {
                    dist[c2] = dist[c] + 1;
                    queue[qt++] = c2;
                }
            }
        }
        for (int c = 0; c < nc; c++) {
            if (dist[c] <= 0)
                continue;
            int w = c / m->nh, h = c % m->nh;
            for (int d = 0; d < 4; d++) {
                int w2 = w + dw[d], h2 = h + dh[d];
                if (!mtsi_maze_is_wall(m, w2, h2) && dist[w2 * m->nh + h2] == dist[c] - 1) {
                    nx[c] = w2 * m->nh + h2;
                    break;
                }
            }
        }
    }
    free(dist);
    free(queue);
    for (int i = 0; i < 3; i++)
        if (mtsi_maze_vgraph_build(m, i * MTSI_MAZE_RADIUS, &m->vg[i])) {
            mtsi_maze_free(m);
            return NULL;
        }
    return m;
}

void mtsi_maze_free(mtsi_maze *m)
{
    if (!m)
        return;
    free(m->wall);
    free(m->free_idx);
    free(m->boxes);
    free(m->next);
    for (int i = 0; i < 3; i++) {
        free(m->vg[i].pts);
        free(m->vg[i].vis);
    }
    free(m);
}

const char *mtsi_maze_name(const mtsi_maze *m) { return m->name; }
int mtsi_maze_rows(const mtsi_maze *m) { return m->nw; }
int mtsi_maze_cols(const mtsi_maze *m) { return m->nh; }
int mtsi_maze_nfree(const mtsi_maze *m) { return m->nfree; }

int mtsi_maze_is_wall(const mtsi_maze *m, int w, int h)
{
    if (w < 0 || h < 0 || w >= m->nw || h >= m->nh)
        return 1;
    return m->wall[w * m->nh + h];
}

void mtsi_maze_free_cell(const mtsi_maze *m, int i, int *w, int *h)
{
    *w = m->free_idx[i] / m->nh;
    *h = m->free_idx[i] % m->nh;
}

void mtsi_maze_cell_of(const double *p, int *w, int *h)
{
    *w = (int)floor(p[0] + 0.7);
    *h = (int)floor(p[1] + 0.7);
}

/* Nearest point of box b (lo0, lo1, hi0, hi1) to p. */
static void box_nearest(const double *b, const double *p, double *q)
{
    q[0] = p[0] < b[0] ? b[0] : p[0] > b[2] ? b[2] : p[0];
    q[1] = p[1] < b[1] ? b[1] : p[1] > b[3] ? b[3] : p[1];
}

double mtsi_maze_wall_dist(const mtsi_maze *m, const double *p)
{
    double best = INFINITY;
    for (int i = 0; i < m->nbox; i++) {
        double q[2];
        box_nearest(m->boxes + 4 * i, p, q);
        double d = hypot(p[0] - q[0], p[1] - q[1]);
        if (d < best)
            best = d;
    }
    return best;
}

int mtsi_maze_check_point(const mtsi_maze *m, const double *p, const char *what)
{
    if (!isfinite(p[0]) || !isfinite(p[1]))
        return mtsi_error_set(MTSI_EINVAL, "%s: (%g, %g) is not a finite point", what, p[0], p[1]);
    if (p[0] < -0.7 || p[0] > m->nw - 0.7 || p[1] < -0.7 || p[1] > m->nh - 0.7)
        return mtsi_error_set(MTSI_EINVAL,
                              "%s: (%g, %g) is outside the %s maze ([-0.7, %g] x [-0.7, %g])",
                              what, p[0], p[1], m->name, m->nw - 0.7, m->nh - 0.7);
    int w, h;
    mtsi_maze_cell_of(p, &w, &h);
    double d = mtsi_maze_wall_dist(m, p);
    if (mtsi_maze_is_wall(m, w, h) || d <= 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: (%g, %g) is inside wall cell (%d, %d) of the %s maze",
                              what, p[0], p[1], w, h, m->name);
    if (d < MTSI_MAZE_RADIUS - MTSI_MAZE_TOL)
        return mtsi_error_set(MTSI_EINVAL,
                              "%s: (%g, %g) is %g from a wall, closer than the ball's radius %g",
                              what, p[0], p[1], d, MTSI_MAZE_RADIUS);
    return MTSI_OK;
}

/* ---- dynamics ---------------------------------------------------------- */

int mtsi_maze_step(const mtsi_maze *m, mtsi_maze_state *s, const double *a)
{
    const double dt = MTSI_MAZE_DT, den = MTSI_MAZE_MASS + dt * MTSI_MAZE_DAMPING;
    for (int k = 0; k < 2; k++) {
        double u = a[k] < -1 ? -1 : a[k] > 1 ? 1 : a[k];
        double v = s->v[k] < -MTSI_MAZE_VCLIP ? -MTSI_MAZE_VCLIP
                   : s->v[k] > MTSI_MAZE_VCLIP ? MTSI_MAZE_VCLIP
                                               : s->v[k];
        v += dt * (MTSI_MAZE_GEAR * u - MTSI_MAZE_DAMPING * v) / den;
        s->v[k] = v;
        s->x[k] += dt * v;
    }
    /* Contacts. A step moves at most dt * 5.23 < radius, so the centre never
     * enters a box and the nearest point defines the normal. Two sweeps
     * settle a concave corner, where pushing out of one face can leave the
     * ball touching the other. */
    int w0, h0, contacts = 0;
    mtsi_maze_cell_of(s->x, &w0, &h0);
    for (int sweep = 0; sweep < 2; sweep++)
        for (int w = w0 - 1; w <= w0 + 1; w++)
            for (int h = h0 - 1; h <= h0 + 1; h++) {
                if (!mtsi_maze_is_wall(m, w, h))
                    continue;
                const double b[4] = {w - 0.7, h - 0.7, w + 0.3, h + 0.3};
                double q[2];
                box_nearest(b, s->x, q);
                double n0 = s->x[0] - q[0], n1 = s->x[1] - q[1], d = hypot(n0, n1);
                if (d >= MTSI_MAZE_RADIUS)
                    continue;
                if (d <= 0) { /* cannot happen (see above); leave along the shortest way out */
                    double e[4] = {s->x[0] - b[0], s->x[1] - b[1], b[2] - s->x[0], b[3] - s->x[1]};
                    int j = 0;
                    for (int i = 1; i < 4; i++)
                        if (e[i] < e[j])
                            j = i;
                    n0 = j == 0 ? -1 : j == 2 ? 1 : 0;
                    n1 = j == 1 ? -1 : j == 3 ? 1 : 0;
                    q[0] = j == 0 ? b[0] : j == 2 ? b[2] : s->x[0];
                    q[1] = j == 1 ? b[1] : j == 3 ? b[3] : s->x[1];
                    d = 1;
                }
                n0 /= d;
                n1 /= d;
                s->x[0] = q[0] + MTSI_MAZE_RADIUS * n0;
                s->x[1] = q[1] + MTSI_MAZE_RADIUS * n1;
                double vn = s->v[0] * n0 + s->v[1] * n1;
                if (vn < 0) {
                    s->v[0] -= vn * n0;
                    s->v[1] -= vn * n1;
                }
                contacts++;
            }
    return contacts;
}

/* ---- cell paths and the controller ------------------------------------ */

int mtsi_maze_cell_path(const mtsi_maze *m, int w0, int h0, int w1, int h1, int *cells)
{
    if (mtsi_maze_is_wall(m, w0, h0) || mtsi_maze_is_wall(m, w1, h1))
        return -1;
    int nc = m->nw * m->nh, to = w1 * m->nh + h1, c = w0 * m->nh + h0, n = 0;
    const int *nx = m->next + (size_t)to * nc;
    while (c != to) {
        c = nx[c];
        if (c < 0)
            return -1; /* unreachable: not in these layouts */
        cells[2 * n] = c / m->nh;
        cells[2 * n + 1] = c % m->nh;
        n++;
    }
    return n;
}

void mtsi_maze_ctrl_init(mtsi_maze_ctrl *c) { memset(c, 0, sizeof *c); }

void mtsi_maze_ctrl_clear(mtsi_maze_ctrl *c)
{
    free(c->wp);
    memset(c, 0, sizeof *c);
}

static int ctrl_reserve(mtsi_maze_ctrl *c, int n)
{
    if (n <= c->cap)
        return MTSI_OK;
    double *w = realloc(c->wp, (size_t)n * 2 * sizeof(double));
    if (!w)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory (%d waypoints)", n);
    c->wp = w;
    c->cap = n;
    return MTSI_OK;
}

int mtsi_maze_ctrl_target(const mtsi_maze *m, mtsi_maze_ctrl *c, const double *x,
                          const double *target, mtsi_rng *rng)
{
    int w0, h0, w1, h1;
    mtsi_maze_cell_of(x, &w0, &h0);
    mtsi_maze_cell_of(target, &w1, &h1);
    int rc = ctrl_reserve(c, m->nfree + 1);
    if (rc)
        return rc;
    int *cells = mtsi_malloc((size_t)m->nfree * 2 * sizeof(int));
    if (!cells)
        return MTSI_ENOMEM;
    int n = mtsi_maze_cell_path(m, w0, h0, w1, h1, cells);
    if (n < 0) {
        free(cells);
        return mtsi_error_set(MTSI_EINVAL, "no cell path from (%g, %g) to (%g, %g)", x[0], x[1],
                              target[0], target[1]);
    }
    c->nwp = 0;
    for (int i = 0; i < n - 1; i++, c->nwp++)
        for (int k = 0; k < 2; k++)
            c->wp[2 * c->nwp + k] = cells[2 * i + k] - (rng ? mtsi_rng_uniform(rng) : 0.5) * 0.2;
    c->wp[2 * c->nwp] = target[0];
    c->wp[2 * c->nwp + 1] = target[1];
    c->nwp++;
    c->iwp = 0;
    free(cells);
    return MTSI_OK;
}

int mtsi_maze_ctrl_follow(mtsi_maze_ctrl *c, int n, const double *wp)
{
    if (n < 1)
        return mtsi_error_set(MTSI_EINVAL, "no waypoints to follow");
    int rc = ctrl_reserve(c, n);
    if (rc)
        return rc;
    memcpy(c->wp, wp, (size_t)n * 2 * sizeof(double));
    c->nwp = n;
    c->iwp = 0;
    return MTSI_OK;
}

int mtsi_maze_ctrl_action(mtsi_maze_ctrl *c, const mtsi_maze_state *s, double *a)
{
    const double *x = s->x;
    while (c->iwp < c->nwp - 1 &&
           hypot(c->wp[2 * c->iwp] - x[0], c->wp[2 * c->iwp + 1] - x[1]) < MTSI_MAZE_REACH)
        c->iwp++;
    const double *wp = c->wp + 2 * c->iwp;
    for (int k = 0; k < 2; k++) {
        double u = MTSI_MAZE_PGAIN * (wp[k] - x[k]) + MTSI_MAZE_DGAIN * s->v[k];
        a[k] = u < -1 ? -1 : u > 1 ? 1 : u;
    }
    return c->iwp == c->nwp - 1 && hypot(wp[0] - x[0], wp[1] - x[1]) < MTSI_MAZE_REACH;
}

/* ---- the generator ------------------------------------------------------ */

struct mtsi_maze_gen {
    const mtsi_maze *m;
    mtsi_rng rng, noise_rng;
    double noise_sd;
    mtsi_maze_state s;
    mtsi_maze_ctrl ctrl;
    long reached, contacts;
};

/* A random free cell's integer position + U(-0.1, 0.1) per axis (D4RL's
 * reset_model / set_target). */
static void random_cell_point(const mtsi_maze *m, mtsi_rng *r, double *p)
{
    int w, h;
    mtsi_maze_free_cell(m, (int)mtsi_rng_below(r, (uint64_t)m->nfree), &w, &h);
    p[0] = w + (2 * mtsi_rng_uniform(r) - 1) * 0.1;
    p[1] = h + (2 * mtsi_rng_uniform(r) - 1) * 0.1;
}

static int gen_new_target(mtsi_maze_gen *g)
{
    double t[2];
    random_cell_point(g->m, &g->rng, t);
    return mtsi_maze_ctrl_target(g->m, &g->ctrl, g->s.x, t, &g->rng);
}

mtsi_maze_gen *mtsi_maze_gen_new(const mtsi_maze *m, uint64_t seed, double noise_sd)
{
    mtsi_maze_gen *g = mtsi_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->m = m;
    g->noise_sd = noise_sd;
    mtsi_rng_seed(&g->rng, seed, 0);
    mtsi_rng_seed(&g->noise_rng, seed, 1);
    random_cell_point(m, &g->rng, g->s.x);
    g->s.v[0] = 0.1 * mtsi_rng_normal(&g->rng);
    g->s.v[1] = 0.1 * mtsi_rng_normal(&g->rng);
    mtsi_maze_ctrl_init(&g->ctrl);
    if (gen_new_target(g)) {
        mtsi_maze_gen_free(g);
        return NULL;
    }
    return g;
}

void mtsi_maze_gen_free(mtsi_maze_gen *g)
{
    if (!g)
        return;
    mtsi_maze_ctrl_clear(&g->ctrl);
    free(g);
}

long mtsi_maze_gen_run(mtsi_maze_gen *g, long n, double *pos)
{
    double a[2];
    for (long i = 0; i < n; i++) {
        if (mtsi_maze_ctrl_action(&g->ctrl, &g->s, a)) {
            g->reached++;
            gen_new_target(g); /* cannot fail: free cells are connected */
            mtsi_maze_ctrl_action(&g->ctrl, &g->s, a);
        }
        if (g->noise_sd > 0) {
            a[0] += g->noise_sd * mtsi_rng_normal(&g->noise_rng);
            a[1] += g->noise_sd * mtsi_rng_normal(&g->noise_rng);
        }
        if (pos) {
            pos[2 * i] = g->s.x[0];
            pos[2 * i + 1] = g->s.x[1];
        }
        g->contacts += mtsi_maze_step(g->m, &g->s, a);
    }
    return g->reached;
}

const mtsi_maze_state *mtsi_maze_gen_state(const mtsi_maze_gen *g) { return &g->s; }
long mtsi_maze_gen_contacts(const mtsi_maze_gen *g) { return g->contacts; }
