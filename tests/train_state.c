/* Prints the digest of a training checkpoint (tests/train_digest.h), for
 * tests/train_cli.sh to compare an interrupted and resumed run with an
 * uninterrupted one. With --diff A.h5 B.h5: the largest absolute
 * difference of the weights, their root mean square difference, the
 * largest difference of the EMA weights of two models of one architecture
 * and the largest absolute weight of A, for
 * tests/train_mpi.sh (training on several ranks sums float gradients in
 * another order). */
#include "config.h"
#include "mtsi_h5.h"
#include "mtsi_nn.h"
#include "train_digest.h"

#include <math.h>

static int load(const char *path, mtsi_nn_net **net, mtsi_nn_opt **opt)
{
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return -1;
    int rc = mtsi_nn_load_h5(f, "model", path, net, opt);
    H5Fclose(f);
    return rc || !*opt ? -1 : 0;
}

static int diff(const char *a, const char *b)
{
    mtsi_nn_net *na = NULL, *nb = NULL;
    mtsi_nn_opt *oa = NULL, *ob = NULL;
    int rc = 2;
    if (load(a, &na, &oa) || load(b, &nb, &ob))
        fprintf(stderr, "train_state: cannot read the models\n");
    else if (mtsi_nn_net_nparam(na) != mtsi_nn_net_nparam(nb))
        fprintf(stderr, "train_state: %ld and %ld parameters\n", mtsi_nn_net_nparam(na),
                mtsi_nn_net_nparam(nb));
    else {
        const long n = mtsi_nn_net_nparam(na);
        const mtsi_nn_real *pa = mtsi_nn_net_params(na), *pb = mtsi_nn_net_params(nb);
        const mtsi_nn_real *ea = mtsi_nn_opt_ema(oa), *eb = mtsi_nn_opt_ema(ob);
        double dp = 0, de = 0, amax = 0, ss = 0;
        for (long i = 0; i < n; i++) {
            double d = (double)pa[i] - (double)pb[i];
            ss += d * d;
            dp = fmax(dp, fabs(d));
            de = fmax(de, fabs((double)ea[i] - (double)eb[i]));
            amax = fmax(amax, fabs((double)pa[i]));
        }
        printf("nparam %ld\nmax_abs_diff %.3e\nrms_diff %.3e\nmax_abs_diff_ema %.3e\n"
               "max_abs_param %.3e\n",
               n, dp, sqrt(ss / (double)n), de, amax);
        rc = 0;
    }
    mtsi_nn_opt_free(oa);
    mtsi_nn_opt_free(ob);
    mtsi_nn_net_free(na);
    mtsi_nn_net_free(nb);
    return rc;
}

int main(int argc, char **argv)
{
    mtsi_h5_quiet();
    if (argc == 4 && !strcmp(argv[1], "--diff"))
        return diff(argv[2], argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: train_state MODEL.h5\n       train_state --diff A.h5 B.h5\n");
        return 2;
    }
    char buf[1024];
    if (train_digest(argv[1], buf, sizeof buf)) {
        fprintf(stderr, "train_state: '%s' is not a training checkpoint\n", argv[1]);
        return 2;
    }
    fputs(buf, stdout);
    return 0;
}
