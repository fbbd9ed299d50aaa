/* alpha paths (SPEC 1.1): generation, inpainting, sequential orders and
 * user tables. Each is data plus one evaluation rule, so integrators never
 * need to know which task they serve. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { P_GENERATE, P_INPAINT, P_SEQUENTIAL, P_TABLE, P_NOISY } path_kind;

/* Everything is stored per grid point (P of them); evaluation repeats a
 * point's alpha over its C channels (V = C * P values). */
struct mtsi_path {
    path_kind kind;
    long V, P;
    int C;
    int nseg;
    long nmask;
    double obs_alpha;    /* P_NOISY: alpha_s, where observed points start */
    unsigned char *mask; /* [nmask][P], 1 = observed */
    int *stage;          /* [P] sequential */
    double *table;       /* [nseg + 1][P] */
};

static mtsi_path *path_new(path_kind k, const mtsi_shape *s, int nseg)
{
    if (mtsi_shape_check(s, "path"))
        return NULL;
    mtsi_path *p = mtsi_calloc(1, sizeof *p);
    if (p) {
        p->kind = k;
        p->P = mtsi_shape_points(s);
        p->C = s->channels;
        p->V = p->P * p->C;
        p->nseg = nseg;
    }
    return p;
}

void mtsi_path_free(mtsi_path *p)
{
    if (!p)
        return;
    free(p->mask);
    free(p->stage);
    free(p->table);
    free(p);
}

long mtsi_path_sites(const mtsi_path *p) { return p->V; }
long mtsi_path_points(const mtsi_path *p) { return p->P; }
double mtsi_path_obs_alpha(const mtsi_path *p) { return p->obs_alpha; }
int mtsi_path_seg_reversal(const mtsi_path *p, int seg) { return p->kind == P_NOISY && seg == 1; }
int mtsi_path_nseg(const mtsi_path *p) { return p->nseg; }

mtsi_path *mtsi_path_generate(const mtsi_shape *s)
{
    return path_new(P_GENERATE, s, 1);
}

static int copy_mask(mtsi_path *p, long nmask, const unsigned char *mask)
{
    if (!mask || nmask <= 0)
        return MTSI_OK;
    for (long i = 0; i < nmask * p->P; i++)
        if (mask[i] > 1)
            return mtsi_error_set(MTSI_EINVAL, "mask %ld has the value %d at point %ld (0 or 1)",
                                  i / p->P, mask[i], i % p->P);
    p->nmask = nmask;
    p->mask = malloc((size_t)(nmask * p->P));
    if (!p->mask)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for masks");
    memcpy(p->mask, mask, (size_t)(nmask * p->P));
    return MTSI_OK;
}

mtsi_path *mtsi_path_inpaint(const mtsi_shape *s, long nmask, const unsigned char *mask)
{
    mtsi_path *p = path_new(P_INPAINT, s, 1);
    if (p && copy_mask(p, nmask, mask)) {
        mtsi_path_free(p);
        return NULL;
    }
    return p;
}

mtsi_path *mtsi_path_inpaint_noisy(const mtsi_shape *s, long nmask, const unsigned char *mask,
                                   double sigma)
{
    if (!(sigma >= 0 && sigma <= 1e6)) {
        mtsi_error_set(MTSI_EINVAL, "--noise: sigma must be in [0, 1e6], got %g", sigma);
        return NULL;
    }
    if (sigma == 0)
        return mtsi_path_inpaint(s, nmask, mask);
    mtsi_path *p = path_new(P_NOISY, s, 2);
    if (p && copy_mask(p, nmask, mask)) {
        mtsi_path_free(p);
        return NULL;
    }
    if (p)
        p->obs_alpha = sigma / (1.0 + sigma);
    return p;
}

mtsi_path *mtsi_path_sequential(const mtsi_shape *sh, int nstage, const int *stage, long nmask,
                                const unsigned char *mask)
{
    if (nstage < 1) {
        mtsi_error_set(MTSI_EINVAL, "a sequential path needs at least one stage");
        return NULL;
    }
    const long P = mtsi_shape_points(sh);
    for (long a = 0; a < P; a++)
        if (stage[a] < 0 || stage[a] >= nstage) {
            mtsi_error_set(MTSI_EINVAL, "point %ld has stage %d outside 0..%d", a, stage[a],
                           nstage - 1);
            return NULL;
        }
    mtsi_path *p = path_new(P_SEQUENTIAL, sh, nstage);
    if (!p)
        return NULL;
    p->stage = malloc((size_t)P * sizeof(int));
    if (!p->stage || copy_mask(p, nmask, mask)) {
        mtsi_path_free(p);
        return NULL;
    }
    memcpy(p->stage, stage, (size_t)P * sizeof(int));
    return p;
}

mtsi_path *mtsi_path_table(const mtsi_shape *sh, long nt, const double *alpha)
{
    const long V = mtsi_shape_points(sh);
    if (nt < 2 || nt > 1000000) {
        mtsi_error_set(MTSI_EINVAL, "a tabulated path needs 2 or more time points, got %ld", nt);
        return NULL;
    }
    for (long i = 0; i < nt * V; i++)
        if (!(alpha[i] >= 0 && alpha[i] <= 1)) {
            mtsi_error_set(MTSI_EINVAL, "path value %g at time index %ld, point %ld is outside [0, 1]",
                           alpha[i], i / V, i % V);
            return NULL;
        }
    mtsi_path *p = path_new(P_TABLE, sh, (int)(nt - 1));
    if (!p)
        return NULL;
    p->table = malloc((size_t)(nt * V) * sizeof(double));
    if (!p->table) {
        mtsi_path_free(p);
        mtsi_error_set(MTSI_ENOMEM, "out of memory for a path table");
        return NULL;
    }
    memcpy(p->table, alpha, (size_t)(nt * V) * sizeof(double));
    return p;
}

int mtsi_path_observed(const mtsi_path *p, long sample, long a)
{
    a %= p->P;
    if (p->mask && p->mask[(sample % p->nmask) * p->P + a])
        return 1;
    if (p->kind == P_TABLE) {
        for (int j = 0; j <= p->nseg; j++)
            if (p->table[(long)j * p->P + a] != 0)
                return 0;
        return 1;
    }
    return 0;
}

/* One channel's worth (P points) of alpha and alpha'. */
static void eval_points(const mtsi_path *p, long sample, int seg, double t, double *alpha,
                        double *dalpha)
{
    const long V = p->P;
    const unsigned char *m = p->mask ? p->mask + (sample % p->nmask) * V : NULL;
    const double K = (double)p->nseg;
    switch (p->kind) {
    case P_NOISY: {
        /* stage 0: missing points 1 -> a_s, observed held at a_s;
         * stage 1: every point a_s -> 0 */
        const double as = p->obs_alpha;
        double u = fmin(1.0, fmax(0.0, t * K - seg));
        for (long a = 0; a < V; a++) {
            double al, da;
            if (seg == 0) {
                int obs = m && m[a];
                al = obs ? as : 1.0 - u * (1.0 - as);
                da = obs ? 0.0 : -K * (1.0 - as);
            } else {
                al = as * (1.0 - u);
                da = -K * as;
            }
            if (alpha)
                alpha[a] = al;
            if (dalpha)
                dalpha[a] = da;
        }
        break;
    }
    case P_GENERATE:
    case P_INPAINT:
        for (long a = 0; a < V; a++) {
            int obs = m && m[a];
            if (alpha) /* clamped: t may pass 1 by rounding at the last step */
                alpha[a] = obs ? 0.0 : fmin(1.0, fmax(0.0, 1.0 - t));
            if (dalpha)
                dalpha[a] = obs ? 0.0 : -1.0;
        }
        break;
    case P_SEQUENTIAL: {
        /* stage k runs over t in [k/K, (k+1)/K]; its sites go 1 -> 0 */
        double u = t * K - seg; /* progress inside the current stage, 0..1 */
        for (long a = 0; a < V; a++) {
            double al, da;
            int s = p->stage[a];
            if (m && m[a]) {
                al = 0, da = 0;
            } else if (s < seg) {
                al = 0, da = 0;
            } else if (s > seg) {
                al = 1, da = 0;
            } else {
                al = 1.0 - u, da = -K;
            }
            if (al < 0)
                al = 0;
            if (al > 1)
                al = 1;
            if (alpha)
                alpha[a] = al;
            if (dalpha)
                dalpha[a] = da;
        }
        break;
    }
    case P_TABLE: {
        const double *a0 = p->table + (long)seg * V, *a1 = a0 + V; /* V = P here */
        double u = t * K - seg;
        for (long a = 0; a < V; a++) {
            int obs = m && m[a];
            if (alpha)
                alpha[a] = obs ? 0.0 : fmin(1.0, fmax(0.0, a0[a] + u * (a1[a] - a0[a])));
            if (dalpha)
                dalpha[a] = obs ? 0.0 : K * (a1[a] - a0[a]);
        }
        break;
    }
    }
}

void mtsi_path_eval(const mtsi_path *p, long sample, int seg, double t, double *alpha,
                    double *dalpha)
{
    eval_points(p, sample, seg, t, alpha, dalpha);
    for (int c = 1; c < p->C; c++) {
        if (alpha)
            memcpy(alpha + c * p->P, alpha, (size_t)p->P * sizeof(double));
        if (dalpha)
            memcpy(dalpha + c * p->P, dalpha, (size_t)p->P * sizeof(double));
    }
}

int mtsi_path_held(const mtsi_path *p, long sample, int seg, long a)
{
    return p->kind == P_NOISY && seg == 0 && mtsi_path_observed(p, sample, a);
}

/* ---- point orders ---------------------------------------------------- */

static void coords(long a, const mtsi_shape *s, long *x)
{
    for (int d = s->naxes - 1; d >= 0; d--) {
        x[d] = a % s->n[d];
        a /= s->n[d];
    }
}

static unsigned long long morton(const long *x, int dim, int bits)
{
    unsigned long long code = 0;
    for (int b = bits - 1; b >= 0; b--)
        for (int d = 0; d < dim; d++)
            code = (code << 1) | (unsigned long long)((x[d] >> b) & 1);
    return code;
}

struct zkey {
    unsigned long long code;
    long point;
};

static int zkey_cmp(const void *pa, const void *pb)
{
    const struct zkey *a = pa, *b = pb;
    return (a->code > b->code) - (a->code < b->code);
}

/* "NAME:ARG" with a positive integer ARG that divides the axis sizes it
 * applies to (every axis, or only the first for strips). */
static int order_arg(const char *spec, const char *name, const char **rest, const mtsi_shape *s,
                     int first_only, long *arg)
{
    char *end;
    if (!*rest || !**rest)
        return mtsi_error_set(MTSI_EINVAL, "--order: %s needs a size, e.g. %s:4", name, name);
    *arg = strtol(*rest, &end, 10);
    int ok = end != *rest && (!*end || *end == ':') && *arg >= 1;
    for (int d = 0; ok && d < (first_only ? 1 : s->naxes); d++)
        ok = s->n[d] % *arg == 0;
    if (!ok) {
        char sh[200];
        mtsi_shape_format(s, sh, sizeof sh);
        return mtsi_error_set(MTSI_EINVAL,
                              "--order: the size in '%s' must be a positive divisor of %s of the %s",
                              spec, first_only ? "the first side" : "every side", sh);
    }
    *rest = *end == ':' ? end + 1 : NULL;
    return MTSI_OK;
}

int mtsi_order_stages(const char *spec, const mtsi_shape *s, uint64_t seed, int *stage)
{
    char name[32];
    long arg = 0, groups = 0;
    const char *colon = strchr(spec, ':');
    size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
    if (nl >= sizeof name)
        return -mtsi_error_set(MTSI_EINVAL, "--order: unknown order '%s'", spec);
    memcpy(name, spec, nl);
    name[nl] = '\0';
    const int dim = s->naxes;
    const long V = mtsi_shape_points(s);
    const long last = s->n[dim - 1];
    /* block:S[:G], strips:S[:G], others [:G] */
    const char *rest = colon ? colon + 1 : NULL;
    char *end;
    if (!strcmp(name, "block") && order_arg(spec, name, &rest, s, 0, &arg))
        return -MTSI_EINVAL;
    if (!strcmp(name, "strips") && order_arg(spec, name, &rest, s, 1, &arg))
        return -MTSI_EINVAL;
    if (rest) {
        groups = strtol(rest, &end, 10);
        if (end == rest || *end || groups < 1)
            return -mtsi_error_set(MTSI_EINVAL, "--order: bad number of stages in '%s'", spec);
    }
    long *rank = malloc((size_t)V * sizeof(long));
    if (!rank)
        return -mtsi_error_set(MTSI_ENOMEM, "out of memory");
    long nat = V; /* natural number of stages */
    long x[MTSI_SHAPE_MAXAXES] = {0};
    int bad = 0;
    if (!strcmp(name, "raster")) {
        for (long a = 0; a < V; a++)
            rank[a] = a;
    } else if (!strcmp(name, "column")) {
        for (long a = 0; a < V; a++)
            rank[a] = a % last;
        nat = last;
    } else if (!strcmp(name, "row")) {
        for (long a = 0; a < V; a++) {
            coords(a, s, x);
            rank[a] = x[0];
        }
        nat = s->n[0];
    } else if (!strcmp(name, "strips")) {
        for (long a = 0; a < V; a++) {
            coords(a, s, x);
            rank[a] = x[0] / arg;
        }
        nat = s->n[0] / arg;
    } else if (!strcmp(name, "block")) {
        nat = 1;
        for (int d = 0; d < dim; d++)
            nat *= s->n[d] / arg;
        for (long a = 0; a < V; a++) {
            coords(a, s, x);
            long r = 0;
            for (int d = 0; d < dim; d++)
                r = r * (s->n[d] / arg) + x[d] / arg;
            rank[a] = r;
        }
    } else if (!strcmp(name, "quadrants")) {
        bad = dim != 2 || s->n[0] % 2 || s->n[1] % 2;
        if (bad)
            mtsi_error_set(MTSI_EINVAL, "--order: quadrants needs a 2-D grid with even sides");
        for (long a = 0; !bad && a < V; a++) {
            coords(a, s, x);
            rank[a] = (x[0] >= s->n[0] / 2) * 2 + (x[1] >= s->n[1] / 2);
        }
        nat = 4;
    } else if (!strcmp(name, "morton")) {
        /* Z-order of the smallest power-of-two cube holding the grid; the
         * points outside it are skipped, so the ranks stay 0..V-1. */
        int bits = 0;
        for (int d = 0; d < dim; d++)
            while ((1L << bits) < s->n[d])
                bits++;
        bad = bits * dim > 62;
        if (bad)
            mtsi_error_set(MTSI_EINVAL, "--order: morton: the grid is too large for a 64-bit code");
        struct zkey *key = bad ? NULL : malloc((size_t)V * sizeof *key);
        if (!bad && !key) {
            free(rank);
            return -mtsi_error_set(MTSI_ENOMEM, "out of memory");
        }
        for (long a = 0; !bad && a < V; a++) {
            coords(a, s, x);
            key[a].code = morton(x, dim, bits);
            key[a].point = a;
        }
        if (!bad) {
            qsort(key, (size_t)V, sizeof *key, zkey_cmp);
            for (long r = 0; r < V; r++)
                rank[key[r].point] = r;
            free(key);
        }
    } else if (!strcmp(name, "random")) {
        mtsi_rng r;
        mtsi_rng_seed(&r, seed, 0);
        for (long a = 0; a < V; a++)
            rank[a] = a;
        for (long a = V - 1; a > 0; a--) { /* Fisher-Yates */
            long j = (long)mtsi_rng_below(&r, (uint64_t)(a + 1));
            long t = rank[a];
            rank[a] = rank[j];
            rank[j] = t;
        }
    } else {
        free(rank);
        return -mtsi_error_set(MTSI_EINVAL,
                               "--order: unknown order '%s' (raster, column, row, strips:S, "
                               "block:S, quadrants, morton, random)",
                               spec);
    }
    if (bad) {
        free(rank);
        return -MTSI_EINVAL;
    }
    if (groups > nat) {
        free(rank);
        return -mtsi_error_set(MTSI_EINVAL, "--order: %ld stages but the order has only %ld", groups,
                               nat);
    }
    long ns = groups ? groups : nat;
    if (ns > 1000000) {
        free(rank);
        return -mtsi_error_set(MTSI_EINVAL, "--order: %ld stages is too many; group them, e.g. %s:64",
                               ns, name);
    }
    for (long a = 0; a < V; a++)
        stage[a] = (int)(groups ? rank[a] * groups / nat : rank[a]);
    free(rank);
    return (int)ns;
}

/* X_{t0}: observed sites take x1; sites at alpha = 1 take x0 ~ N(0, 1).
 * A site strictly between: on a user (table) path it is the interpolant
 * alpha x0 + (1 - alpha) x1 of the given configuration (a refinement); on
 * generation, inpainting and sequential paths its data value is what is
 * being sampled, so it starts at alpha x0 + (1 - alpha) m0 with m0 the data
 * law's mean at that site (0 when m0 is NULL): the interpolant's first two
 * moments up to the (1 - alpha)^2 Cov(x1) term, an O(t0^2) error where x0
 * alone would be O(t0) (the posterior's t_min, SPEC 2). */
int mtsi_path_init(const mtsi_path *p, double t0, long batch, long sample0, const double *x1,
                   const double *m0, mtsi_rng *rng, double *x)
{
    const long V = p->V;
    const int K = p->nseg;
    int seg = (int)floor(t0 * K);
    if (seg >= K)
        seg = K - 1;
    double *alpha = malloc((size_t)V * sizeof(double));
    if (!alpha)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    int rc = MTSI_OK;
    for (long i = 0; i < batch && !rc; i++) {
        mtsi_path_eval(p, sample0 + i, seg, t0, alpha, NULL);
        for (long a = 0; a < V; a++) {
            double al = alpha[a], v;
            int known = al == 0 || mtsi_path_observed(p, sample0 + i, a);
            int mix = !known && al < 1 && p->kind == P_TABLE;
            if ((known || mix) && !x1) {
                rc = mtsi_error_set(MTSI_EINVAL, "this path starts with known sites: give observed "
                                                 "configurations (--from)");
                break;
            }
            if (known) /* a noisy observation y starts as (1 - alpha_s) y */
                v = p->kind == P_NOISY ? (1.0 - p->obs_alpha) * x1[i * V + a] : x1[i * V + a];
            else if (mix)
                v = al * mtsi_rng_normal(rng) + (1.0 - al) * x1[i * V + a];
            else if (al < 1)
                v = al * mtsi_rng_normal(rng) + (1.0 - al) * (m0 ? m0[a] : 0.0);
            else
                v = mtsi_rng_normal(rng);
            x[i * V + a] = v;
        }
    }
    free(alpha);
    return rc;
}
