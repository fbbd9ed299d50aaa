/* Gradient check of the classifier (lib/nn/mtsi_nn_clf.h) in double
 * precision (lib/nn compiled with -DMTSI_NN_DOUBLE=1, as in
 * tests/test_nn_grad.c): the analytic gradient of the mean softmax
 * cross-entropy against central differences, h = 1e-5, tolerance 1e-6
 * relative to max(1, |g|) (truncation O(h²) ~ 1e-10, rounding ~ 1e-11).
 * Also: the loss of uniform logits is log(classes), and a checkpoint
 * round trip gives the same logits. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_nn_clf.h"
#include "mtsi_rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double loss_at(mtsi_nn_clf *c, const double *x, const int *lab)
{
    double L;
    ck_assert_int_eq(mtsi_nn_clf_forward(c, x, NULL, NULL), 0);
    ck_assert_int_eq(mtsi_nn_clf_loss(c, lab, 0, &L, NULL), 0);
    return L;
}

START_TEST(clf_gradient)
{
    mtsi_nn_clf_arch a;
    mtsi_nn_clf_arch_default(&a);
    a.h = a.w = 8;
    a.classes = 3;
    a.width = 2;
    a.stages = 2;
    a.convs = 2;
    a.hidden = 5;
    a.groups = 2;
    mtsi_nn_clf *c = mtsi_nn_clf_new(&a, 17);
    ck_assert_ptr_nonnull(c);
    const int B = 3;
    ck_assert_int_eq(mtsi_nn_clf_plan(c, B), 0);
    ck_assert_int_eq(mtsi_nn_clf_nfeat(c), 5);
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    double x[3 * 64];
    for (int i = 0; i < B * 64; i++)
        x[i] = mtsi_rng_normal(&r);
    int lab[3] = {0, 2, 1};
    long n = mtsi_nn_clf_nparam(c);
    double *p = mtsi_nn_clf_params(c), *g = malloc((size_t)n * sizeof(double));
    double L;
    ck_assert_int_eq(mtsi_nn_clf_forward(c, x, NULL, NULL), 0);
    ck_assert_int_eq(mtsi_nn_clf_loss(c, lab, 1, &L, NULL), 0);
    memcpy(g, mtsi_nn_clf_grads(c), (size_t)n * sizeof(double));
    double worst = 0;
    for (long i = 0; i < n; i++) {
        double keep = p[i];
        p[i] = keep + 1e-5;
        double lp = loss_at(c, x, lab);
        p[i] = keep - 1e-5;
        double lm = loss_at(c, x, lab);
        p[i] = keep;
        double fd = (lp - lm) / 2e-5, err = fabs(fd - g[i]) / fmax(1, fabs(g[i]));
        worst = err > worst ? err : worst;
    }
    ck_assert_msg(worst < 1e-6, "worst relative gradient error %g over %ld parameters", worst, n);
    /* zero last-layer weights and biases: uniform logits, loss log 3 */
    double *q = malloc((size_t)n * sizeof(double));
    memcpy(q, p, (size_t)n * sizeof(double));
    long last = (long)a.hidden * a.classes + a.classes;
    memset(p + n - last, 0, (size_t)last * sizeof(double));
    ck_assert_double_eq_tol(loss_at(c, x, lab), log(3.0), 1e-14);
    memcpy(p, q, (size_t)n * sizeof(double));
    /* checkpoint round trip */
    char path[] = "/tmp/mtsi-clf-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    hid_t f = mtsi_h5_create(path);
    ck_assert_int_eq(mtsi_nn_clf_save_h5(f, "classifier", c), 0);
    H5Fclose(f);
    mtsi_nn_clf *c2 = NULL;
    f = mtsi_h5_open(path);
    ck_assert_int_eq(mtsi_nn_clf_load_h5(f, "classifier", "t", &c2), 0);
    H5Fclose(f);
    ck_assert_int_eq(mtsi_nn_clf_plan(c2, B), 0);
    double z1[9], z2[9];
    mtsi_nn_clf_forward(c, x, z1, NULL);
    mtsi_nn_clf_forward(c2, x, z2, NULL);
    ck_assert_int_eq(memcmp(z1, z2, sizeof z1), 0);
    /* a damaged parameter is caught by the checksum */
    f = mtsi_h5_open_rw(path);
    double *pp = malloc((size_t)n * sizeof(double));
    mtsi_h5_read_double(f, "classifier/params", pp, (size_t)n, "t");
    pp[3] += 1;
    hid_t d = H5Dopen2(f, "classifier/params", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, pp);
    H5Dclose(d);
    H5Fclose(f);
    mtsi_nn_clf *c3 = NULL;
    f = mtsi_h5_open(path);
    ck_assert_int_eq(mtsi_nn_clf_load_h5(f, "classifier", "t", &c3), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "checksum"));
    H5Fclose(f);
    unlink(path);
    free(pp);
    free(q);
    free(g);
    mtsi_nn_clf_free(c);
    mtsi_nn_clf_free(c2);
}
END_TEST

START_TEST(clf_arch)
{
    mtsi_nn_clf_arch a;
    mtsi_nn_clf_arch_default(&a);
    char buf[256];
    mtsi_nn_clf_arch_format(&a, buf, sizeof buf);
    mtsi_nn_clf_arch b;
    memset(&b, 0, sizeof b);
    mtsi_nn_clf_arch_default(&b);
    b.width = 99;
    ck_assert_int_eq(mtsi_nn_clf_arch_parse(&b, buf), 0);
    ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    ck_assert_int_eq(mtsi_nn_clf_arch_parse(&b, "stages=4,h=28"), MTSI_EINVAL); /* 28 / 8 */
    ck_assert_int_eq(mtsi_nn_clf_arch_parse(&b, "depth=3"), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_nn_clf_arch_parse(&b, "width=x"), MTSI_EINVAL);
}
END_TEST

int main(void)
{
    mtsi_h5_quiet();
    Suite *s = suite_create("clf_grad");
    TCase *t = tcase_create("classifier");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, clf_gradient);
    tcase_add_test(t, clf_arch);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
