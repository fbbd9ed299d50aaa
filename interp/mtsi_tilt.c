/* An ensemble tilted by a field, by reweighting: mtsi_tilt.h. */
#include "config.h"
#include "mtsi_tilt.h"

#include "mtsi_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double mtsi_tilt_field(const mtsi_tilt_table *t, int k)
{
    return t->H * (2.0 * ((double)k + 0.5) / (double)t->K - 1.0);
}

int mtsi_tilt_table_init(mtsi_tilt_table *t, const double *configs, long n, long V, double H,
                         int K)
{
    memset(t, 0, sizeof *t);
    if (n < 1 || V < 1 || K < 1 || !(H > 0 && H <= 10))
        return mtsi_error_set(MTSI_EINVAL, "tilt: need n, V, K >= 1 and H in (0, 10] (got %ld, "
                                           "%ld, %d, %g)",
                              n, V, K, H);
    const long m = 2 * n;
    double *M = malloc((size_t)n * sizeof(double));
    t->cdf = malloc((size_t)K * (size_t)m * sizeof(double));
    if (!M || !t->cdf) {
        free(M);
        free(t->cdf);
        t->cdf = NULL;
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for the tilt of %ld configurations", n);
    }
    t->n = n;
    t->K = K;
    t->H = H;
    double mmax = 0;
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long a = 0; a < V; a++)
            s += configs[i * V + a];
        M[i] = s;
        mmax = fmax(mmax, fabs(s));
    }
    double ess = (double)m;
    for (int k = 0; k < K; k++) {
        /* weights relative to the largest possible, e^{|h| max |M|}: none
         * overflows, and the largest pair's is at least e^{-2 |h| max|M|} */
        const double h = mtsi_tilt_field(t, k), top = fabs(h) * mmax;
        double *c = t->cdf + (size_t)k * (size_t)m, sum = 0, sum2 = 0;
        for (long j = 0; j < m; j++) {
            const double w = exp(h * (j < n ? M[j] : -M[j - n]) - top);
            sum += w;
            sum2 += w * w;
            c[j] = sum;
        }
        for (long j = 0; j < m; j++)
            c[j] /= sum;
        c[m - 1] = 1;
        ess = fmin(ess, sum * sum / sum2);
    }
    t->ess = ess / 2;
    free(M);
    return MTSI_OK;
}

void mtsi_tilt_table_free(mtsi_tilt_table *t)
{
    free(t->cdf);
    memset(t, 0, sizeof *t);
}

long mtsi_tilt_draw(const mtsi_tilt_table *t, mtsi_rng *r, int *k)
{
    const long m = 2 * t->n;
    *k = (int)mtsi_rng_below(r, (uint64_t)t->K);
    const double *c = t->cdf + (size_t)*k * (size_t)m, u = mtsi_rng_uniform(r);
    long lo = 0, hi = m - 1; /* the first j with c[j] > u (u < 1 = c[m - 1]) */
    while (lo < hi) {
        const long mid = lo + (hi - lo) / 2;
        if (c[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
