/* The dense-Gaussian baseline of SPEC §7: a Gaussian with full P×P
 * covariance fitted to the training images, and its exact conditional
 * mean given the observed pixels. */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_err.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);

int mtsi_img_gauss_fit(const mtsi_img_set *s, double *mu, double *cov)
{
    long P = (long)s->h * s->w, n = s->n;
    if (n < 2)
        return mtsi_error_set(MTSI_EINVAL, "Gaussian fit: %ld images (need at least 2)", n);
    double *d = mtsi_malloc((size_t)(n * P) * sizeof(double));
    if (!d)
        return MTSI_ENOMEM;
    memset(mu, 0, (size_t)P * sizeof(double));
    for (long i = 0; i < n; i++)
        for (long q = 0; q < P; q++)
            mu[q] += s->x[i * P + q];
    for (long q = 0; q < P; q++)
        mu[q] /= (double)n;
    for (long i = 0; i < n; i++)
        for (long q = 0; q < P; q++)
            d[i * P + q] = s->x[i * P + q] - mu[q];
    /* C = DᵀD / n (upper triangle by dsyrk, then mirrored) */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)P, (int)n, 1.0 / (double)n, d, (int)P,
                0.0, cov, (int)P);
    for (long a = 0; a < P; a++)
        for (long b = 0; b < a; b++)
            cov[a * P + b] = cov[b * P + a];
    free(d);
    return MTSI_OK;
}

int mtsi_img_gauss_condmean(const double *mu, const double *cov, int P, const double *y,
                            const unsigned char *mask, double noise_var, double *out,
                            double *work)
{
    int no = 0;
    int *obs = malloc((size_t)P * sizeof(int));
    if (!obs)
        return mtsi_error_set(MTSI_ENOMEM, "Gaussian baseline: out of memory");
    for (int q = 0; q < P; q++)
        if (mask[q])
            obs[no++] = q;
    memcpy(out, mu, (size_t)P * sizeof(double));
    if (no == 0) {
        free(obs);
        return MTSI_OK;
    }
    double *A = work, *b = work + (size_t)P * P;
    for (int i = 0; i < no; i++) {
        for (int j = 0; j < no; j++)
            A[(size_t)i * no + j] = cov[(size_t)obs[i] * P + obs[j]];
        A[(size_t)i * no + i] += noise_var;
        b[i] = y[obs[i]] - mu[obs[i]];
    }
    int info = 0, one = 1;
    dpotrf_("U", &no, A, &no, &info);
    if (!info)
        dpotrs_("U", &no, &one, A, &no, b, &no, &info);
    if (info) {
        free(obs);
        return mtsi_error_set(MTSI_EFAIL,
                              "Gaussian baseline: the observed covariance is not positive "
                              "definite (info %d; raise the ridge)",
                              info);
    }
    for (int q = 0; q < P; q++) {
        double s = 0;
        for (int j = 0; j < no; j++)
            s += cov[(size_t)q * P + obs[j]] * b[j];
        out[q] += s;
    }
    free(obs);
    return MTSI_OK;
}
