/* Unit tests of the two-sample statistics (mcmc/mtsi_compare.h):
 * Kolmogorov tail against its series summed to machine precision, KS and
 * W1 on samples with hand-computed answers. The figures are tested in
 * tests/test_plot.c. */
#include "config.h"
#include "mtsi_compare.h"
#include "mtsi_err.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Kolmogorov distribution ------------------------------------------ */

START_TEST(kolmogorov_values)
{
    /* References: 2 sum_{j<200} (-1)^(j-1) exp(-2 j^2 l^2) in double. */
    static const double l[6] = {0.3, 0.5, 1.0, 1.18, 1.36, 2.0};
    static const double q[6] = {0.9999906941986655, 0.9639452436648751, 0.26999967167735456,
                                0.1234538094297657, 0.049485876755377876,
                                0.0006709252557796953};
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(l[i]), q[i], 1e-12);
    /* The textbook numbers: Q(1.0) = 0.27, Q(1.36) = 0.05 (the 5% point). */
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.0), 0.27, 1e-4);
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.36), 0.05, 1e-3);
    ck_assert_double_eq(mtsi_compare_kolmogorov_q(0), 1);
    ck_assert_double_eq(mtsi_compare_kolmogorov_q(-1), 1);
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(0.05), 1, 1e-15);
    ck_assert(mtsi_compare_kolmogorov_q(10) >= 0 && mtsi_compare_kolmogorov_q(10) < 1e-80);
    /* The two series meet continuously at the switch. */
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.18 - 1e-12),
                            mtsi_compare_kolmogorov_q(1.18 + 1e-12), 1e-11);
    /* Monotone decreasing. */
    double prev = 1;
    for (double x = 0.01; x < 3; x += 0.01) {
        double v = mtsi_compare_kolmogorov_q(x);
        ck_assert(v <= prev + 1e-15);
        prev = v;
    }
}
END_TEST

START_TEST(ks_statistic)
{
    double D;
    const double a[4] = {0, 1, 2, 3}, b[2] = {10, 11};
    ck_assert_int_eq(mtsi_compare_ks_stat(a, 4, b, 2, &D), MTSI_OK);
    ck_assert_double_eq(D, 1);
    ck_assert_int_eq(mtsi_compare_ks_stat(a, 4, a, 4, &D), MTSI_OK);
    ck_assert_double_eq(D, 0);
    /* Ties: F_x(1) = 2/3, F_y(1) = 1/3. */
    const double x[3] = {1, 2, 1}, y[3] = {2, 1, 2};
    ck_assert_int_eq(mtsi_compare_ks_stat(x, 3, y, 3, &D), MTSI_OK);
    ck_assert_double_eq_tol(D, 1.0 / 3, 1e-15);
    /* Interleaved: x = 1,3,5,7 and y = 2,4,6,8 -> D = 1/4. */
    const double u[4] = {7, 1, 5, 3}, v[4] = {2, 8, 4, 6};
    ck_assert_int_eq(mtsi_compare_ks_stat(u, 4, v, 4, &D), MTSI_OK);
    ck_assert_double_eq_tol(D, 0.25, 1e-15);
    ck_assert_int_eq(mtsi_compare_ks_stat(u, 0, v, 4, &D), MTSI_EINVAL);
    /* p-value: lambda = (sqrt(ne) + 0.12 + 0.11/sqrt(ne)) D with ne = 50. */
    double ne = 50, lam = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * 0.2;
    ck_assert_double_eq_tol(mtsi_compare_ks_p(0.2, 100, 100), mtsi_compare_kolmogorov_q(lam),
                            1e-15);
    ck_assert_double_eq(mtsi_compare_ks_p(0, 100, 100), 1);
    /* Fewer effective samples, larger p. */
    ck_assert(mtsi_compare_ks_p(0.2, 25, 25) > mtsi_compare_ks_p(0.2, 100, 100));
}
END_TEST

START_TEST(w1_distance)
{
    double w;
    const double a[1] = {0}, b[1] = {1};
    ck_assert_int_eq(mtsi_compare_w1(a, 1, b, 1, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1, 1e-15);
    /* A shift by c moves every quantile by c. */
    const double x[3] = {2, 0, 1}, y[3] = {1.5, 2.5, 3.5};
    ck_assert_int_eq(mtsi_compare_w1(x, 3, y, 3, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1.5, 1e-15);
    /* Same distribution, different sample sizes: 0. */
    const double p[4] = {0, 1, 0, 1}, q[2] = {1, 0};
    ck_assert_int_eq(mtsi_compare_w1(p, 4, q, 2, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 0, 1e-15);
    /* x = {0, 2}, y = {1}: |1/2 - 0| on [0,1] plus |1/2 - 1| on [1,2] = 1. */
    const double r[2] = {0, 2}, s[1] = {1};
    ck_assert_int_eq(mtsi_compare_w1(r, 2, s, 1, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1, 1e-15);
    /* Symmetric in its arguments. */
    double w2;
    ck_assert_int_eq(mtsi_compare_w1(s, 1, r, 2, &w2), MTSI_OK);
    ck_assert_double_eq_tol(w, w2, 1e-15);
}
END_TEST

START_TEST(z_scores)
{
    ck_assert_double_eq_tol(mtsi_compare_z(1, 0.3, 0, 0.4), 2, 1e-15);
    ck_assert_double_eq_tol(mtsi_compare_z(0, 0.3, 1, 0.4), -2, 1e-15);
    ck_assert_double_eq(mtsi_compare_z(1, 0, 1, 0), 0);
    ck_assert(isnan(mtsi_compare_z(1, 0, 2, 0)));
}
END_TEST

static Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *ts = tcase_create("statistics");
    tcase_add_test(ts, kolmogorov_values);
    tcase_add_test(ts, ks_statistic);
    tcase_add_test(ts, w1_distance);
    tcase_add_test(ts, z_scores);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compare_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
