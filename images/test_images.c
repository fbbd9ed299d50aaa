/* Unit tests of the image task (images/mtsi_images.h): the MNIST reader on
 * a two-digits-per-class fixture of the real package and its refusals of
 * damaged input, the stratified split, PSNR/SSIM against hand-worked
 * values and scikit-image's (fixture written by images/ssim_reference.py),
 * the masks, the harmonic fill against exact solutions, and the Fréchet
 * distance against closed forms. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_images.h"

#include <cairo.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *srcdir(void)
{
    const char *s = getenv("MTSI_SRCDIR");
    return s ? s : ".";
}

static void fixture_pkg(char *buf, size_t n) { snprintf(buf, n, "%s/images/fixture/package", srcdir()); }

static const long two[10] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

/* ---- MNIST reader ---------------------------------------------------- */

START_TEST(mnist_fixture)
{
    char pkg[4096];
    fixture_pkg(pkg, sizeof pkg);
    mtsi_img_set s;
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, two, &s), MTSI_OK);
    ck_assert_int_eq(s.n, 20);
    ck_assert_int_eq(s.h, 28);
    ck_assert_int_eq(s.w, 28);
    for (long i = 0; i < 20; i++) {
        ck_assert_int_eq(s.labels[i], i / 2);
        ck_assert_int_eq(s.index[i], i);
    }
    /* Every value is 2k/255 − 1 for an integer byte k. */
    for (long i = 0; i < 20 * 784; i++) {
        double k = (s.x[i] + 1) * 255 / 2;
        ck_assert(fabs(k - round(k)) < 1e-9 && k >= 0 && k <= 255);
    }
    /* 0.json starts with 127 zeros then 0.2, 0.624, 0.992: bytes 51, 159, 253 */
    ck_assert_double_eq(s.x[126], -1.0);
    ck_assert_double_eq_tol(s.x[127], 2 * 51 / 255.0 - 1, 1e-15);
    ck_assert_double_eq_tol(s.x[128], 2 * 159 / 255.0 - 1, 1e-15);
    ck_assert_double_eq_tol(s.x[129], 2 * 253 / 255.0 - 1, 1e-15);
    /* the real counts are refused for the fixture, naming the class */
    mtsi_img_set t;
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, mtsi_img_mnist_counts, &t), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "expected 1001"));
    ck_assert_ptr_null(t.x);
    mtsi_img_set_free(&s);
}
END_TEST

/* A copy of the fixture with one file replaced by `text`. */
static void damaged(const char *dir, const char *file, const char *text)
{
    char cmd[8192], pkg[4096];
    fixture_pkg(pkg, sizeof pkg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -R '%s' '%s' && chmod -R u+w '%s'", dir, pkg, dir,
             dir);
    ck_assert_int_eq(system(cmd), 0);
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(mnist_refusals)
{
    char dir[] = "/tmp/mtsi-img-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char pkg[4200];
    snprintf(pkg, sizeof pkg, "%s/p", dir);
    mtsi_img_set s;
    static const struct {
        const char *file, *text, *msg;
    } cases[] = {
        {"package.json", "{\"name\": \"mnist\", \"version\": \"1.0.5\"}", "version '1.0.5'"},
        {"package.json", "{\"name\": \"emnist\", \"version\": \"1.1.0\"}", "package name"},
        {"package.json", "{\"name\": \"mnist\", ", "package.json"},
        {"src/digits/3.json", "{\"data\": [0, 0.5", "3.json"},
        {"src/digits/3.json", "{\"pixels\": []}", "no \"data\" array"},
        {"src/digits/3.json", "{\"data\": [0, 0, 0]}", "not a positive multiple of 784"},
        {"src/digits/4.json", "{\"data\": [0.5" /* 127.5/255 */, "4.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        damaged(pkg, cases[i].file, cases[i].text);
        ck_assert_int_eq(mtsi_img_mnist_read(pkg, NULL, &s), MTSI_EINVAL);
        ck_assert_msg(strstr(mtsi_error_msg(), cases[i].msg), "case %zu: %s", i, mtsi_error_msg());
    }
    /* a value that is not k/255 (0.5 is 127.5/255) in an otherwise valid file */
    char text[784 * 4 + 64];
    strcpy(text, "{\"data\": [0.5");
    for (int i = 1; i < 784; i++)
        strcat(text, ",0");
    strcat(text, "]}");
    damaged(pkg, "src/digits/4.json", text);
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, NULL, &s), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "not a grey level"));
    /* a missing file */
    char path[4300];
    snprintf(path, sizeof path, "%s/src/digits/9.json", pkg);
    unlink(path);
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, NULL, &s), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "9.json"));
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(split_stratified)
{
    char pkg[4096];
    fixture_pkg(pkg, sizeof pkg);
    mtsi_img_set s, tr, te, tr2, te2;
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, two, &s), MTSI_OK);
    ck_assert_int_eq(mtsi_img_split(&s, 10, 7, &tr, &te), MTSI_OK);
    ck_assert_int_eq(tr.n, 10);
    ck_assert_int_eq(te.n, 10);
    int seen[20] = {0}, cls[10] = {0};
    for (long i = 0; i < 10; i++) {
        seen[tr.index[i]]++;
        seen[te.index[i]]++;
        cls[te.labels[i]]++;
        ck_assert_int_eq(memcmp(te.x + i * 784, s.x + te.index[i] * 784, 784 * sizeof(double)), 0);
        ck_assert_int_eq(te.labels[i], s.labels[te.index[i]]);
    }
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(seen[i], 1); /* disjoint, and together everything */
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(cls[c], 1);
    /* the same seed gives the same split */
    ck_assert_int_eq(mtsi_img_split(&s, 10, 7, &tr2, &te2), MTSI_OK);
    ck_assert_int_eq(memcmp(te.index, te2.index, 10 * sizeof(long)), 0);
    ck_assert_int_eq(memcmp(tr.index, tr2.index, 10 * sizeof(long)), 0);
    mtsi_img_set_free(&tr2);
    mtsi_img_set_free(&te2);
    /* largest remainder: 3 test images of 20 go to the first classes in
     * index order of equal remainders (0.3 each) */
    ck_assert_int_eq(mtsi_img_split(&s, 3, 7, &tr2, &te2), MTSI_OK);
    long c3[10] = {0};
    for (long i = 0; i < 3; i++)
        c3[te2.labels[i]]++;
    ck_assert_int_eq(c3[0] + c3[1] + c3[2], 3);
    mtsi_img_set_free(&tr);
    mtsi_img_set_free(&te);
    ck_assert_int_eq(mtsi_img_split(&s, 20, 7, &tr, &te), MTSI_EINVAL);
    mtsi_img_set_free(&tr2);
    mtsi_img_set_free(&te2);
    mtsi_img_set_free(&s);
}
END_TEST

START_TEST(split_real_counts)
{
    /* The SPEC counts give 100,113,99,103,98,86,102,107,94,98 test images:
     * floors 997 plus the remainders .8 (class 9), .7 (1), .4 (6 before 8). */
    mtsi_img_set s, tr, te;
    memset(&s, 0, sizeof s);
    s.n = 10000;
    s.h = s.w = 1;
    s.x = calloc(10000, sizeof(double));
    s.labels = malloc(10000 * sizeof(long));
    long k = 0;
    for (int c = 0; c < 10; c++)
        for (long i = 0; i < mtsi_img_mnist_counts[c]; i++)
            s.labels[k++] = c;
    ck_assert_int_eq(k, 10000);
    ck_assert_int_eq(mtsi_img_split(&s, 1000, MTSI_IMG_SPLIT_SEED, &tr, &te), MTSI_OK);
    static const long want[10] = {100, 113, 99, 103, 98, 86, 102, 107, 94, 98};
    long got[10] = {0};
    for (long i = 0; i < te.n; i++)
        got[te.labels[i]]++;
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(got[c], want[c]);
    mtsi_img_set_free(&tr);
    mtsi_img_set_free(&te);
    mtsi_img_set_free(&s);
}
END_TEST

START_TEST(file_roundtrip)
{
    char pkg[4096];
    fixture_pkg(pkg, sizeof pkg);
    mtsi_img_set s, r;
    ck_assert_int_eq(mtsi_img_mnist_read(pkg, two, &s), MTSI_OK);
    char path[] = "/tmp/mtsi-img-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    hid_t f = mtsi_img_set_write(path, &s, "data", 3, "test");
    ck_assert_int_ge(f, 0);
    H5Fclose(f);
    ck_assert_int_eq(mtsi_img_set_read(path, &r), MTSI_OK);
    ck_assert_int_eq(r.n, 20);
    ck_assert_int_eq(memcmp(r.x, s.x, 20 * 784 * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(r.labels, s.labels, 20 * sizeof(long)), 0);
    mtsi_img_set_free(&r);
    /* the attributes of the data-shape convention */
    f = mtsi_h5_open(path);
    char buf[64];
    ck_assert_int_eq(mtsi_h5_attr_get_string(f, "kind", buf, sizeof buf, "t"), 0);
    ck_assert_str_eq(buf, "data");
    long ch;
    ck_assert_int_eq(mtsi_h5_attr_get_long(f, "channels", &ch, "t"), 0);
    ck_assert_int_eq(ch, 1);
    H5Fclose(f);
    /* another data kind is refused */
    f = mtsi_h5_open_rw(path);
    H5Adelete(f, "data_kind");
    mtsi_h5_attr_set_string(f, "data_kind", "path");
    H5Fclose(f);
    ck_assert_int_eq(mtsi_img_set_read(path, &r), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "'path'"));
    unlink(path);
    mtsi_img_set_free(&s);
}
END_TEST

/* ---- metrics ------------------------------------------------------------ */

START_TEST(metrics_hand)
{
    /* constant images p = 0.25 and 0.75: MSE 1/4, PSNR 10 log10 4; SSIM
     * has zero (co)variances: (2·0.25·0.75 + C1)/(0.25² + 0.75² + C1). */
    double x[28 * 28], y[28 * 28];
    for (int i = 0; i < 784; i++) {
        x[i] = 2 * 0.25 - 1;
        y[i] = 2 * 0.75 - 1;
    }
    ck_assert_double_eq_tol(mtsi_img_psnr(x, y, 28, 28), 10 * log10(4.0), 1e-12);
    ck_assert_double_eq_tol(mtsi_img_ssim(x, y, 28, 28), (0.375 + 1e-4) / (0.625 + 1e-4), 1e-12);
    /* identical: PSNR +inf, SSIM 1; values outside [−1, 1] are clipped */
    ck_assert(isinf(mtsi_img_psnr(x, x, 28, 28)));
    ck_assert_double_eq_tol(mtsi_img_ssim(x, x, 28, 28), 1, 1e-12);
    for (int i = 0; i < 784; i++)
        y[i] = (i % 2) ? 1.5 : -3;
    double z[784];
    for (int i = 0; i < 784; i++)
        z[i] = (i % 2) ? 1 : -1;
    ck_assert(isinf(mtsi_img_psnr(y, z, 28, 28)));
    /* a single differing pixel: MSE 1/784 */
    memcpy(y, x, sizeof x);
    y[0] = 1; /* p 0.25 -> 1 */
    ck_assert_double_eq_tol(mtsi_img_psnr(x, y, 28, 28), 10 * log10(784 / (0.75 * 0.75)), 1e-12);
    /* SSIM needs an 11x11 window */
    ck_assert(isnan(mtsi_img_ssim(x, y, 10, 28)));
}
END_TEST

static double *read_vals(FILE *f, const char *tag, long n)
{
    char t[16];
    ck_assert_int_eq(fscanf(f, "%15s", t), 1);
    ck_assert_str_eq(t, tag);
    double *v = malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++)
        ck_assert_int_eq(fscanf(f, "%lf", &v[i]), 1);
    return v;
}

START_TEST(metrics_skimage)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/images/fixture/metrics_reference.txt", srcdir());
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* comment */
    int cases = 0;
    char name[64];
    int h, w;
    while (fscanf(f, " case %63s %d %d", name, &h, &w) == 3) {
        double *x = read_vals(f, "x", (long)h * w), *y = read_vals(f, "y", (long)h * w);
        double *p = read_vals(f, "psnr", 1), *s = read_vals(f, "ssim", 1);
        ck_assert_msg(fabs(mtsi_img_psnr(x, y, h, w) - *p) < 1e-10, "%s: psnr %.15g vs %.15g", name,
                      mtsi_img_psnr(x, y, h, w), *p);
        ck_assert_msg(fabs(mtsi_img_ssim(x, y, h, w) - *s) < 1e-10, "%s: ssim %.15g vs %.15g", name,
                      mtsi_img_ssim(x, y, h, w), *s);
        /* symmetric in its arguments */
        ck_assert(fabs(mtsi_img_ssim(y, x, h, w) - *s) < 1e-10);
        free(x);
        free(y);
        free(p);
        free(s);
        cases++;
    }
    fclose(f);
    ck_assert_int_eq(cases, 4);
}
END_TEST

/* ---- masks ------------------------------------------------------------ */

static long missing(const unsigned char *m, long n)
{
    long k = 0;
    for (long i = 0; i < n; i++)
        k += !m[i];
    return k;
}

START_TEST(masks)
{
    unsigned char *m;
    long nm;
    ck_assert_int_eq(mtsi_img_mask_make("box:14", 5, 28, 28, 0, &m, &nm), 0);
    ck_assert_int_eq(nm, 1);
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++)
            ck_assert_int_eq(m[r * 28 + c], !(r >= 7 && r <= 20 && c >= 7 && c <= 20));
    free(m);
    ck_assert_int_eq(mtsi_img_mask_make("rows:even", 5, 28, 28, 0, &m, &nm), 0);
    for (int r = 0; r < 28; r++)
        ck_assert_int_eq(m[r * 28 + 3], r % 2);
    ck_assert_int_eq(missing(m, 784), 392);
    free(m);
    ck_assert_int_eq(mtsi_img_mask_make("blocks:4", 5, 28, 28, 0, &m, &nm), 0);
    ck_assert_int_eq(missing(m, 784), 25 * 16); /* 7x7 blocks, 25 of even parity */
    ck_assert_int_eq(m[0], 0);
    ck_assert_int_eq(m[4], 1);
    ck_assert_int_eq(m[4 * 28 + 4], 0);
    free(m);
    ck_assert_int_eq(mtsi_img_mask_make("random:0.7", 3, 28, 28, 11, &m, &nm), 0);
    ck_assert_int_eq(nm, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(missing(m + i * 784, 784), 549); /* round(0.7·784) */
    ck_assert_int_ne(memcmp(m, m + 784, 784), 0);         /* a new mask per image */
    unsigned char *m2;
    ck_assert_int_eq(mtsi_img_mask_make("random:0.7", 2, 28, 28, 11, &m2, &nm), 0);
    ck_assert_int_eq(memcmp(m, m2, 2 * 784), 0);          /* image i's mask depends on (seed, i) */
    free(m2);
    free(m);
    static const char *bad[] = {"box:0", "box:29", "random:1.5", "random:x", "blocks:0", "rows:all",
                                "square:4", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(mtsi_img_mask_make(bad[i], 1, 28, 28, 0, &m, &nm), MTSI_EINVAL);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(mask_png)
{
    /* 28x28 RGB: the left 10 columns white (observed), the rest black */
    char path[] = "/tmp/mtsi-mask-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 28, 28);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, 10, 28);
    cairo_fill(cr);
    cairo_destroy(cr);
    ck_assert_int_eq(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
    unsigned char *m;
    ck_assert_int_eq(mtsi_img_mask_read_png(path, 28, 28, &m), 0);
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++)
            ck_assert_int_eq(m[r * 28 + c], c < 10);
    free(m);
    ck_assert_int_eq(mtsi_img_mask_read_png(path, 20, 28, &m), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "28x28 pixels"));
    FILE *f = fopen(path, "w");
    fputs("not a png", f);
    fclose(f);
    ck_assert_int_eq(mtsi_img_mask_read_png(path, 28, 28, &m), MTSI_EINVAL);
    ck_assert_ptr_null(m);
    unlink(path);
}
END_TEST

/* ---- harmonic fill ---------------------------------------------------- */

START_TEST(harmonic_exact)
{
    /* 1x5 line, ends observed 0 and 4: the missing pixels are 1, 2, 3 */
    double in[5] = {0, 9, 9, 9, 4}, out[5];
    unsigned char m[5] = {1, 0, 0, 0, 1};
    ck_assert_int_eq(mtsi_img_harmonic(in, m, 1, 5, out), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq_tol(out[i], i, 1e-13);
    /* Neumann boundary: one observed pixel fixes a whole region */
    double a[12] = {0.3}, b[12];
    unsigned char ma[12] = {1};
    ck_assert_int_eq(mtsi_img_harmonic(a, ma, 3, 4, b), 0);
    for (int i = 0; i < 12; i++)
        ck_assert_double_eq_tol(b[i], 0.3, 1e-13);
    /* 3x3, centre missing: the mean of its four neighbours */
    double c[9] = {9, 1, 9, 2, 0, 3, 9, 6, 9}, d[9];
    unsigned char mc[9] = {1, 1, 1, 1, 0, 1, 1, 1, 1};
    ck_assert_int_eq(mtsi_img_harmonic(c, mc, 3, 3, d), 0);
    ck_assert_double_eq_tol(d[4], 3.0, 1e-13);
    /* 2x2 missing in a 4x4 frame (hand solved): by symmetry of the data
     * below, u = (Σ observed neighbours + Σ missing neighbours)/4 with
     * every missing pixel having 2 observed neighbours of value 1 and
     * 2 missing neighbours: u = (2 + 2u)/4, u = 1. */
    double e[16], g[16];
    unsigned char me[16];
    for (int i = 0; i < 16; i++) {
        e[i] = 1;
        me[i] = 1;
    }
    me[5] = me[6] = me[9] = me[10] = 0;
    e[5] = e[6] = e[9] = e[10] = -7;
    ck_assert_int_eq(mtsi_img_harmonic(e, me, 4, 4, g), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_double_eq_tol(g[i], 1, 1e-13);
    /* everything missing: no data, 0 */
    unsigned char none[12] = {0};
    ck_assert_int_eq(mtsi_img_harmonic(a, none, 3, 4, b), 0);
    for (int i = 0; i < 12; i++)
        ck_assert_double_eq(b[i], 0);
}
END_TEST

START_TEST(harmonic_residual)
{
    /* 28x28, random 70% mask, random data: every missing pixel satisfies
     * deg·u_i = Σ_{j~i} u_j to rounding; observed pixels are untouched. */
    unsigned char *m;
    long nm;
    ck_assert_int_eq(mtsi_img_mask_make("random:0.7", 1, 28, 28, 5, &m, &nm), 0);
    double x[784], u[784];
    for (int i = 0; i < 784; i++)
        x[i] = sin(0.37 * i) * cos(0.11 * i);
    ck_assert_int_eq(mtsi_img_harmonic(x, m, 28, 28, u), 0);
    double worst = 0;
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++) {
            int p = r * 28 + c;
            if (m[p]) {
                ck_assert_double_eq(u[p], x[p]);
                continue;
            }
            double s = 0;
            int deg = 0;
            if (r > 0) s += u[p - 28], deg++;
            if (r < 27) s += u[p + 28], deg++;
            if (c > 0) s += u[p - 1], deg++;
            if (c < 27) s += u[p + 1], deg++;
            double res = fabs(deg * u[p] - s);
            worst = res > worst ? res : worst;
        }
    ck_assert_msg(worst < 1e-12, "residual %g", worst);
    /* the box: the same, and in-place */
    free(m);
    ck_assert_int_eq(mtsi_img_mask_make("box:14", 1, 28, 28, 0, &m, &nm), 0);
    memcpy(u, x, sizeof x);
    ck_assert_int_eq(mtsi_img_harmonic(u, m, 28, 28, u), 0);
    ck_assert_double_eq_tol(u[14 * 28 + 14],
                            0.25 * (u[13 * 28 + 14] + u[15 * 28 + 14] + u[14 * 28 + 13] + u[14 * 28 + 15]),
                            1e-12);
    free(m);
}
END_TEST

START_TEST(degrade_noise)
{
    double x[784], y[784], z[784];
    unsigned char *m;
    long nm;
    for (int i = 0; i < 784; i++)
        x[i] = 0.5;
    ck_assert_int_eq(mtsi_img_mask_make("box:14", 1, 28, 28, 0, &m, &nm), 0);
    mtsi_img_degrade(x, m, 28, 28, 0, 1, 0, y);
    for (int i = 0; i < 784; i++)
        ck_assert_double_eq(y[i], m[i] ? 0.5 : 0);
    /* σ = 0.05: the noise on the 588 observed pixels has std 0.05 (to
     * 5 standard errors of the sample std, 0.05/√(2·588)) */
    mtsi_img_degrade(x, m, 28, 28, 0.05, 1, 0, y);
    mtsi_img_degrade(x, m, 28, 28, 0.05, 1, 1, z);
    double s2 = 0;
    for (int i = 0; i < 784; i++)
        if (m[i])
            s2 += (y[i] - 0.5) * (y[i] - 0.5);
    ck_assert_double_eq_tol(sqrt(s2 / 588), 0.05, 5 * 0.05 / sqrt(2 * 588.0));
    ck_assert_int_ne(memcmp(y, z, sizeof y), 0); /* a new draw per image */
    free(m);
}
END_TEST

START_TEST(gaussian_exact)
{
    /* fit: 4 images of 1x2, population moments */
    mtsi_img_set s;
    memset(&s, 0, sizeof s);
    double x[8] = {1, 1, -1, -1, 1, -1, -1, 1};
    s.n = 4;
    s.h = 1;
    s.w = 2;
    s.x = x;
    double mu[2], C[4];
    ck_assert_int_eq(mtsi_img_gauss_fit(&s, mu, C), 0);
    ck_assert_double_eq(mu[0], 0);
    ck_assert_double_eq(C[0], 1);
    ck_assert_double_eq(C[1], 0);
    /* conditional mean: C = [[1, r], [r, 1]], pixel 0 observed y with noise
     * variance v: x0 = y/(1 + v), x1 = r y/(1 + v) */
    double r = 0.6, v = 0.25, cv[4] = {1, r, r, 1}, m0[2] = {0.1, -0.2};
    double y[2] = {2, 99}, out[2], work[6];
    unsigned char mk[2] = {1, 0};
    ck_assert_int_eq(mtsi_img_gauss_condmean(m0, cv, 2, y, mk, v, out, work), 0);
    ck_assert_double_eq_tol(out[0], 0.1 + (2 - 0.1) / (1 + v), 1e-14);
    ck_assert_double_eq_tol(out[1], -0.2 + r * (2 - 0.1) / (1 + v), 1e-14);
    /* nothing observed: the mean; everything observed without noise: y */
    unsigned char none[2] = {0, 0}, all[2] = {1, 1};
    ck_assert_int_eq(mtsi_img_gauss_condmean(m0, cv, 2, y, none, v, out, work), 0);
    ck_assert_double_eq(out[0], 0.1);
    ck_assert_double_eq(out[1], -0.2);
    ck_assert_int_eq(mtsi_img_gauss_condmean(m0, cv, 2, y, all, 0, out, work), 0);
    ck_assert_double_eq_tol(out[0], 2, 1e-12);
    ck_assert_double_eq_tol(out[1], 99, 1e-12);
    /* a singular observed block without ridge is refused */
    double sing[4] = {1, 1, 1, 1};
    ck_assert_int_eq(mtsi_img_gauss_condmean(m0, sing, 2, y, all, 0, out, work), MTSI_EFAIL);
}
END_TEST

START_TEST(score_samples)
{
    /* 3 truth images of 12x12; two antithetic samples each (x ± e): the
     * mean of 2 is exact (to rounding: SSIM 1), the single sample x + e */
    enum { H = 12, W = 12, P = H * W };
    mtsi_img_set t, r;
    memset(&t, 0, sizeof t);
    memset(&r, 0, sizeof r);
    double tx[3 * P], rx[6 * P];
    for (int i = 0; i < 3 * P; i++)
        tx[i] = sin(0.3 * i);
    for (int j = 0; j < 6; j++)
        for (int q = 0; q < P; q++) {
            double e = 0.1 * cos(0.7 * q + j % 3);
            rx[j * P + q] = tx[(j % 3) * P + q] + (j < 3 ? e : -e);
        }
    t.n = 3;
    r.n = 6;
    t.h = r.h = H;
    t.w = r.w = W;
    t.x = tx;
    r.x = rx;
    mtsi_img_score_result a, b;
    long src[6] = {0, 1, 2, 0, 1, 2};
    ck_assert_int_eq(mtsi_img_score(&t, &r, src, 0, &a), 0);
    ck_assert_int_eq(a.n, 3);
    ck_assert_int_eq(a.k, 2);
    ck_assert(a.psnrk.mean > 250); /* exact up to rounding: MSE < 1e-25 */
    ck_assert_double_eq_tol(a.ssimk.mean, 1, 1e-12);
    double p[3], m = 0;
    for (int i = 0; i < 3; i++)
        m += (p[i] = mtsi_img_psnr(rx + i * P, tx + i * P, H, W)) / 3;
    double v = 0;
    for (int i = 0; i < 3; i++)
        v += (p[i] - m) * (p[i] - m);
    ck_assert_double_eq_tol(a.psnr1.mean, m, 1e-12);
    ck_assert_double_eq_tol(a.psnr1.err, sqrt(v / 2 / 3), 1e-12);
    /* without /source_index: sample j completes image j mod N, the same */
    ck_assert_int_eq(mtsi_img_score(&t, &r, NULL, 0, &b), 0);
    ck_assert_double_eq(b.psnr1.mean, a.psnr1.mean);
    ck_assert_double_eq(b.ssim1.mean, a.ssim1.mean);
    /* k = 1: the mean of one sample is the single sample */
    ck_assert_int_eq(mtsi_img_score(&t, &r, src, 1, &b), 0);
    ck_assert_double_eq(b.psnrk.mean, a.psnr1.mean);
    /* only image 1 has samples: one image scored */
    long one[6] = {1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(mtsi_img_score(&t, &r, one, 0, &b), 0);
    ck_assert_int_eq(b.n, 1);
    ck_assert_int_eq(b.k, 6);
    /* refusals */
    ck_assert_int_eq(mtsi_img_score(&t, &r, src, 3, &b), MTSI_EINVAL);
    long badsrc[6] = {0, 1, 2, 3, 0, 0};
    ck_assert_int_eq(mtsi_img_score(&t, &r, badsrc, 0, &b), MTSI_EINVAL);
    r.n = 5;
    ck_assert_int_eq(mtsi_img_score(&t, &r, NULL, 0, &b), MTSI_EINVAL);
}
END_TEST

/* ---- Fréchet distance ------------------------------------------------- */

START_TEST(frechet_closed_forms)
{
    /* 2x2 non-commuting: tr √M = √(tr M + 2 √det M) for a 2x2 PSD M, with
     * tr (Ca^½ Cb Ca^½)^½ = tr (Ca Cb)^½ computed from M = Ca Cb's trace
     * and determinant (same eigenvalues). */
    double ca[4] = {2, 0.6, 0.6, 1}, cb[4] = {1.5, -0.4, -0.4, 0.7};
    double ma[2] = {0.1, -0.3}, mb[2] = {0.4, 0.2}, fd;
    ck_assert_int_eq(mtsi_img_frechet(ma, ca, mb, cb, 2, &fd), 0);
    double t = ca[0] * cb[0] + ca[1] * cb[2] + ca[2] * cb[1] + ca[3] * cb[3];
    double det = (ca[0] * ca[3] - ca[1] * ca[2]) * (cb[0] * cb[3] - cb[1] * cb[2]);
    double want = 0.09 + 0.25 + (2 + 1 + 1.5 + 0.7) - 2 * sqrt(t + 2 * sqrt(det));
    ck_assert_double_eq_tol(fd, want, 1e-12);
    /* the same law: 0 */
    ck_assert_int_eq(mtsi_img_frechet(ma, ca, ma, ca, 2, &fd), 0);
    ck_assert_double_eq_tol(fd, 0, 1e-12);
    /* moments: population covariance of 4 points */
    double f[8] = {0, 0, 2, 0, 0, 2, 2, 2}, m[2], c[4];
    ck_assert_int_eq(mtsi_img_moments(f, 4, 2, m, c), 0);
    ck_assert_double_eq(m[0], 1);
    ck_assert_double_eq(c[0], 1);
    ck_assert_double_eq(c[1], 0);
    ck_assert_int_eq(mtsi_img_moments(f, 1, 2, m, c), MTSI_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("images");
    TCase *td = tcase_create("data");
    tcase_add_test(td, mnist_fixture);
    tcase_add_test(td, mnist_refusals);
    tcase_add_test(td, split_stratified);
    tcase_add_test(td, split_real_counts);
    tcase_add_test(td, file_roundtrip);
    suite_add_tcase(s, td);
    TCase *tm = tcase_create("metrics");
    tcase_add_test(tm, metrics_hand);
    tcase_add_test(tm, metrics_skimage);
    tcase_add_test(tm, frechet_closed_forms);
    tcase_add_test(tm, score_samples);
    suite_add_tcase(s, tm);
    TCase *tb = tcase_create("baselines");
    tcase_add_test(tb, masks);
    tcase_add_test(tb, mask_png);
    tcase_add_test(tb, harmonic_exact);
    tcase_add_test(tb, harmonic_residual);
    tcase_add_test(tb, degrade_noise);
    tcase_add_test(tb, gaussian_exact);
    suite_add_tcase(s, tb);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
