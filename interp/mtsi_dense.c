/* The dense Gaussian drift (SPEC 1.2 with a full covariance): x1 ~ N(m, C)
 * on data of any shape, V = C * P values (d up to a few thousand).
 *
 * With D_a = diag(alpha), D_b = diag(1 - alpha), S = D_a^2 + D_b C D_b and
 * r = x - D_b m:  eta0 = D_a S^-1 r,  eta1 = m + C D_b S^-1 r,  b = eta0 - eta1.
 * A uniform alpha = a is solved in the eigenbasis of C = U diag(lam) U^T,
 * S^-1 = U diag(1 / (a^2 + (1 - a)^2 lam)) U^T (two matrix-vector products);
 * a per-value alpha by a Cholesky factorisation of S (LAPACK). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS ships it). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
                    const int *lda, double *b, const int *ldb, int *info);
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

typedef struct {
    long V;
    double *mean, *cov;  /* [V], [V][V] */
    double *U, *lam;     /* eigenvectors (columns of the row-major U^T... see eig) and values */
    double *S, *r, *y, *t, *beta;
    double *afact;       /* the alpha whose Cholesky factor S holds (when have_fact) */
    int have_fact;
} dense;

static void dense_free(void *vp)
{
    dense *g = vp;
    if (!g)
        return;
    free(g->mean);
    free(g->cov);
    free(g->U);
    free(g->lam);
    free(g->S);
    free(g->r);
    free(g->y);
    free(g->t);
    free(g->beta);
    free(g->afact);
    free(g);
}

/* Eigen-decomposition of a symmetric V x V matrix (row-major = column-major
 * for a symmetric matrix): on return A holds the eigenvectors as rows
 * (row k = eigenvector k in row-major storage) and w the eigenvalues. */
int mtsi_dense_eigen(long V, double *A, double *w)
{
    if (V > 46340)
        return mtsi_error_set(MTSI_EINVAL, "dense Gaussian: %ld values is too many", V);
    int n = (int)V, info = 0, lwork = -1, liwork = -1, iw;
    double wq;
    dsyevd_("V", "U", &n, A, &n, w, &wq, &lwork, &iw, &liwork, &info);
    if (info)
        return mtsi_error_set(MTSI_EFAIL, "dense Gaussian: eigen-decomposition failed (%d)", info);
    lwork = (int)wq + 1;
    liwork = iw;
    double *work = malloc((size_t)lwork * sizeof(double));
    int *iwork = malloc((size_t)liwork * sizeof(int));
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for an eigen-decomposition of %ld", V);
    }
    dsyevd_("V", "U", &n, A, &n, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    if (info)
        return mtsi_error_set(MTSI_EFAIL, "dense Gaussian: eigen-decomposition failed (%d)", info);
    return MTSI_OK;
}

/* Cholesky of the symmetric positive definite A (in place) and solve of
 * nrhs right-hand sides B ([nrhs][V], in place). */
int mtsi_dense_solve(long V, double *A, int nrhs, double *B)
{
    int n = (int)V, info = 0;
    dpotrf_("U", &n, A, &n, &info);
    if (info)
        return mtsi_error_set(MTSI_EFAIL, "dense Gaussian: the matrix is not positive definite "
                                          "(leading minor %d)",
                              info);
    dpotrs_("U", &n, &nrhs, A, &n, B, &n, &info);
    if (info)
        return mtsi_error_set(MTSI_EFAIL, "dense Gaussian: solve failed (%d)", info);
    return MTSI_OK;
}

static int dense_eval(void *vp, long batch, const double *alpha, const double *x, double *b)
{
    dense *g = vp;
    const long V = g->V;
    const int n = (int)V;
    for (long i = 0; i < batch; i++) {
        const double *al = alpha + i * V, *xi = x + i * V;
        double *bi = b + i * V;
        int uni = 1;
        for (long a = 0; a < V; a++) {
            if (!(al[a] >= 0 && al[a] <= 1))
                return mtsi_error_set(MTSI_EINVAL, "alpha = %g outside [0, 1]", al[a]);
            uni &= al[a] == al[0];
            g->beta[a] = 1.0 - al[a];
            g->r[a] = xi[a] - g->beta[a] * g->mean[a];
        }
        if (uni) {
            /* y = U diag(1 / (a^2 + (1-a)^2 lam)) U^T r, U's rows the eigenvectors */
            const double a = al[0], bb = (1 - a) * (1 - a);
            cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, g->U, n, g->r, 1, 0.0, g->t, 1);
            for (long k = 0; k < V; k++)
                g->t[k] /= a * a + bb * g->lam[k];
            cblas_dgemv(CblasRowMajor, CblasTrans, n, n, 1.0, g->U, n, g->t, 1, 0.0, g->y, 1);
        } else {
            /* S = D_a^2 + D_b C D_b, Cholesky; the factor is kept for the
             * next sample with the same alpha (one mask for a batch) */
            memcpy(g->y, g->r, (size_t)V * sizeof(double));
            if (g->have_fact && memcmp(g->afact, al, (size_t)V * sizeof(double)) == 0) {
                int one = 1, info = 0;
                dpotrs_("U", &n, &one, g->S, &n, g->y, &n, &info);
                if (info)
                    return mtsi_error_set(MTSI_EFAIL, "dense Gaussian: solve failed (%d)", info);
            } else {
                for (long p = 0; p < V; p++) {
                    for (long q = 0; q < V; q++)
                        g->S[p * V + q] = g->beta[p] * g->cov[p * V + q] * g->beta[q];
                    g->S[p * V + p] += al[p] * al[p];
                }
                g->have_fact = 0;
                int rc = mtsi_dense_solve(V, g->S, 1, g->y);
                if (rc)
                    return rc;
                memcpy(g->afact, al, (size_t)V * sizeof(double));
                g->have_fact = 1;
            }
        }
        /* eta1 = m + C (D_b y); eta0 = D_a y */
        for (long a = 0; a < V; a++)
            g->t[a] = g->beta[a] * g->y[a];
        cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, g->cov, n, g->t, 1, 0.0, g->r, 1);
        for (long a = 0; a < V; a++)
            bi[a] = al[a] * g->y[a] - (g->mean[a] + g->r[a]);
    }
    return MTSI_OK;
}

static const mtsi_drift_ops dense_ops = {dense_eval, dense_free};

mtsi_drift *mtsi_drift_dense_new(const mtsi_shape *s, const double *mean, const double *cov)
{
    if (mtsi_shape_check(s, "dense Gaussian"))
        return NULL;
    const long V = mtsi_shape_size(s);
    if (V > 20000) {
        mtsi_error_set(MTSI_EINVAL, "dense Gaussian: %ld values per sample (at most 20000)", V);
        return NULL;
    }
    for (long i = 0; i < V; i++)
        if (!isfinite(mean[i])) {
            mtsi_error_set(MTSI_EINVAL, "dense Gaussian: the mean is not finite at %ld", i);
            return NULL;
        }
    for (long i = 0; i < V * V; i++)
        if (!isfinite(cov[i]) || cov[i] != cov[(i % V) * V + i / V]) {
            mtsi_error_set(MTSI_EINVAL, "dense Gaussian: the covariance is not finite and symmetric "
                                        "at (%ld, %ld)",
                           i / V, i % V);
            return NULL;
        }
    dense *g = mtsi_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->V = V;
    size_t vv = (size_t)(V * V) * sizeof(double), v1 = (size_t)V * sizeof(double);
    g->mean = malloc(v1);
    g->cov = malloc(vv);
    g->U = malloc(vv);
    g->S = malloc(vv);
    g->lam = malloc(v1);
    g->r = malloc(v1);
    g->y = malloc(v1);
    g->t = malloc(v1);
    g->beta = malloc(v1);
    g->afact = malloc(v1);
    if (!g->mean || !g->cov || !g->U || !g->S || !g->lam || !g->r || !g->y || !g->t || !g->beta ||
        !g->afact) {
        dense_free(g);
        mtsi_error_set(MTSI_ENOMEM, "out of memory for a dense Gaussian of %ld values", V);
        return NULL;
    }
    memcpy(g->mean, mean, v1);
    memcpy(g->cov, cov, vv);
    memcpy(g->U, cov, vv);
    /* column-major eigenvectors of a symmetric matrix = rows in row-major */
    if (mtsi_dense_eigen(V, g->U, g->lam)) {
        dense_free(g);
        return NULL;
    }
    if (!(g->lam[0] > 0)) {
        mtsi_error_set(MTSI_EINVAL, "dense Gaussian: the covariance is not positive definite "
                                    "(smallest eigenvalue %g)",
                       g->lam[0]);
        dense_free(g);
        return NULL;
    }
    return mtsi_drift_wrap(&dense_ops, g, s, "dense");
}

int mtsi_dense_fit(long V, long n, const double *x, double ridge, double *mean, double *cov)
{
    if (n < 2)
        return mtsi_error_set(MTSI_EINVAL, "dense Gaussian: need at least 2 samples, got %ld", n);
    if (!(ridge >= 0) || !isfinite(ridge))
        return mtsi_error_set(MTSI_EINVAL, "--ridge: must be >= 0, got %g", ridge);
    double *xc = malloc((size_t)(n * V) * sizeof(double));
    if (!xc)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld samples of %ld values", n, V);
    for (long a = 0; a < V; a++) {
        double s = 0;
        for (long i = 0; i < n; i++)
            s += x[i * V + a];
        mean[a] = s / (double)n;
    }
    for (long i = 0; i < n; i++)
        for (long a = 0; a < V; a++)
            xc[i * V + a] = x[i * V + a] - mean[a];
    /* population covariance (1/n): the maximum-likelihood Gaussian */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)V, (int)n, 1.0 / (double)n, xc,
                (int)V, 0.0, cov, (int)V);
    free(xc);
    double tr = 0;
    for (long a = 0; a < V; a++)
        tr += cov[a * V + a];
    for (long p = 0; p < V; p++) {
        cov[p * V + p] += ridge * (tr / (double)V > 0 ? tr / (double)V : 1.0);
        for (long q = 0; q < p; q++)
            cov[p * V + q] = cov[q * V + p];
    }
    return MTSI_OK;
}

int mtsi_dense_condition(long V, const double *mean, const double *cov, const unsigned char *obs,
                         const double *y, double noise_var, double *pmean, double *pcov)
{
    /* Gaussian conditioning on y_o = x_o + noise (variance noise_var):
     * K = C_.o (C_oo + s^2 I)^-1, mean = m + K (y_o - m_o), cov = C - K C_o. */
    long no = 0;
    for (long a = 0; a < V; a++)
        no += obs[a] != 0;
    long *idx = malloc((size_t)(no > 0 ? no : 1) * sizeof(long));
    double *A = malloc((size_t)(no * no + 1) * sizeof(double));
    double *B = malloc((size_t)(no * V + 1) * sizeof(double));
    double *d = malloc((size_t)(no + 1) * sizeof(double));
    if (!idx || !A || !B || !d) {
        free(idx);
        free(A);
        free(B);
        free(d);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory conditioning %ld values", V);
    }
    long k = 0;
    for (long a = 0; a < V; a++)
        if (obs[a])
            idx[k++] = a;
    for (long p = 0; p < no; p++) {
        for (long q = 0; q < no; q++)
            A[p * no + q] = cov[idx[p] * V + idx[q]];
        A[p * no + p] += noise_var;
        d[p] = y[idx[p]] - mean[idx[p]];
        for (long a = 0; a < V; a++)
            B[p * V + a] = cov[idx[p] * V + a]; /* row p of C_o. */
    }
    int rc = MTSI_OK;
    if (no > 0) {
        /* W = (C_oo + s^2)^-1 [d | C_o.]: solve no x (1 + V) right-hand sides */
        double *R = malloc((size_t)(no * (V + 1)) * sizeof(double));
        if (!R) {
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        } else {
            /* column-major right-hand sides: column 0 = d, column 1 + a = C_o,a */
            for (long p = 0; p < no; p++) {
                R[p] = d[p];
                for (long a = 0; a < V; a++)
                    R[(1 + a) * no + p] = B[p * V + a];
            }
            rc = mtsi_dense_solve(no, A, (int)(V + 1), R);
            for (long a = 0; !rc && a < V; a++) {
                double s = 0;
                for (long p = 0; p < no; p++)
                    s += B[p * V + a] * R[p];
                pmean[a] = mean[a] + s;
            }
            if (!rc && pcov)
                for (long a = 0; a < V; a++)
                    for (long c = 0; c < V; c++) {
                        double s = 0;
                        for (long p = 0; p < no; p++)
                            s += B[p * V + a] * R[(1 + c) * no + p];
                        pcov[a * V + c] = cov[a * V + c] - s;
                    }
            free(R);
        }
    } else {
        memcpy(pmean, mean, (size_t)V * sizeof(double));
        if (pcov)
            memcpy(pcov, cov, (size_t)(V * V) * sizeof(double));
    }
    free(idx);
    free(A);
    free(B);
    free(d);
    return rc;
}
