/* Unit tests of the sweep run (mcmc/mtsi_sweep_run.h) on a 2 x 2 grid of
 * small lattices: a serial run makes one file per point and a summary
 * (read back with mtsi_json_load: counts, convention, the crossing); a
 * rerun rewrites nothing; one task makes bitwise the file of the full
 * run; the communicator is the run's only channel between ranks (a
 * counting one sees the broadcasts of rank 0's verdicts and the two
 * maxima); refusals come back as status and usage without output; list
 * mode runs nothing. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_json.h"
#include "mtsi_sweep_run.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/mtsi-test-sweep-run.XXXXXX";
static char dir_s[256], dir_t[256];

/* m2 = -4, lambda 4.4 and 4.8, L 4 and 6, h = A = 0: four points. */
static void small_grid(mtsi_sweep_opts *so, const char *dir)
{
    mtsi_sweep_opts_init(so);
    so->conv = MTSI_SWEEP_ML;
    so->nc = 2;
    const char *spec[MTSI_SWEEP_NAX] = {"4,6", "-4", "4.4,4.8", NULL, "0", "0"};
    for (int a = 0; a < MTSI_SWEEP_NAX; a++) {
        if (!spec[a]) {
            so->v[a] = malloc(sizeof(double));
            so->v[a][0] = NAN;
            so->n[a] = 1;
            continue;
        }
        ck_assert_int_eq(mtsi_sweep_axis_parse("axis", spec[a], a == MTSI_SWEEP_AX_L, &so->v[a],
                                               &so->n[a]),
                         MTSI_OK);
    }
    so->sampler = "cluster";
    so->n_cfg = 60;
    so->therm = 20;
    so->thin = 2;
    so->chains = 2;
    so->threads = 1;
    so->quiet = 1;
    so->all = 1; /* whatever the environment says */
    so->dir = dir;
    so->gen_n = so->n_cfg;
    so->gen_steps = 50;
    so->gen_batch = 64;
    so->gen_int = "heun";
}

static char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)*n + 1);
    ck_assert_int_eq((long)fread(b, 1, (size_t)*n, f), *n);
    fclose(f);
    return b;
}

static int same_file(const char *a, const char *b)
{
    long na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, (size_t)na);
    free(x);
    free(y);
    return same;
}

static const char *const names[4] = {"L4_m2-4_lambda4.4_h0", "L4_m2-4_lambda4.8_h0",
                                     "L6_m2-4_lambda4.4_h0", "L6_m2-4_lambda4.8_h0"};

/* Counts the calls of the interface; one rank. */
static int n_bcast, n_max, max_len[4];
static size_t bcast_bytes[8];
static void count_bcast(const mtsi_sweep_comm *c, void *buf, size_t bytes)
{
    (void)c;
    (void)buf;
    if (n_bcast < 8)
        bcast_bytes[n_bcast] = bytes;
    n_bcast++;
}
static void count_max(const mtsi_sweep_comm *c, int *v, int n)
{
    (void)c;
    (void)v;
    if (n_max < 4)
        max_len[n_max] = n;
    n_max++;
}

START_TEST(serial_run_and_summary)
{
    mtsi_sweep_opts so;
    small_grid(&so, dir_s);
    mtsi_sweep_comm comm = {0, 1, count_bcast, count_max};
    mtsi_sweep_result r;
    mtsi_sweep_run(&so, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_OK);
    ck_assert(!r.interrupted && !r.failed);
    /* rank 0's verdicts: directory (2 ints), model info, scan, states
     * of the points and of their generation; then results and flags */
    ck_assert_int_eq(n_bcast, 5);
    ck_assert_int_eq(bcast_bytes[0], 2 * sizeof(int));
    ck_assert_int_eq(bcast_bytes[3], 4 * sizeof(int));
    ck_assert_int_eq(n_max, 2);
    ck_assert_int_eq(max_len[0], 8);
    ck_assert_int_eq(max_len[1], 2);
    char p[512];
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/%s.h5", dir_s, names[k]);
        ck_assert_msg(access(p, R_OK) == 0, "%s missing", p);
    }
    snprintf(p, sizeof p, "%s/summary.txt", dir_s);
    ck_assert_int_eq(access(p, R_OK), 0);
    snprintf(p, sizeof p, "%s/summary.json", dir_s);
    json_t *j;
    ck_assert_int_eq(mtsi_json_load(p, &j), MTSI_OK);
    long long v;
    const char *s;
    ck_assert_int_eq(mtsi_json_get_integer(j, "n_points", p, &v), MTSI_OK);
    ck_assert(v == 4);
    ck_assert_int_eq(mtsi_json_get_integer(j, "n_done", p, &v), MTSI_OK);
    ck_assert(v == 4);
    ck_assert(json_is_true(json_object_get(j, "complete")));
    ck_assert_int_eq(mtsi_json_get_string(j, "convention", p, &s), MTSI_OK);
    ck_assert_str_eq(s, mtsi_sweep_convention_name(MTSI_SWEEP_ML));
    const json_t *pts = json_object_get(j, "points");
    ck_assert_int_eq(json_array_size(pts), 4);
    for (int k = 0; k < 4; k++) {
        const json_t *pt = json_array_get(pts, (size_t)k);
        char fn[64];
        snprintf(fn, sizeof fn, "%s.h5", names[k]);
        ck_assert_int_eq(mtsi_json_get_string(pt, "file", p, &s), MTSI_OK);
        ck_assert_str_eq(s, fn);
        ck_assert_int_eq(mtsi_json_get_string(pt, "status", p, &s), MTSI_OK);
        ck_assert_str_eq(s, "done");
        double u4;
        ck_assert_int_eq(
            mtsi_json_get_number(json_object_get(json_object_get(pt, "observables"), "binder"),
                                 "mean", p, &u4),
            MTSI_OK);
        ck_assert(u4 > -1 && u4 < 1);
    }
    /* L 4/6 along lambda: one crossing entry, found or with a reason */
    const json_t *cr = json_object_get(j, "binder_crossing");
    ck_assert_int_eq(json_array_size(cr), 1);
    ck_assert_int_eq(mtsi_json_get_string(json_array_get(cr, 0), "axis", p, &s), MTSI_OK);
    ck_assert_str_eq(s, "lambda");
    json_decref(j);

    /* a rerun runs nothing: the files are what they were */
    char copy[512];
    snprintf(p, sizeof p, "%s/%s.h5", dir_s, names[3]);
    snprintf(copy, sizeof copy, "%s/copy.h5", root);
    long n;
    char *b = slurp(p, &n);
    FILE *f = fopen(copy, "wb");
    fwrite(b, 1, (size_t)n, f);
    fclose(f);
    free(b);
    comm = mtsi_sweep_comm_serial();
    mtsi_sweep_run(&so, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_OK);
    ck_assert(same_file(p, copy));
    unlink(copy);

    /* one task: bitwise the file of the full run, and nothing else */
    mtsi_sweep_opts st;
    small_grid(&st, dir_t);
    st.all = 0;
    st.task = 2;
    mtsi_sweep_run(&st, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_OK);
    char q[512];
    snprintf(p, sizeof p, "%s/%s.h5", dir_s, names[2]);
    snprintf(q, sizeof q, "%s/%s.h5", dir_t, names[2]);
    ck_assert(same_file(p, q));
    snprintf(q, sizeof q, "%s/%s.h5", dir_t, names[0]);
    ck_assert_int_ne(access(q, F_OK), 0);
    snprintf(q, sizeof q, "%s/summary.json", dir_t);
    ck_assert_int_ne(access(q, F_OK), 0);
    mtsi_sweep_opts_free(&st);
    mtsi_sweep_opts_free(&so);
    ck_assert_ptr_null(so.v[0]);
}
END_TEST

START_TEST(refusals_and_list)
{
    mtsi_sweep_opts so;
    char d[300];
    snprintf(d, sizeof d, "%s/never", root);
    small_grid(&so, d);
    mtsi_sweep_comm comm = mtsi_sweep_comm_serial();
    ck_assert_int_eq(comm.rank, 0);
    ck_assert_int_eq(comm.size, 1);
    mtsi_sweep_result r;
    so.task = 4;
    so.all = 0;
    mtsi_sweep_run(&so, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_EINVAL);
    ck_assert_int_eq(r.usage, 1);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "--task-id 4 is out of range"));
    /* one task under several ranks */
    so.task = 1;
    mtsi_sweep_comm two = {0, 2, comm.bcast, comm.max};
    mtsi_sweep_run(&so, &two, &r);
    ck_assert_int_eq(r.status, MTSI_EINVAL);
    ck_assert_int_eq(r.usage, 1);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "--task-id runs one point"));
    ck_assert_int_ne(access(d, F_OK), 0);
    /* a directory that is a file: an error, not a usage mistake */
    char file[300];
    snprintf(file, sizeof file, "%s/plain", root);
    FILE *f = fopen(file, "w");
    fputs("x\n", f);
    fclose(f);
    so.task = -1;
    so.all = 1;
    so.dir = file;
    mtsi_sweep_run(&so, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_EINVAL);
    ck_assert_int_eq(r.usage, 0);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "not a directory"));
    unlink(file);
    /* list: nothing run, no directory */
    so.dir = d;
    so.list = 1;
    mtsi_sweep_run(&so, &comm, &r);
    ck_assert_int_eq(r.status, MTSI_OK);
    ck_assert_int_ne(access(d, F_OK), 0);
    mtsi_sweep_opts_free(&so);

    ck_assert_str_eq(mtsi_sweep_coupling_option(MTSI_SWEEP_HOP, 0), "kappa-hop");
    ck_assert_ptr_null(mtsi_sweep_coupling_option(MTSI_SWEEP_ML, 2));
    ck_assert_str_eq(mtsi_sweep_convention_name(MTSI_SWEEP_DIRECT), "chi_kappa_gamma");
}
END_TEST

static void rm_dir(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

int main(void)
{
    if (!mkdtemp(root))
        return 99;
    snprintf(dir_s, sizeof dir_s, "%s/s", root);
    snprintf(dir_t, sizeof dir_t, "%s/t", root);
    Suite *s = suite_create("sweep_run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, serial_run_and_summary);
    tcase_add_test(tc, refusals_and_list);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    rm_dir(root);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
