/* stream_obs: the configurations `mtsi train --stream-mcmc` trains on, as
 * observables with Gamma-method errors, for tests/train_stream_law.sh to
 * compare with `mtsi mcmc --sampler cluster` at the same couplings.
 *
 *   stream_obs M2 LAMBDA L CHAINS THIN THERM N SEED
 *
 * Builds the training stream of those settings (mtsi_train_stream_new:
 * the trainer's chains 0 .. CHAINS - 1), thermalises it, draws N
 * configurations in stream order (in batches of 24, as training steps draw
 * them) and prints, for m2 and abs_m, "NAME mean err tau_int" (to 10
 * digits: equal output from runs with other thread counts means the same
 * configurations). Configuration k came from chain k mod CHAINS, so the
 * values are regrouped chain by chain and analysed as CHAINS replica: the
 * error includes each chain's autocorrelation. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_gamma.h"
#include "mtsi_phi4.h"
#include "mtsi_stream.h"
#include "mtsi_train.h"

#include <stdio.h>
#include <stdlib.h>

#define BATCH 24

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: stream_obs M2 LAMBDA L CHAINS THIN THERM N SEED\n");
        return 2;
    }
    mtsi_train_cfg c;
    mtsi_train_defaults(&c);
    c.stream = 1;
    c.m2 = atof(argv[1]);
    c.lambda = atof(argv[2]);
    c.stream_L = atol(argv[3]);
    c.stream_chains = atol(argv[4]);
    c.stream_thin = atol(argv[5]);
    c.stream_therm = atol(argv[6]);
    const long n = atol(argv[7]), C = c.stream_chains;
    c.seed = (uint64_t)atoll(argv[8]);
    if (n < C || n % C) {
        fprintf(stderr, "stream_obs: N must be a multiple of CHAINS\n");
        return 2;
    }
    mtsi_stream *s = mtsi_train_stream_new(&c, 0, C);
    mtsi_phi4_params p;
    mtsi_phi4_set_lattice(&p, 2, c.stream_L);
    mtsi_phi4_set_m2_lambda(&p, c.m2, c.lambda);
    mtsi_phi4_meas *meas = s ? mtsi_phi4_meas_new(&p) : NULL;
    const long V = p.V, per = n / C;
    double *x = malloc((size_t)(BATCH * V) * sizeof(double));
    double *obs = malloc(2 * (size_t)n * sizeof(double));
    long *len = malloc((size_t)C * sizeof(long));
    if (!s || !meas || !x || !obs || !len || mtsi_stream_thermalize(s)) {
        fprintf(stderr, "stream_obs: %s\n", mtsi_error_msg());
        return 1;
    }
    /* in batches of 24, as a training step draws them (chains advanced in
     * parallel, a chain twice in a batch when there are fewer than 24) */
    for (long k0 = 0; k0 < n; k0 += BATCH) {
        const long m = n - k0 < BATCH ? n - k0 : BATCH;
        if (mtsi_stream_draw(s, m, x, NULL)) {
            fprintf(stderr, "stream_obs: %s\n", mtsi_error_msg());
            return 1;
        }
        for (long j = 0; j < m; j++) {
            const long k = k0 + j;
            mtsi_phi4_obs o;
            mtsi_phi4_meas_run(meas, x + j * V, &o, NULL);
            long i = (k % C) * per + k / C; /* chain k mod C, its (k / C)-th value */
            obs[i] = o.m2;
            obs[n + i] = o.abs_m;
        }
    }
    for (long r = 0; r < C; r++)
        len[r] = per;
    mtsi_gamma *g = mtsi_gamma_new(2, (int)C, len);
    const char *names[2] = {"m2", "abs_m"};
    int rc = g ? 0 : 1;
    for (int k = 0; k < 2 && !rc; k++) {
        mtsi_gamma_result res;
        rc = mtsi_gamma_set_obs(g, k, obs + (size_t)k * (size_t)n) ||
             mtsi_gamma_primary(g, k, &res);
        if (!rc)
            printf("%s %.10g %.6g %.4g\n", names[k], res.value, res.err, res.tau_int);
    }
    if (rc)
        fprintf(stderr, "stream_obs: %s\n", mtsi_error_msg());
    mtsi_gamma_free(g);
    mtsi_phi4_meas_free(meas);
    mtsi_stream_free(s);
    free(x);
    free(obs);
    free(len);
    return rc;
}
