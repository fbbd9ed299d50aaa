/* Two-sample statistics (mtsi_compare.h). */
#include "config.h"
#include "mtsi_compare.h"
#include "mtsi_err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double mtsi_compare_kolmogorov_q(double lambda)
{
    if (!(lambda > 0))
        return 1;
    if (lambda < 1.18) {
        /* Jacobi-theta form: terms fall like exp(-(2j-1)^2 pi^2/(8 lambda^2)),
         * at lambda = 1.18 the fourth term is ~ 1e-38. */
        double s = 0, c = M_PI * M_PI / (8 * lambda * lambda);
        for (int j = 1; j <= 8; j++) {
            double k = 2 * j - 1;
            s += exp(-k * k * c);
        }
        double q = 1 - sqrt(2 * M_PI) / lambda * s;
        return q < 0 ? 0 : q;
    }
    /* Alternating series: at lambda >= 1.18 the terms fall like
     * exp(-2 j^2 lambda^2), the fourth is ~ 1e-12. */
    double s = 0, sign = 1;
    for (int j = 1; j <= 100; j++) {
        double t = exp(-2.0 * j * j * lambda * lambda);
        s += sign * t;
        if (t < 1e-18)
            break;
        sign = -sign;
    }
    double q = 2 * s;
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted copies of both samples in one allocation. */
static double *sorted_pair(const double *x, long n, const double *y, long m)
{
    if (n < 1 || m < 1) {
        mtsi_error_set(MTSI_EINVAL, "two-sample statistic: empty sample (n = %ld, m = %ld)", n, m);
        return NULL;
    }
    double *s = mtsi_malloc((size_t)(n + m) * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, x, (size_t)n * sizeof *s);
    memcpy(s + n, y, (size_t)m * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    qsort(s + n, (size_t)m, sizeof *s, cmp_double);
    return s;
}

int mtsi_compare_ks_stat(const double *x, long n, const double *y, long m, double *D)
{
    double *s = sorted_pair(x, n, y, m);
    if (!s)
        return mtsi_error_code();
    const double *a = s, *b = s + n;
    long i = 0, j = 0;
    double d = 0;
    /* Walk the merged order; ties advance both samples past the common
     * value before the CDFs are compared (the CDFs are right-continuous). */
    while (i < n && j < m) {
        double t = a[i] < b[j] ? a[i] : b[j];
        while (i < n && a[i] <= t)
            i++;
        while (j < m && b[j] <= t)
            j++;
        double diff = fabs((double)i / (double)n - (double)j / (double)m);
        if (diff > d)
            d = diff;
    }
    free(s);
    *D = d;
    return MTSI_OK;
}

double mtsi_compare_ks_p(double D, double n, double m)
{
    if (!(n > 0) || !(m > 0))
        return 1;
    double ne = n * m / (n + m), r = sqrt(ne);
    return mtsi_compare_kolmogorov_q((r + 0.12 + 0.11 / r) * D);
}

int mtsi_compare_w1(const double *x, long n, const double *y, long m, double *w1)
{
    double *s = sorted_pair(x, n, y, m);
    if (!s)
        return mtsi_error_code();
    const double *a = s, *b = s + n;
    long i = 0, j = 0;
    double w = 0, prev = a[0] < b[0] ? a[0] : b[0];
    /* Between consecutive points of the merged sample both CDFs are
     * constant: add |F_x - F_y| times the gap. */
    while (i < n || j < m) {
        double t = (j >= m || (i < n && a[i] < b[j])) ? a[i] : b[j];
        w += fabs((double)i / (double)n - (double)j / (double)m) * (t - prev);
        prev = t;
        while (i < n && a[i] <= t)
            i++;
        while (j < m && b[j] <= t)
            j++;
    }
    free(s);
    *w1 = w;
    return MTSI_OK;
}

double mtsi_compare_z(double a, double ea, double b, double eb)
{
    double s = sqrt(ea * ea + eb * eb);
    if (s > 0)
        return (a - b) / s;
    return a == b ? 0 : NAN;
}
