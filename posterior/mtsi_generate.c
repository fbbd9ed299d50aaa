/* Batched generation with a (posterior) drift: mtsi_generate.h. */
#include "config.h"
#include "mtsi_generate.h"

#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_rng.h"

#include <math.h>
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

int mtsi_generate(mtsi_drift *drift, long V, const mtsi_reward *r, const mtsi_integrate_opts *io,
                  long n, long batch, uint64_t seed, double *x, double *max_xr)
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
    for (long i0 = 0; !rc && i0 < n; i0 += batch) {
        long bs = n - i0 < batch ? n - i0 : batch;
        mtsi_rng rng;
        mtsi_rng_seed(&rng, seed, (uint64_t)(i0 / batch));
        double *xb = x + i0 * V;
        rc = mtsi_path_init(path, io->t0, bs, i0, NULL, &rng, xb);
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
    mtsi_drift_free(post);
    mtsi_path_free(path);
    return rc;
}
