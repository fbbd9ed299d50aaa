/* PSNR and SSIM of SPEC §7, and the Fréchet distance of feature sets. */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double grey(double x)
{
    double p = 0.5 * (x + 1);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double mtsi_img_psnr(const double *x, const double *y, int h, int w)
{
    long P = (long)h * w;
    double s = 0;
    for (long i = 0; i < P; i++) {
        double d = grey(x[i]) - grey(y[i]);
        s += d * d;
    }
    return s == 0 ? INFINITY : 10 * log10((double)P / s);
}

/* The window: scipy's gaussian_filter1d weights exp(−k²/2σ²), k = −5…5
 * (radius int(3.5·1.5 + 0.5) = 5), normalised; the 2-D window is their
 * outer product. Only pixels whose whole window lies inside the image are
 * averaged, so the boundary mode of the filter never enters. */
#define SSIM_R 5
#define SSIM_N (2 * SSIM_R + 1)

double mtsi_img_ssim(const double *x, const double *y, int h, int w)
{
    if (h < SSIM_N || w < SSIM_N)
        return NAN;
    double g[SSIM_N], gs = 0;
    for (int k = -SSIM_R; k <= SSIM_R; k++)
        gs += g[k + SSIM_R] = exp(-0.5 * k * k / (1.5 * 1.5));
    for (int k = 0; k < SSIM_N; k++)
        g[k] /= gs;
    const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
    long P = (long)h * w;
    double *px = malloc((size_t)P * 2 * sizeof(double));
    if (!px)
        return NAN;
    double *py = px + P;
    for (long i = 0; i < P; i++) {
        px[i] = grey(x[i]);
        py[i] = grey(y[i]);
    }
    double tot = 0;
    for (int r = SSIM_R; r < h - SSIM_R; r++)
        for (int c = SSIM_R; c < w - SSIM_R; c++) {
            double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
            for (int i = 0; i < SSIM_N; i++)
                for (int j = 0; j < SSIM_N; j++) {
                    double wt = g[i] * g[j];
                    long q = (long)(r + i - SSIM_R) * w + (c + j - SSIM_R);
                    double a = px[q], b = py[q];
                    mx += wt * a;
                    my += wt * b;
                    xx += wt * a * a;
                    yy += wt * b * b;
                    xy += wt * a * b;
                }
            double vx = xx - mx * mx, vy = yy - my * my, cxy = xy - mx * my;
            tot += ((2 * mx * my + C1) * (2 * cxy + C2)) /
                   ((mx * mx + my * my + C1) * (vx + vy + C2));
        }
    free(px);
    return tot / ((double)(h - 2 * SSIM_R) * (w - 2 * SSIM_R));
}

/* ---- Fréchet distance ------------------------------------------------- */

void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);

int mtsi_img_moments(const double *f, long n, int d, double *mean, double *cov)
{
    if (n < 2)
        return mtsi_error_set(MTSI_EINVAL, "Frechet distance: %ld samples (need at least 2)", n);
    memset(mean, 0, (size_t)d * sizeof(double));
    memset(cov, 0, (size_t)d * (size_t)d * sizeof(double));
    for (long s = 0; s < n; s++)
        for (int i = 0; i < d; i++)
            mean[i] += f[s * d + i];
    for (int i = 0; i < d; i++)
        mean[i] /= (double)n;
    for (long s = 0; s < n; s++)
        for (int i = 0; i < d; i++) {
            double a = f[s * d + i] - mean[i];
            for (int j = 0; j <= i; j++)
                cov[i * d + j] += a * (f[s * d + j] - mean[j]);
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++)
            cov[j * d + i] = cov[i * d + j] /= (double)n;
    return MTSI_OK;
}

/* Eigen-decomposition of a symmetric d×d matrix a (overwritten by the
 * eigenvectors, as columns in column-major = rows in row-major). */
static int eig(double *a, double *ev, int d)
{
    int lwork = -1, info = 0;
    double q;
    dsyev_("V", "U", &d, a, &d, ev, &q, &lwork, &info);
    lwork = (int)q;
    double *work = info ? NULL : malloc((size_t)lwork * sizeof(double));
    if (!work)
        return mtsi_error_set(MTSI_EFAIL, "Frechet distance: eigen-decomposition setup failed");
    dsyev_("V", "U", &d, a, &d, ev, work, &lwork, &info);
    free(work);
    return info ? mtsi_error_set(MTSI_EFAIL, "Frechet distance: dsyev failed (info %d)", info)
                : MTSI_OK;
}

int mtsi_img_frechet(const double *ma, const double *ca, const double *mb, const double *cb, int d,
                     double *fd)
{
    size_t dd = (size_t)d * (size_t)d;
    double *v = malloc(dd * sizeof(double)), *s = malloc(dd * sizeof(double));
    double *t = malloc(dd * sizeof(double)), *ev = malloc((size_t)d * sizeof(double));
    int rc = (!v || !s || !t || !ev) ? mtsi_error_set(MTSI_ENOMEM, "out of memory") : MTSI_OK;
    if (!rc) {
        /* S = Ca^½ = V diag(√λ) Vᵀ (the row k of v is eigenvector k) */
        memcpy(v, ca, dd * sizeof(double));
        rc = eig(v, ev, d);
    }
    if (!rc) {
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double a = 0;
                for (int k = 0; k < d; k++)
                    a += v[k * d + i] * sqrt(ev[k] > 0 ? ev[k] : 0) * v[k * d + j];
                s[i * d + j] = a;
            }
        /* M = S Cb S, symmetric positive semi-definite; tr M^½ = Σ √μ */
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double a = 0;
                for (int k = 0; k < d; k++)
                    a += s[i * d + k] * cb[k * d + j];
                t[i * d + j] = a;
            }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double a = 0;
                for (int k = 0; k < d; k++)
                    a += t[i * d + k] * s[k * d + j];
                v[i * d + j] = a;
            }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++)
                v[i * d + j] = v[j * d + i] = 0.5 * (v[i * d + j] + v[j * d + i]);
        rc = eig(v, ev, d);
    }
    if (!rc) {
        double r = 0, tr = 0;
        for (int i = 0; i < d; i++) {
            r += (ma[i] - mb[i]) * (ma[i] - mb[i]);
            tr += ca[i * d + i] + cb[i * d + i] - 2 * sqrt(ev[i] > 0 ? ev[i] : 0);
        }
        *fd = r + tr;
    }
    free(v);
    free(s);
    free(t);
    free(ev);
    return rc;
}

/* ---- scoring ------------------------------------------------------------ */

static mtsi_img_stat mean_err(const double *v, long n)
{
    mtsi_img_stat s = {0, NAN};
    for (long i = 0; i < n; i++)
        s.mean += v[i];
    s.mean /= (double)n;
    if (n > 1) {
        double q = 0;
        for (long i = 0; i < n; i++)
            q += (v[i] - s.mean) * (v[i] - s.mean);
        s.err = sqrt(q / (double)(n - 1) / (double)n);
    }
    return s;
}

int mtsi_img_score(const mtsi_img_set *t, const mtsi_img_set *r, const long *src_in, long kreq,
                   mtsi_img_score_result *res)
{
    long P = (long)t->h * t->w, N = t->n, M = r->n;
    memset(res, 0, sizeof *res);
    if (r->h != t->h || r->w != t->w)
        return mtsi_error_set(MTSI_EINVAL, "%dx%d images, the truth has %dx%d", r->h, r->w, t->h,
                              t->w);
    if (!src_in && M > N && M % N)
        return mtsi_error_set(MTSI_EINVAL,
                              "%ld samples without /source_index, not a multiple of the %ld truth "
                              "images",
                              M, N);
    long *cnt = mtsi_calloc((size_t)N, sizeof(long)), *used = mtsi_calloc((size_t)N, sizeof(long));
    long *first = mtsi_malloc((size_t)N * sizeof(long));
    double *sum = mtsi_calloc((size_t)(N * P), sizeof(double));
    double *avg = mtsi_malloc((size_t)P * sizeof(double));
    double *v = mtsi_malloc((size_t)N * 4 * sizeof(double));
    int rc = (!cnt || !used || !first || !sum || !avg || !v) ? MTSI_ENOMEM : MTSI_OK;
    for (long j = 0; !rc && j < M; j++) {
        long i = src_in ? src_in[j] : j % N;
        if (i < 0 || i >= N)
            rc = mtsi_error_set(MTSI_EINVAL, "source_index %ld of sample %ld outside [0, %ld)", i,
                                j, N);
        else
            cnt[i]++;
    }
    long K = 0, n = 0;
    for (long i = 0; !rc && i < N; i++)
        if (cnt[i]) {
            K = (!K || cnt[i] < K) ? cnt[i] : K;
            n++;
        }
    if (!rc && n == 0)
        rc = mtsi_error_set(MTSI_EINVAL, "no samples");
    if (!rc && kreq) {
        if (kreq > K)
            rc = mtsi_error_set(MTSI_EINVAL, "--k %ld: some image has only %ld samples", kreq, K);
        K = kreq;
    }
    for (long j = 0; !rc && j < M; j++) {
        long i = src_in ? src_in[j] : j % N;
        if (used[i] >= K)
            continue;
        if (!used[i])
            first[i] = j;
        used[i]++;
        for (long q = 0; q < P; q++)
            sum[i * P + q] += r->x[j * P + q];
    }
    long m = 0;
    double *ps = v, *ss = v + n, *pk = v + 2 * n, *sk = v + 3 * n;
    for (long i = 0; !rc && i < N; i++) {
        if (!used[i])
            continue;
        const double *x = t->x + i * P, *y = r->x + first[i] * P;
        ps[m] = mtsi_img_psnr(y, x, t->h, t->w);
        ss[m] = mtsi_img_ssim(y, x, t->h, t->w);
        for (long q = 0; q < P; q++)
            avg[q] = sum[i * P + q] / (double)K;
        pk[m] = mtsi_img_psnr(avg, x, t->h, t->w);
        sk[m] = mtsi_img_ssim(avg, x, t->h, t->w);
        m++;
    }
    if (!rc) {
        res->n = n;
        res->k = K;
        res->psnr1 = mean_err(ps, n);
        res->ssim1 = mean_err(ss, n);
        res->psnrk = mean_err(pk, n);
        res->ssimk = mean_err(sk, n);
    }
    free(cnt);
    free(used);
    free(first);
    free(sum);
    free(avg);
    free(v);
    return rc;
}
