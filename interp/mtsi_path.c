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

typedef enum { P_GENERATE, P_INPAINT, P_SEQUENTIAL, P_TABLE } path_kind;

struct mtsi_path {
    path_kind kind;
    long V;
    int nseg;
    long nmask;
    unsigned char *mask; /* [nmask][V], 1 = observed */
    int *stage;          /* [V] sequential */
    double *table;       /* [nseg + 1][V] */
};

static mtsi_path *path_new(path_kind k, long V, int nseg)
{
    mtsi_path *p = mtsi_calloc(1, sizeof *p);
    if (p) {
        p->kind = k;
        p->V = V;
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
int mtsi_path_nseg(const mtsi_path *p) { return p->nseg; }

mtsi_path *mtsi_path_generate(long V)
{
    return path_new(P_GENERATE, V, 1);
}

static int copy_mask(mtsi_path *p, long nmask, const unsigned char *mask)
{
    if (!mask || nmask <= 0)
        return MTSI_OK;
    p->nmask = nmask;
    p->mask = malloc((size_t)(nmask * p->V));
    if (!p->mask)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for masks");
    for (long i = 0; i < nmask * p->V; i++)
        p->mask[i] = mask[i] ? 1 : 0;
    return MTSI_OK;
}

mtsi_path *mtsi_path_inpaint(long V, long nmask, const unsigned char *mask)
{
    mtsi_path *p = path_new(P_INPAINT, V, 1);
    if (p && copy_mask(p, nmask, mask)) {
        mtsi_path_free(p);
        return NULL;
    }
    return p;
}

mtsi_path *mtsi_path_sequential(long V, int nstage, const int *stage, long nmask,
                                const unsigned char *mask)
{
    if (nstage < 1) {
        mtsi_error_set(MTSI_EINVAL, "a sequential path needs at least one stage");
        return NULL;
    }
    for (long a = 0; a < V; a++)
        if (stage[a] < 0 || stage[a] >= nstage) {
            mtsi_error_set(MTSI_EINVAL, "site %ld has stage %d outside 0..%d", a, stage[a],
                           nstage - 1);
            return NULL;
        }
    mtsi_path *p = path_new(P_SEQUENTIAL, V, nstage);
    if (!p)
        return NULL;
    p->stage = malloc((size_t)V * sizeof(int));
    if (!p->stage || copy_mask(p, nmask, mask)) {
        mtsi_path_free(p);
        return NULL;
    }
    memcpy(p->stage, stage, (size_t)V * sizeof(int));
    return p;
}

mtsi_path *mtsi_path_table(long V, long nt, const double *alpha)
{
    if (nt < 2 || nt > 1000000) {
        mtsi_error_set(MTSI_EINVAL, "a tabulated path needs 2 or more time points, got %ld", nt);
        return NULL;
    }
    for (long i = 0; i < nt * V; i++)
        if (!(alpha[i] >= 0 && alpha[i] <= 1)) {
            mtsi_error_set(MTSI_EINVAL, "path value %g at time index %ld, site %ld is outside [0, 1]",
                           alpha[i], i / V, i % V);
            return NULL;
        }
    mtsi_path *p = path_new(P_TABLE, V, (int)(nt - 1));
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
    if (p->mask && p->mask[(sample % p->nmask) * p->V + a])
        return 1;
    if (p->kind == P_TABLE) {
        for (int j = 0; j <= p->nseg; j++)
            if (p->table[(long)j * p->V + a] != 0)
                return 0;
        return 1;
    }
    return 0;
}

void mtsi_path_eval(const mtsi_path *p, long sample, int seg, double t, double *alpha,
                    double *dalpha)
{
    const long V = p->V;
    const unsigned char *m = p->mask ? p->mask + (sample % p->nmask) * V : NULL;
    const double K = (double)p->nseg;
    switch (p->kind) {
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
        const double *a0 = p->table + (long)seg * V, *a1 = a0 + V;
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

/* ---- site orders ----------------------------------------------------- */

static void coords(long a, int dim, long L, long *x)
{
    for (int d = dim - 1; d >= 0; d--) {
        x[d] = a % L;
        a /= L;
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

int mtsi_order_stages(const char *spec, int dim, long L, uint64_t seed, int *stage)
{
    char name[32];
    long arg = 0, groups = 0;
    const char *colon = strchr(spec, ':');
    size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
    if (nl >= sizeof name)
        return -mtsi_error_set(MTSI_EINVAL, "--order: unknown order '%s'", spec);
    memcpy(name, spec, nl);
    name[nl] = '\0';
    long V = 1;
    for (int d = 0; d < dim; d++)
        V *= L;
    /* block:S[:G], others [:G] */
    const char *rest = colon ? colon + 1 : NULL;
    char *end;
    if (!strcmp(name, "block")) {
        if (!rest || !*rest)
            return -mtsi_error_set(MTSI_EINVAL, "--order: block needs a size, e.g. block:4");
        arg = strtol(rest, &end, 10);
        if (end == rest || (*end && *end != ':') || arg < 1 || L % arg)
            return -mtsi_error_set(MTSI_EINVAL,
                                   "--order: block size in '%s' must be a positive divisor of L = %ld",
                                   spec, L);
        rest = *end == ':' ? end + 1 : NULL;
    }
    if (rest) {
        groups = strtol(rest, &end, 10);
        if (end == rest || *end || groups < 1)
            return -mtsi_error_set(MTSI_EINVAL, "--order: bad number of stages in '%s'", spec);
    }
    long *rank = malloc((size_t)V * sizeof(long));
    if (!rank)
        return -mtsi_error_set(MTSI_ENOMEM, "out of memory");
    long nat = V; /* natural number of stages */
    long x[8] = {0};
    if (!strcmp(name, "raster")) {
        for (long a = 0; a < V; a++)
            rank[a] = a;
    } else if (!strcmp(name, "column")) {
        for (long a = 0; a < V; a++)
            rank[a] = a % L;
        nat = L;
    } else if (!strcmp(name, "row")) {
        for (long a = 0; a < V; a++) {
            coords(a, dim, L, x);
            rank[a] = x[0];
        }
        nat = L;
    } else if (!strcmp(name, "block")) {
        long nb = L / arg;
        nat = 1;
        for (int d = 0; d < dim; d++)
            nat *= nb;
        for (long a = 0; a < V; a++) {
            coords(a, dim, L, x);
            long r = 0;
            for (int d = 0; d < dim; d++)
                r = r * nb + x[d] / arg;
            rank[a] = r;
        }
    } else if (!strcmp(name, "morton")) {
        int bits = 0;
        while ((1L << bits) < L)
            bits++;
        if ((1L << bits) != L) {
            free(rank);
            return -mtsi_error_set(MTSI_EINVAL, "--order: morton needs L a power of two, got %ld", L);
        }
        for (long a = 0; a < V; a++) {
            coords(a, dim, L, x);
            rank[a] = (long)morton(x, dim, bits);
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
                               "--order: unknown order '%s' (raster, column, row, block:S, morton, random)",
                               spec);
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
 * generation, inpainting and sequential paths it is x0 alone, since its
 * data value is what is being sampled: starting at t0 > 0 this way has an
 * O(t0) error (the posterior's t_min). */
int mtsi_path_init(const mtsi_path *p, double t0, long batch, long sample0, const double *x1,
                   mtsi_rng *rng, double *x)
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
            if (known)
                v = x1[i * V + a];
            else if (mix)
                v = al * mtsi_rng_normal(rng) + (1.0 - al) * x1[i * V + a];
            else
                v = mtsi_rng_normal(rng);
            x[i * V + a] = v;
        }
    }
    free(alpha);
    return rc;
}
