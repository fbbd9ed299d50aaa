/* Unit tests of the sweep helpers (mcmc/mtsi_sweep.h): axis syntax and its
 * refusals, value rounding, point seeds, and the Binder crossing against
 * hand-computed answers (straight lines cross where the algebra says; the
 * error propagation against a finite-difference check). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_sweep.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(axis_forms)
{
    double *v;
    int n;
    ck_assert_int_eq(mtsi_sweep_axis_parse("--lambda", "4.6", 0, &v, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_double_eq(v[0], 4.6);
    free(v);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--lambda", "5,4.6,-1e-3", 0, &v, &n), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq(v[0], 5);
    ck_assert_double_eq(v[1], 4.6);
    ck_assert_double_eq(v[2], -0.001);
    free(v);
    /* inclusive range; values equal to their printed form */
    ck_assert_int_eq(mtsi_sweep_axis_parse("--lambda", "4.2:5.0:9", 0, &v, &n), 0);
    ck_assert_int_eq(n, 9);
    for (int i = 0; i < 9; i++)
        ck_assert_double_eq(v[i], strtod((char[][8]){"4.2", "4.3", "4.4", "4.5", "4.6", "4.7",
                                                    "4.8", "4.9", "5"}[i],
                                         NULL));
    free(v);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--m2", "-4:-4:1", 0, &v, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_double_eq(v[0], -4);
    free(v);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--L", "8,16,32", 1, &v, &n), 0);
    ck_assert_int_eq(n, 3);
    free(v);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--L", "8:32:4", 1, &v, &n), 0);
    ck_assert_double_eq(v[1], 16);
    free(v);
    /* descending ranges are kept in the order written */
    ck_assert_int_eq(mtsi_sweep_axis_parse("--field", "0.1:0:3", 0, &v, &n), 0);
    ck_assert_double_eq(v[0], 0.1);
    ck_assert_double_eq(v[2], 0);
    free(v);
}
END_TEST

START_TEST(axis_refusals)
{
    static const char *bad[] = {"",      "4:5",     "4:5:0", "4:5:-2", "4:5:x",   "a",
                                "4,,5",  "4,",      ":5:3",  "4::3",   "4:5:3:1", "4,5:6:2",
                                "4.6,4.6", "1:1:2", "nan",   "inf:1:2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double *v = (double *)1;
        int n = -1;
        mtsi_error_clear();
        ck_assert_msg(mtsi_sweep_axis_parse("--lambda", bad[i], 0, &v, &n) == MTSI_EINVAL,
                      "'%s' accepted", bad[i]);
        ck_assert_ptr_null(v);
        ck_assert_int_eq(n, 0);
        ck_assert_msg(strstr(mtsi_error_msg(), "--lambda") != NULL, "message '%s'",
                      mtsi_error_msg());
    }
    double *v;
    int n;
    ck_assert_int_eq(mtsi_sweep_axis_parse("--L", "8.5", 1, &v, &n), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--L", "8:16:3", 1, &v, &n), 0); /* 8, 12, 16 */
    free(v);
    ck_assert_int_eq(mtsi_sweep_axis_parse("--L", "8:16:4", 1, &v, &n), MTSI_EINVAL);
    ck_assert_msg(strstr(mtsi_error_msg(), "count") == NULL, "%s", mtsi_error_msg());
    mtsi_sweep_axis_parse("--lambda", "4:5:0", 0, &v, &n);
    ck_assert_msg(strstr(mtsi_error_msg(), "count >= 1") != NULL, "%s", mtsi_error_msg());
}
END_TEST

START_TEST(rounding_and_seeds)
{
    ck_assert_double_eq(mtsi_sweep_round(4.2 + 0.1), 4.3);
    ck_assert(!signbit(mtsi_sweep_round(-0.0)));
    uint64_t a = mtsi_sweep_point_seed(1, "L4_m2-4_lambda4.6_h0");
    ck_assert(a == mtsi_sweep_point_seed(1, "L4_m2-4_lambda4.6_h0"));
    ck_assert(a != mtsi_sweep_point_seed(2, "L4_m2-4_lambda4.6_h0"));
    ck_assert(a != mtsi_sweep_point_seed(1, "L6_m2-4_lambda4.6_h0"));
    ck_assert(a >> 63 == 0);
}
END_TEST

/* U4 of each size linear in x: u1 = 0.2 + 0.5 x, u2 = -0.1 + 1.1 x cross at
 * x* = 0.5, U4* = 0.45, wherever the grid points are. */
START_TEST(crossing_lines)
{
    double x[4] = {0.1, 0.3, 0.7, 0.9}, u1[4], u2[4], e[4] = {0.01, 0.01, 0.01, 0.01};
    for (int i = 0; i < 4; i++) {
        u1[i] = 0.2 + 0.5 * x[i];
        u2[i] = -0.1 + 1.1 * x[i];
    }
    mtsi_sweep_crossing c;
    ck_assert_int_eq(mtsi_sweep_binder_crossing(4, x, u1, e, u2, e, &c), 0);
    ck_assert(c.found);
    ck_assert_int_eq(c.interval, 1);
    ck_assert_int_eq(c.ncross, 1);
    ck_assert_double_eq_tol(c.x, 0.5, 1e-12);
    ck_assert_double_eq_tol(c.u4, 0.45, 1e-12);
    /* linear propagation against finite differences of the same formula */
    double var = 0, h = 1e-7;
    for (int k = 0; k < 4; k++) {
        double *vv[4] = {&u1[1], &u1[2], &u2[1], &u2[2]};
        double keep = *vv[k];
        mtsi_sweep_crossing cp, cm;
        *vv[k] = keep + h;
        mtsi_sweep_binder_crossing(4, x, u1, e, u2, e, &cp);
        *vv[k] = keep - h;
        mtsi_sweep_binder_crossing(4, x, u1, e, u2, e, &cm);
        *vv[k] = keep;
        double g = (cp.x - cm.x) / (2 * h);
        var += g * g * 1e-4;
    }
    ck_assert_double_eq_tol(c.x_err, sqrt(var), 1e-6 * sqrt(var));
    ck_assert(c.u4_err > 0);
}
END_TEST

START_TEST(crossing_none_and_on_point)
{
    double x[3] = {1, 2, 3}, u1[3] = {0.3, 0.4, 0.5}, u2[3] = {0.35, 0.5, 0.6}, e[3] = {0, 0, 0};
    mtsi_sweep_crossing c;
    ck_assert_int_eq(mtsi_sweep_binder_crossing(3, x, u1, e, u2, e, &c), 0);
    ck_assert(!c.found);
    ck_assert(strstr(c.reason, "does not change sign") != NULL);
    /* exactly equal on the middle point */
    double v2[3] = {0.25, 0.4, 0.6};
    ck_assert_int_eq(mtsi_sweep_binder_crossing(3, x, u1, e, v2, e, &c), 0);
    ck_assert(c.found);
    ck_assert_double_eq(c.x, 2);
    ck_assert_int_eq(c.ncross, 1);
    /* two crossings: the first is reported, both counted */
    double w2[3] = {0.4, 0.3, 0.6};
    ck_assert_int_eq(mtsi_sweep_binder_crossing(3, x, u1, e, w2, e, &c), 0);
    ck_assert(c.found && c.ncross == 2 && c.x > 1 && c.x < 2);
    /* bad input */
    double xd[3] = {1, 1, 3};
    ck_assert_int_eq(mtsi_sweep_binder_crossing(3, xd, u1, e, u2, e, &c), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_sweep_binder_crossing(1, x, u1, e, u2, e, &c), 0);
    ck_assert(!c.found);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *t = tcase_create("core");
    tcase_add_test(t, axis_forms);
    tcase_add_test(t, axis_refusals);
    tcase_add_test(t, rounding_and_seeds);
    tcase_add_test(t, crossing_lines);
    tcase_add_test(t, crossing_none_and_on_point);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
