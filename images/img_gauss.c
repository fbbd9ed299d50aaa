/* The dense-Gaussian baseline of SPEC §7: a Gaussian with full P×P
 * covariance fitted to the training images, and its exact conditional
 * mean given the observed pixels. */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"

#include <stdlib.h>
#include <string.h>

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);

int mtsi_img_gauss_fit(const mtsi_img_set *s, double *mu, double *cov)
{
    return mtsi_dense_fit((long)s->h * s->w, s->n, s->x, 0.0, mu, cov);
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
