/* Planning by inpainting with a drift, and a dense Gaussian drift of the
 * maze windows (SPEC.md sections 1.1, 1.2 and 8). */
#include "config.h"
#include "mtsi_maze_drift.h"

#include "mtsi_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NP MTSI_MAZE_NPTS
#define V (2 * NP)

/* ---- the sampler --------------------------------------------------------- */

static int drift_fn(void *ctx, long n, int npin, const int *idx, const double *pin,
                    double *paths, mtsi_rng *rng)
{
    const mtsi_maze_drift_planner *p = ctx;
    unsigned char *mask = calloc((size_t)n * NP, 1);
    double *x1 = calloc((size_t)n * V, sizeof(double));
    mtsi_path *path = NULL;
    int rc = MTSI_OK;
    if (!mask || !x1) {
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory (%ld plans)", n);
        goto out;
    }
    /* one mask entry (one alpha) per point, shared by its two channels */
    for (long i = 0; i < n; i++)
        for (int j = 0; j < npin; j++) {
            mask[i * NP + idx[j]] = 1;
            for (int c = 0; c < 2; c++)
                x1[i * V + c * NP + idx[j]] = (pin[2 * (npin * i + j) + c] - p->mean[c]) / p->sd[c];
        }
    mtsi_shape shape;
    mtsi_maze_path_shape(&shape);
    path = mtsi_path_inpaint(&shape, n, mask);
    if (!path) {
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
        goto out;
    }
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = p->eps > 0 ? MTSI_INTEGRATOR_EM : MTSI_INTEGRATOR_HEUN;
    o.eps = p->eps;
    o.steps = p->steps;
    rc = mtsi_path_init(path, 0, n, 0, x1, NULL, rng, paths);
    if (!rc)
        rc = mtsi_integrate(p->d, path, &o, n, 0, paths, rng);
    if (rc)
        goto out;
    for (long i = 0; i < n; i++) {
        double *q = paths + i * V;
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < NP; t++)
                q[c * NP + t] = p->mean[c] + p->sd[c] * q[c * NP + t];
        for (int j = 0; j < npin; j++) /* exactly, not through the round trip */
            for (int c = 0; c < 2; c++)
                q[c * NP + idx[j]] = pin[2 * (npin * i + j) + c];
        for (long a = 0; a < V; a++)
            if (!isfinite(q[a])) {
                rc = mtsi_error_set(MTSI_EFAIL, "the drift produced a non-finite path");
                goto out;
            }
    }
out:
    mtsi_path_free(path);
    free(mask);
    free(x1);
    return rc;
}

int mtsi_maze_sampler_drift(mtsi_maze_sampler *s, mtsi_maze_drift_planner *p)
{
    if (!p->d || mtsi_drift_sites(p->d) != V)
        return mtsi_error_set(MTSI_EINVAL,
                              "the drift acts on %ld values, a maze path has %d (2 x %d)",
                              p->d ? mtsi_drift_sites(p->d) : 0L, V, NP);
    if (!(p->eps >= 0) || !isfinite(p->eps))
        return mtsi_error_set(MTSI_EINVAL, "--eps must be >= 0, got %g", p->eps);
    if (p->steps < 1)
        return mtsi_error_set(MTSI_EINVAL, "--steps must be >= 1, got %ld", p->steps);
    for (int c = 0; c < 2; c++)
        if (!(p->sd[c] > 0) || !isfinite(p->mean[c]))
            return mtsi_error_set(MTSI_EINVAL, "bad standardisation of channel %d: mean %g, sd %g",
                                  c, p->mean[c], p->sd[c]);
    s->fn = drift_fn;
    s->ctx = p;
    snprintf(s->name, sizeof s->name, "%s, sde eps %g, %ld steps", mtsi_drift_kind(p->d), p->eps,
             p->steps);
    return MTSI_OK;
}

/* ---- the dense Gaussian drift ------------------------------------------------ */

mtsi_drift *mtsi_maze_drift_gaussian(long n, const double *paths, double *mean, double *sd)
{
    if (n < 2) {
        mtsi_error_set(MTSI_EINVAL, "a Gaussian model needs at least 2 paths, got %ld", n);
        return NULL;
    }
    double *mu = calloc(V, sizeof(double)), *C = calloc((size_t)V * V, sizeof(double));
    double *z = malloc((size_t)V * sizeof(double));
    if (!mu || !C || !z) {
        free(mu), free(C), free(z);
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
        return NULL;
    }
    for (int c = 0; c < 2; c++) {
        double s1 = 0, s2 = 0;
        for (long i = 0; i < n; i++)
            for (int t = 0; t < NP; t++) {
                double v = paths[i * V + c * NP + t];
                s1 += v;
                s2 += v * v;
            }
        double cnt = (double)n * NP;
        mean[c] = s1 / cnt;
        sd[c] = sqrt(fmax(s2 / cnt - mean[c] * mean[c], 1e-12));
    }
    for (long i = 0; i < n; i++)
        for (int k = 0; k < V; k++)
            mu[k] += (paths[i * V + k] - mean[k / NP]) / sd[k / NP] / (double)n;
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < V; k++)
            z[k] = (paths[i * V + k] - mean[k / NP]) / sd[k / NP] - mu[k];
        for (int k = 0; k < V; k++)
            for (int l = 0; l <= k; l++)
                C[k * V + l] += z[k] * z[l] / (double)(n - 1);
    }
    for (int k = 0; k < V; k++) {
        for (int l = 0; l < k; l++)
            C[l * V + k] = C[k * V + l];
        C[k * V + k] += 1e-6;
    }
    free(z);
    mtsi_shape shape;
    mtsi_maze_path_shape(&shape);
    mtsi_drift *d = mtsi_drift_dense_new(&shape, mu, C);
    free(mu), free(C);
    return d;
}
