/* Batched generation with a (posterior) drift: mtsi_generate.h. */
#include "config.h"
#include "mtsi_generate.h"

#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int reward_active(const mtsi_reward *r)
{
    return r && (r->h != 0 || r->A != 0 || r->h_site || r->A_site);
}

double mtsi_generate_default_t0(const mtsi_reward *r, long V, const char *model_type)
{
    if (!reward_active(r))
        return 0.0;
    for (long a = 0; a < V; a++) {
        double A = r->A_site ? r->A_site[a] : r->A, h = r->h_site ? r->h_site[a] : r->h;
        if (A == 0 && h != 0)
            return model_type && !strcmp(model_type, "neural") ? 0.05 : 1e-3;
    }
    return 0.0;
}

void mtsi_generate_default_integrator(mtsi_integrate_opts *io, const mtsi_shape *s,
                                      const char *model_type)
{
    mtsi_integrate_opts d;
    mtsi_integrate_defaults(&d);
    if (model_type && !strcmp(model_type, "neural") && mtsi_shape_is_lattice(s, NULL, NULL)) {
        d.kind = MTSI_INTEGRATOR_EM;
        d.eps = 1;
        d.schedule = MTSI_EPS_RISE;
        d.steps = 60;
    }
    io->kind = d.kind;
    io->eps = d.eps;
    io->schedule = d.schedule;
    io->steps = d.steps;
}

int mtsi_generate_start_mean(mtsi_drift *use, const mtsi_path *p, const mtsi_integrate_opts *io,
                             long V, long bs, const double *x1, int passes, int uniform,
                             uint64_t seed, double *m0, double *change)
{
    for (long a = 0; a < V; a++)
        m0[a] = 0;
    if (change)
        *change = 0;
    if (passes < 1 || !(io->t0 > 0))
        return MTSI_OK;
    double *x = malloc((size_t)(bs * V) * sizeof(double)), *m = malloc((size_t)V * sizeof(double));
    int rc = x && m ? MTSI_OK : mtsi_error_set(MTSI_ENOMEM, "out of memory for the start pilot");
    for (int k = 0; !rc && k < passes; k++) {
        mtsi_rng rng;
        mtsi_rng_seed(&rng, seed ^ MTSI_START_PILOT_SEED, (uint64_t)k);
        rc = mtsi_path_init(p, io->t0, bs, 0, x1, m0, &rng, x);
        if (!rc)
            rc = mtsi_integrate(use, p, io, bs, 0, x, &rng);
        double tot = 0;
        for (long a = 0; !rc && a < V; a++) {
            double s = 0;
            for (long i = 0; i < bs; i++)
                s += x[i * V + a];
            m[a] = s / bs;
            tot += m[a];
        }
        if (!rc && !isfinite(tot))
            rc = mtsi_error_set(MTSI_EFAIL, "the start pilot diverged (non-finite value); try more "
                                            "steps");
        double d = 0;
        for (long a = 0; !rc && a < V; a++) {
            double v = uniform ? tot / V : m[a];
            d = fmax(d, fabs(v - m0[a]));
            m0[a] = v;
        }
        if (!rc && change)
            *change = d;
        if (!rc && mtsi_signal_pending())
            rc = mtsi_error_set(MTSI_EINTR, "interrupted; nothing was written");
    }
    free(x);
    free(m);
    return rc;
}

int mtsi_generate(mtsi_drift *drift, long V, const mtsi_reward *r, const mtsi_integrate_opts *io,
                  long n, long batch, uint64_t seed, double *x, double *max_xr)
{
    return mtsi_generate_pilot(drift, V, r, io, n, batch, seed, MTSI_START_PILOT_PASSES, x, max_xr);
}

int mtsi_generate_pilot(mtsi_drift *drift, long V, const mtsi_reward *r,
                        const mtsi_integrate_opts *io, long n, long batch, uint64_t seed,
                        int passes, double *x, double *max_xr)
{
    if (n < 1 || batch < 1 || V < 1)
        return mtsi_error_set(MTSI_EINVAL, "generate: need n, batch, V >= 1 (got %ld, %ld, %ld)",
                              n, batch, V);
    if (max_xr)
        *max_xr = 0;
    if (V != mtsi_drift_sites(drift))
        return mtsi_error_set(MTSI_EINVAL, "generate: %ld values per sample but the model has %ld",
                              V, mtsi_drift_sites(drift));
    mtsi_path *path = mtsi_path_generate(mtsi_drift_shape(drift));
    if (!path)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    mtsi_drift *post = NULL;
    int rc = MTSI_OK;
    if (reward_active(r)) {
        rc = mtsi_posterior_check(path, 1, r, io->t0);
        if (!rc && !(post = mtsi_drift_posterior_new(drift, r)))
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    }
    mtsi_drift *use = post ? post : drift;
    double *m0 = NULL;
    if (!rc && io->t0 > 0) {
        int uniform = !r || (!r->h_site && !r->A_site);
        m0 = malloc((size_t)V * sizeof(double));
        rc = m0 ? mtsi_generate_start_mean(use, path, io, V, n < batch ? n : batch, NULL, passes,
                                           uniform, seed, m0, NULL)
                : mtsi_error_set(MTSI_ENOMEM, "out of memory");
    }
    for (long i0 = 0; !rc && i0 < n; i0 += batch) {
        long bs = n - i0 < batch ? n - i0 : batch;
        mtsi_rng rng;
        mtsi_rng_seed(&rng, seed, (uint64_t)(i0 / batch));
        double *xb = x + i0 * V;
        rc = mtsi_path_init(path, io->t0, bs, i0, NULL, m0, &rng, xb);
        if (!rc)
            rc = mtsi_integrate(use, path, io, bs, i0, xb, &rng);
        for (long k = 0; !rc && k < bs * V; k++)
            if (!isfinite(xb[k]))
                rc = mtsi_error_set(MTSI_EFAIL,
                                    "generated sample %ld diverged (non-finite value); try more "
                                    "steps",
                                    i0 + k / V);
        if (!rc && mtsi_signal_pending())
            rc = mtsi_error_set(MTSI_EINTR, "interrupted while generating; nothing was written");
    }
    if (post && max_xr)
        *max_xr = mtsi_posterior_max_xr(post);
    free(m0);
    mtsi_drift_free(post);
    mtsi_path_free(path);
    return rc;
}
