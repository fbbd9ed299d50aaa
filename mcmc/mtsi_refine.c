/* Refinement of given configurations by exact MCMC updates on a (tilted)
 * phi^4 law: a "corrector" after a transport sampler. Each configuration i
 * gets its own random stream (seed, i), so the result does not depend on
 * the thread count; the step size is tuned once on a pilot chain and then
 * held fixed, so every update leaves the target law invariant. */
#include "config.h"
#include "mtsi_mcmc.h"
#include "mtsi_err.h"
#include "mtsi_out.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

int mtsi_refine(const mtsi_phi4_params *p, const mtsi_sampler_opts *o, long n, double *x,
                long updates, long pilot, uint64_t seed, mtsi_refine_stats *st)
{
    const long V = p->V;
    memset(st, 0, sizeof *st);
    if (n < 1 || updates < 0 || pilot < 0)
        return mtsi_error_set(MTSI_EINVAL, "refine: n = %ld, updates = %ld, pilot = %ld", n,
                              updates, pilot);
    if (mtsi_phi4_validate(p) || mtsi_sampler_validate(o, p))
        return MTSI_EINVAL;
    if (!mtsi_sampler_is_exact(o->kind))
        return mtsi_error_set(MTSI_EINVAL,
                              "refine: sampler '%s' is not exact; use mala, hmc, fahmc or cluster",
                              mtsi_sampler_name(o->kind));
    /* pilot: tune the step on a copy of the first configuration (stream n,
     * unused by the configurations), then freeze it */
    mtsi_chain *c = mtsi_chain_new(p, o, seed, (uint64_t)n, x);
    if (!c)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    for (long k = 1; k <= pilot; k++) {
        if (mtsi_signal_pending() || mtsi_chain_update(c) < 0) {
            mtsi_chain_free(c);
            return mtsi_error_set(MTSI_EINTR, "interrupted by signal %d during the pilot run",
                                  mtsi_signal_pending());
        }
        mtsi_chain_tune(c, k);
    }
    mtsi_chain_state s0;
    mtsi_chain_get_state(c, &s0);
    mtsi_chain_free(c);
    st->step = s0.step;
    st->ncl = s0.ncl;
    mtsi_sampler_opts fixed = *o;
    fixed.tune = 0;
    long acc = 0, prop = 0;
    int rc = MTSI_OK;
    volatile int stop = 0; /* a signal: the remaining work is skipped */
#pragma omp parallel reduction(+ : acc, prop)
    {
        mtsi_chain *w = mtsi_chain_new(p, &fixed, seed, 0, NULL);
        if (!w) {
#pragma omp critical(mtsi_refine_err)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
        }
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < n; i++) {
            if (!w || stop)
                continue;
            mtsi_chain_state s = s0;
            mtsi_rng_seed(&s.rng, seed, (uint64_t)i);
            s.acc = s.prop = s.tune_acc = s.tune_prop = 0;
            mtsi_chain_set_state(w, &s, x + i * V);
            for (long k = 0; k < updates && !stop; k++)
                if (mtsi_signal_pending() || mtsi_chain_update(w) < 0)
                    stop = 1;
            memcpy(x + i * V, mtsi_chain_field(w), (size_t)V * sizeof(double));
            long a, q;
            mtsi_chain_acceptance(w, &a, &q);
            acc += a;
            prop += q;
        }
        mtsi_chain_free(w);
    }
    st->acc = acc;
    st->prop = prop;
    if (!rc && stop)
        rc = mtsi_error_set(MTSI_EINTR, "interrupted by signal %d: nothing written",
                            mtsi_signal_pending());
    return rc;
}
