/* The training law nu of alpha (SPEC.md section 1.1): a mixture of a
 * scalar alpha, i.i.d. per-point alphas, mask-structured and block-structured
 * draws, one alpha per grid point. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mtsi_nu_names[MTSI_NU_NCOMP] = {"scalar", "site", "mask", "block"};

/* ---- ν ------------------------------------------------------------------ */

void mtsi_nu_default(mtsi_nu *nu)
{
    nu->w[MTSI_NU_SCALAR] = 0.4;
    nu->w[MTSI_NU_SITE] = 0.2;
    nu->w[MTSI_NU_MASK] = 0.3;
    nu->w[MTSI_NU_BLOCK] = 0.1;
    nu->block = 4;
}

int mtsi_nu_parse(mtsi_nu *nu, const char *s)
{
    double w[MTSI_NU_NCOMP] = {0, 0, 0, 0};
    int seen[MTSI_NU_NCOMP] = {0, 0, 0, 0};
    char buf[256];
    if (!s || !*s)
        return mtsi_error_set(MTSI_EINVAL, "--nu: empty mixture (expected e.g. "
                                           "'scalar=0.4,site=0.2,mask=0.3,block=0.1')");
    if (strlen(s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "--nu: string too long");
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return mtsi_error_set(MTSI_EINVAL, "--nu: expected KEY=WEIGHT, got '%s'", tok);
        *eq = 0;
        int k = -1;
        for (int i = 0; i < MTSI_NU_NCOMP; i++)
            if (!strcmp(tok, mtsi_nu_names[i]))
                k = i;
        if (k < 0)
            return mtsi_error_set(MTSI_EINVAL,
                                  "--nu: unknown component '%s' (scalar, site, mask, block)", tok);
        if (seen[k])
            return mtsi_error_set(MTSI_EINVAL, "--nu: component '%s' given twice", tok);
        seen[k] = 1;
        char *end;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v) || v < 0)
            return mtsi_error_set(MTSI_EINVAL, "--nu: weight of '%s' must be a number >= 0, got '%s'",
                                  tok, eq + 1);
        w[k] = v;
    }
    double sum = 0;
    for (int i = 0; i < MTSI_NU_NCOMP; i++)
        sum += w[i];
    if (!(sum > 0))
        return mtsi_error_set(MTSI_EINVAL, "--nu: the weights sum to 0 in '%s'", s);
    for (int i = 0; i < MTSI_NU_NCOMP; i++)
        nu->w[i] = w[i] / sum;
    return MTSI_OK;
}

void mtsi_nu_format(const mtsi_nu *nu, char *buf, int n)
{
    snprintf(buf, (size_t)n, "scalar=%.17g,site=%.17g,mask=%.17g,block=%.17g",
             nu->w[MTSI_NU_SCALAR], nu->w[MTSI_NU_SITE], nu->w[MTSI_NU_MASK],
             nu->w[MTSI_NU_BLOCK]);
}

int mtsi_nu_sample(const mtsi_nu *nu, const mtsi_shape *sh, mtsi_rng *r, long *work,
                   double *alpha)
{
    const long V = mtsi_shape_points(sh);
    double c = mtsi_rng_uniform(r), acc = 0;
    int k = MTSI_NU_NCOMP - 1;
    while (k > 0 && nu->w[k] == 0)
        k--; /* the last component with weight catches rounding at c ~ 1 */
    for (int i = 0; i < MTSI_NU_NCOMP; i++) {
        acc += nu->w[i];
        if (nu->w[i] > 0 && c < acc) {
            k = i;
            break;
        }
    }
    switch (k) {
    case MTSI_NU_SCALAR: {
        double u = mtsi_rng_uniform(r);
        for (long a = 0; a < V; a++)
            alpha[a] = u;
        break;
    }
    case MTSI_NU_SITE:
        for (long a = 0; a < V; a++)
            alpha[a] = mtsi_rng_uniform(r);
        break;
    case MTSI_NU_MASK: {
        /* exactly round(f V) points at 0: the first m of a partial
         * Fisher-Yates shuffle. */
        double f = mtsi_rng_uniform(r), u = mtsi_rng_uniform(r);
        long m = (long)floor(f * (double)V + 0.5);
        for (long a = 0; a < V; a++) {
            work[a] = a;
            alpha[a] = u;
        }
        for (long i = 0; i < m; i++) {
            long j = i + (long)mtsi_rng_below(r, (uint64_t)(V - i));
            long t = work[i];
            work[i] = work[j];
            work[j] = t;
            alpha[work[i]] = 0;
        }
        break;
    }
    default: {
        /* s^naxes blocks in raster order, each with its own u; a side not
         * divisible by s ends with a smaller block */
        long n[3] = {1, 1, 1};
        const int na = sh->naxes;
        for (int d = 0; d < na; d++)
            n[3 - na + d] = sh->n[d]; /* n[2] the fastest axis */
        long s = nu->block < 1 ? 1 : nu->block;
        long sz = na == 3 ? s : 1, sy = na >= 2 ? s : 1;
        for (long z0 = 0; z0 < n[0]; z0 += sz)
            for (long y0 = 0; y0 < n[1]; y0 += sy)
                for (long x0 = 0; x0 < n[2]; x0 += s) {
                    double u = mtsi_rng_uniform(r);
                    for (long z = z0; z < z0 + sz && z < n[0]; z++)
                        for (long y = y0; y < y0 + sy && y < n[1]; y++)
                            for (long x = x0; x < x0 + s && x < n[2]; x++)
                                alpha[(z * n[1] + y) * n[2] + x] = u;
                }
        break;
    }
    }
    return k;
}
