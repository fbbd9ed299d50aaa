/* mtsi maze: the maze2d mazes (SPEC.md section 8) from the command line:
 * training data, shortest paths, validity of a polyline, planning and its
 * evaluation. */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_json.h"
#include "mtsi_maze.h"
#include "mtsi_maze_data.h"
#include "mtsi_maze_drift.h"
#include "mtsi_maze_fig.h"
#include "mtsi_maze_plan.h"
#include "mtsi_model.h"
#include "mtsi_plot.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: mtsi maze data     --maze M --out F.h5 [--steps S] [--windows N] [--seed S] [--noisy]\n"
    "       mtsi maze shortest --maze M --from X,Y --to X,Y [--clearance C]\n"
    "       mtsi maze valid    --maze M X,Y X,Y [X,Y ...]\n"
    "       mtsi maze plan     --maze M --from X,Y --to X,Y [--via X,Y@I ...] (--planner P | --model M.h5)\n"
    "       mtsi maze eval     --maze M --pairs N (--planner P | --model M.h5) [--closed-loop]\n"
    "                          [--plans-out F.h5]\n"
    "       mtsi maze figure   (--plans P.h5 [--count N] [--cols C] | --data D.h5) --out FIG\n"
    "\n"
    "The D4RL maze2d mazes in observation coordinates (wall cell (w, h) covers\n"
    "[w-0.7, w+0.3] x [h-0.7, h+0.3]; the ball has radius 0.1). See mtsi-maze(1).\n"
    "\n"
    "  --maze M           medium | large\n"
    "  data: one generator trajectory of S steps (default 2000000), N windows of\n"
    "  300 steps with every 6th point kept (default 100000), written as a path\n"
    "  data set [N, 2, 50] with the trajectory's coverage:\n"
    "  --steps S, --windows N, --seed S (default 1), --noisy (action noise 0.5)\n"
    "  --out F.h5         output; --force replaces an existing file\n"
    "  shortest: the exact shortest collision-free path (JSON); --clearance C\n"
    "  keeps it C away from the walls (rounded corners, to 0.009 C per turn)\n"
    "  valid: is the polyline through the points valid (plain and with the\n"
    "  ball's clearance 0.1)? JSON, exit 0 either way\n"
    "  plan: one plan, the goal index k searched over 5, 10, ..., 45, 49; with\n"
    "  --via X,Y@I points pinned at index I, one sample through all pins\n"
    "  eval: N random pairs (two distinct free cells + U(-0.1, 0.1)): valid\n"
    "  fractions, k histogram, length / exact shortest, time per plan (JSON)\n"
    "  --planner P        straight | shortest (baselines and test doubles) |\n"
    "                     gaussian (inpainting with the exact drift of a dense\n"
    "                     Gaussian fitted to the windows of --data D.h5) |\n"
    "                     model (inpainting with the drift of --model M.h5)\n"
    "  --model M.h5       a model of the path shape (50 points, 2 channels, zero\n"
    "                     boundary): a network of mtsi train or a dense Gaussian\n"
    "                     of mtsi fit-gaussian, with its recorded standardisation;\n"
    "                     implies --planner model\n"
    "  --eps E, --sde-steps N  the inpainting SDE (default 0.7, 80; eps 0: ODE)\n"
    "  --noise SD         N(0, SD^2) added to the planner's free points\n"
    "  --closed-loop[=T]  drive the ball along each valid plan (T steps, 800)\n"
    "  --plans-out F.h5   the plans of eval (starts, goals, k, raw paths)\n"
    "  --batch B          eval: pairs planned together (default 64)\n"
    "  --json             data: the summary as JSON on stdout\n"
    "  figure: the first N plans of a --plans-out file (default 8, C per row,\n"
    "  default 4) over the walls, or the coverage of a data file; FIG is .png,\n"
    "  .pdf or .svg; the maze is the file's\n";

enum { O_MAZE = 256, O_OUT, O_FORCE, O_STEPS, O_WINDOWS, O_SEED, O_NOISY, O_FROM, O_TO,
       O_CLEAR, O_VIA, O_PLANNER, O_NOISE, O_PAIRS, O_LOOP, O_PLANS, O_JSON, O_PLANS_IN,
       O_DATA_IN, O_COUNT, O_COLS, O_BATCH, O_EPS, O_SDE_STEPS, O_MODEL, O_NOPT };

/* Options each action accepts (bit per option). */
#define B(o) (1UL << ((o) - O_MAZE))
static const struct {
    const char *name;
    unsigned long allowed;
} actions[] = {
    {"data", B(O_MAZE) | B(O_OUT) | B(O_FORCE) | B(O_STEPS) | B(O_WINDOWS) | B(O_SEED) |
                 B(O_NOISY) | B(O_JSON)},
    {"shortest", B(O_MAZE) | B(O_FROM) | B(O_TO) | B(O_CLEAR)},
    {"valid", B(O_MAZE)},
    {"plan", B(O_MAZE) | B(O_FROM) | B(O_TO) | B(O_VIA) | B(O_PLANNER) | B(O_NOISE) | B(O_SEED) |
                 B(O_DATA_IN) | B(O_EPS) | B(O_SDE_STEPS) | B(O_MODEL)},
    {"eval", B(O_MAZE) | B(O_PAIRS) | B(O_PLANNER) | B(O_NOISE) | B(O_SEED) | B(O_LOOP) |
                 B(O_PLANS) | B(O_FORCE) | B(O_BATCH) | B(O_DATA_IN) | B(O_EPS) | B(O_SDE_STEPS) |
                 B(O_MODEL)},
    {"figure", B(O_MAZE) | B(O_PLANS_IN) | B(O_DATA_IN) | B(O_COUNT) | B(O_COLS) | B(O_OUT) |
                   B(O_FORCE)},
};

#define MAXVIA 48

typedef struct {
    const char *maze, *out, *planner, *plans_out, *plans_in, *data_in, *model;
    long steps, windows, seed, pairs, loop, count, cols, batch, sde_steps;
    double clear, noise, eps;
    double from[2], to[2];
    int has_from, has_to, force, noisy, json, nvia;
    double via[2 * MAXVIA];
    int via_idx[MAXVIA];
} maze_args;

static int parse_point(const char *opt, const char *s, double *p)
{
    char buf[128];
    const char *comma = strchr(s, ',');
    if (!comma || strlen(s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "%s: expected X,Y, got '%s'", opt, s);
    memcpy(buf, s, (size_t)(comma - s));
    buf[comma - s] = 0;
    if (mtsi_parse_finite(opt, buf, &p[0]) || mtsi_parse_finite(opt, comma + 1, &p[1]))
        return mtsi_error_set(MTSI_EINVAL, "%s: expected X,Y, got '%s'", opt, s);
    return MTSI_OK;
}

static int parse_via(const char *s, double *p, int *idx)
{
    const char *at = strchr(s, '@');
    char buf[128];
    long i;
    if (!at || (size_t)(at - s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "--via: expected X,Y@I, got '%s'", s);
    memcpy(buf, s, (size_t)(at - s));
    buf[at - s] = 0;
    if (parse_point("--via", buf, p) || mtsi_parse_long_range("--via", at + 1, 1, 48, &i))
        return mtsi_error_set(MTSI_EINVAL, "--via: expected X,Y@I with 1 <= I <= 48, got '%s'", s);
    *idx = (int)i;
    return MTSI_OK;
}

static json_t *json_points(long n, const double *p, int *rc)
{
    json_t *a = json_array();
    for (long i = 0; i < n; i++) {
        json_t *q = json_array();
        mtsi_json_append(q, mtsi_json_num(p[2 * i]), rc);
        mtsi_json_append(q, mtsi_json_num(p[2 * i + 1]), rc);
        mtsi_json_append(a, q, rc);
    }
    return a;
}

/* Writes doc (stolen) on stdout; 0 or the failure's exit status. */
static int emit(json_t *doc, int rc)
{
    static const mtsi_json_layout lay[] = {{"points", "\n ", NULL, NULL, NULL}};
    if (!doc)
        rc = MTSI_ENOMEM;
    if (rc)
        mtsi_error_set(rc, "no memory for the JSON output");
    else
        rc = mtsi_json_write(stdout, doc, MTSI_JSON_G17, lay, 1);
    json_decref(doc);
    return rc ? mtsi_cli_fail("maze") : 0;
}

static int run_data(mtsi_maze *m, const maze_args *a, int argc, char **argv)
{
    if (!a->out)
        return mtsi_cli_usage_error("maze", "data: --out FILE.h5 is required");
    if (mtsi_out_check(a->out, a->force))
        return mtsi_cli_fail("maze");
    char *tmp = mtsi_out_tmpname(a->out), *cl = mtsi_cli_command_line(argc, argv);
    mtsi_maze_data_opts o = {a->steps, a->windows, (uint64_t)a->seed, a->noisy, 1, cl};
    mtsi_maze_data_stats st;
    mtsi_signal_install();
    int rc = tmp ? mtsi_maze_data_write(m, &o, tmp, &st) : MTSI_ENOMEM;
    if (!rc)
        rc = mtsi_out_commit(tmp, a->out);
    else if (tmp)
        unlink(tmp);
    free(tmp);
    free(cl);
    if (rc)
        return mtsi_cli_fail("maze");
    double rate = st.seconds_generate > 0 ? (double)st.steps / st.seconds_generate : NAN;
    if (a->json) {
        int jrc = MTSI_OK;
        json_t *doc = json_object();
        mtsi_json_set(doc, "maze", mtsi_json_str(mtsi_maze_name(m)), &jrc);
        mtsi_json_set(doc, "steps", json_integer(st.steps), &jrc);
        mtsi_json_set(doc, "windows", json_integer(st.windows), &jrc);
        mtsi_json_set(doc, "seed", json_integer(a->seed), &jrc);
        mtsi_json_set(doc, "noisy", json_boolean(a->noisy), &jrc);
        mtsi_json_set(doc, "targets_reached", json_integer(st.targets), &jrc);
        mtsi_json_set(doc, "contacts", json_integer(st.contacts), &jrc);
        mtsi_json_set(doc, "min_wall_dist", mtsi_json_num(st.min_wall_dist), &jrc);
        mtsi_json_set(doc, "cells_free", json_integer(st.cells_free), &jrc);
        mtsi_json_set(doc, "cells_visited", json_integer(st.cells_visited), &jrc);
        mtsi_json_set(doc, "cell_steps_min", json_integer(st.cell_min), &jrc);
        mtsi_json_set(doc, "cell_steps_max", json_integer(st.cell_max), &jrc);
        mtsi_json_set(doc, "steps_per_s", mtsi_json_num(rate), &jrc);
        mtsi_json_set(doc, "seconds", mtsi_json_num(st.seconds_total), &jrc);
        return emit(doc, jrc);
    }
    printf("maze data: %s, %ld steps (%.3g steps/s), %ld targets reached, %ld windows -> %s\n"
           "coverage: %ld of %ld free cells visited, steps per cell %ld .. %ld; closest "
           "approach to a wall %.6f; %.2f s\n",
           mtsi_maze_name(m), st.steps, rate, st.targets, st.windows, a->out, st.cells_visited,
           st.cells_free, st.cell_min, st.cell_max, st.min_wall_dist, st.seconds_total);
    return 0;
}

static int run_shortest(mtsi_maze *m, const maze_args *a)
{
    if (!a->has_from || !a->has_to)
        return mtsi_cli_usage_error("maze", "shortest: --from X,Y and --to X,Y are required");
    if (!(a->clear >= 0) || a->clear > 0.4)
        return mtsi_cli_usage_error("maze", "--clearance: expected 0 <= C <= 0.4, got %g",
                                    a->clear);
    if (mtsi_maze_check_point(m, a->from, "--from") || mtsi_maze_check_point(m, a->to, "--to"))
        return mtsi_cli_fail("maze");
    double pts[2 * 256];
    int n = 0;
    double len = mtsi_maze_shortest(m, a->from, a->to, a->clear, pts, 256, &n);
    if (len < 0)
        return mtsi_cli_usage_error("maze", "no path with clearance %g from (%g, %g) to (%g, %g)",
                                    a->clear, a->from[0], a->from[1], a->to[0], a->to[1]);
    int jrc = MTSI_OK;
    json_t *doc = json_object();
    mtsi_json_set(doc, "maze", mtsi_json_str(mtsi_maze_name(m)), &jrc);
    mtsi_json_set(doc, "clearance", mtsi_json_num(a->clear), &jrc);
    mtsi_json_set(doc, "length", mtsi_json_num(len), &jrc);
    mtsi_json_set(doc, "points", json_points(n, pts, &jrc), &jrc);
    return emit(doc, jrc);
    return 0;
}

static int run_valid(mtsi_maze *m, int n, char **words)
{
    if (n < 1)
        return mtsi_cli_usage_error("maze", "valid: give the polyline's points X,Y ...");
    double *p = malloc((size_t)n * 2 * sizeof(double));
    if (!p)
        return mtsi_cli_usage_error("maze", "out of memory");
    for (int i = 0; i < n; i++)
        if (parse_point("point", words[i], p + 2 * i)) {
            free(p);
            return mtsi_cli_fail("maze");
        }
    int jrc = MTSI_OK;
    json_t *doc = json_object();
    mtsi_json_set(doc, "maze", mtsi_json_str(mtsi_maze_name(m)), &jrc);
    mtsi_json_set(doc, "npoints", json_integer(n), &jrc);
    mtsi_json_set(doc, "valid", json_boolean(mtsi_maze_polyline_valid(m, n, p, 0)), &jrc);
    mtsi_json_set(doc, "valid_clearance",
                  json_boolean(mtsi_maze_polyline_valid(m, n, p, MTSI_MAZE_RADIUS)), &jrc);
    mtsi_json_set(doc, "length", mtsi_json_num(mtsi_maze_polyline_length(n, p)), &jrc);
    free(p);
    return emit(doc, jrc);
}

/* The path source of plan and eval: a baseline, or inpainting with a
 * drift (the dense Gaussian of a data file's windows, or a model file).
 * Both drifts go through the one sampler of mtsi_maze_drift.h, which
 * standardises with dp.mean and dp.sd. */
typedef struct {
    mtsi_maze_sampler s;
    mtsi_maze_baseline base;
    mtsi_maze_drift_planner dp;
} planner;

static int open_gaussian(const maze_args *a, planner *p)
{
    if (!a->data_in)
        return mtsi_error_set(MTSI_EINVAL, "--planner gaussian needs --data D.h5 (maze data)");
    if (mtsi_in_check(a->data_in))
        return mtsi_error_code();
    char what[600];
    snprintf(what, sizeof what, "'%s'", a->data_in);
    hid_t f = mtsi_h5_open(a->data_in);
    if (f < 0)
        return MTSI_EINVAL;
    hsize_t d[3];
    int rc = MTSI_OK;
    double *paths = NULL;
    if (mtsi_h5_shape(f, "configs", d, 3, what) != 3 || d[1] != 2 || d[2] != MTSI_MAZE_NPTS ||
        d[0] < 2)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no /configs [N >= 2, 2, 50] of maze paths",
                            a->data_in);
    if (!rc) {
        paths = malloc((size_t)d[0] * 2 * MTSI_MAZE_NPTS * sizeof(double));
        rc = paths ? mtsi_h5_read_double(f, "configs", paths, (size_t)d[0] * 2 * MTSI_MAZE_NPTS,
                                         what)
                   : mtsi_error_set(MTSI_ENOMEM, "out of memory");
    }
    H5Fclose(f);
    if (!rc) {
        p->dp.d = mtsi_maze_drift_gaussian((long)d[0], paths, p->dp.mean, p->dp.sd);
        if (!p->dp.d)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    }
    free(paths);
    return rc;
}

/* A model file of the path shape as the drift, with the standardisation
 * it records (none: the identity). */
static int open_model(const maze_args *a, planner *p)
{
    if (!a->model)
        return mtsi_error_set(MTSI_EINVAL, "--planner model needs --model M.h5");
    if (a->data_in)
        return mtsi_error_set(MTSI_EINVAL, "--data is for --planner gaussian, not with --model");
    if (mtsi_in_check(a->model))
        return mtsi_error_code();
    mtsi_model_info info;
    int rc = mtsi_model_load(a->model, &p->dp.d, &info);
    if (rc)
        return rc;
    mtsi_shape want;
    mtsi_maze_path_shape(&want);
    if (!mtsi_shape_equal(&info.shape, &want)) {
        char have[128], need[128];
        mtsi_shape_format(&info.shape, have, sizeof have);
        mtsi_shape_format(&want, need, sizeof need);
        return mtsi_error_set(MTSI_EINVAL, "model '%s' is for a %s, a maze path is a %s",
                              a->model, have, need);
    }
    for (int c = 0; c < 2; c++) {
        p->dp.mean[c] = info.standardized ? info.std_shift[c] : 0;
        p->dp.sd[c] = info.standardized ? info.std_scale[c] : 1;
    }
    return MTSI_OK;
}

static int open_planner(mtsi_maze *m, const maze_args *a, planner *p)
{
    memset(p, 0, sizeof *p);
    const char *kind = a->planner ? a->planner : a->model ? "model" : NULL;
    if (!kind)
        return mtsi_error_set(MTSI_EINVAL, "--planner P or --model M.h5 is required (planners: "
                                           "straight, shortest, gaussian or model)");
    if (strcmp(kind, "straight") && strcmp(kind, "shortest") && strcmp(kind, "gaussian") &&
        strcmp(kind, "model"))
        return mtsi_error_set(MTSI_EINVAL, "unknown planner '%s' (expected straight, shortest, "
                                           "gaussian or model)", kind);
    int model = !strcmp(kind, "model");
    if (a->model && !model)
        return mtsi_error_set(MTSI_EINVAL, "--model is for --planner model, not %s", kind);
    if (strcmp(kind, "gaussian") && !model) {
        if (a->data_in)
            return mtsi_error_set(MTSI_EINVAL, "--data is for --planner gaussian");
        return mtsi_maze_sampler_baseline(&p->s, &p->base, m, kind, a->noise);
    }
    if (a->noise > 0)
        return mtsi_error_set(MTSI_EINVAL, "--noise is for the baselines; the SDE has --eps");
    int rc = model ? open_model(a, p) : open_gaussian(a, p);
    if (rc)
        return rc;
    p->dp.eps = a->eps;
    p->dp.steps = a->sde_steps;
    return mtsi_maze_sampler_drift(&p->s, &p->dp);
}

static void close_planner(planner *p) { mtsi_drift_free(p->dp.d); }

static int run_plan(mtsi_maze *m, const maze_args *a)
{
    if (!a->has_from || !a->has_to)
        return mtsi_cli_usage_error("maze", "plan: --from X,Y and --to X,Y are required");
    if (mtsi_maze_check_point(m, a->from, "--from") || mtsi_maze_check_point(m, a->to, "--to"))
        return mtsi_cli_fail("maze");
    for (int i = 0; i < a->nvia; i++) {
        char what[32];
        snprintf(what, sizeof what, "--via #%d", i + 1);
        if (mtsi_maze_check_point(m, a->via + 2 * i, what))
            return mtsi_cli_fail("maze");
        if (i && a->via_idx[i] <= a->via_idx[i - 1])
            return mtsi_cli_usage_error("maze", "--via indices must increase, got %d after %d",
                                        a->via_idx[i], a->via_idx[i - 1]);
    }
    planner pl;
    if (open_planner(m, a, &pl)) {
        close_planner(&pl);
        return mtsi_cli_fail("maze");
    }
    mtsi_rng rng;
    mtsi_rng_seed(&rng, (uint64_t)a->seed, 0);
    mtsi_maze_plan_result *r = malloc(sizeof *r);
    if (!r) {
        close_planner(&pl);
        return mtsi_cli_usage_error("maze", "out of memory");
    }
    int rc;
    if (a->nvia) {
        int idx[MAXVIA + 2], n = 0;
        double pin[2 * (MAXVIA + 2)];
        idx[n] = 0, pin[0] = a->from[0], pin[1] = a->from[1], n++;
        for (int i = 0; i < a->nvia; i++, n++) {
            idx[n] = a->via_idx[i];
            pin[2 * n] = a->via[2 * i];
            pin[2 * n + 1] = a->via[2 * i + 1];
        }
        idx[n] = MTSI_MAZE_NPTS - 1, pin[2 * n] = a->to[0], pin[2 * n + 1] = a->to[1], n++;
        rc = mtsi_maze_plan_pins(m, &pl.s, n, idx, pin, &rng, r);
    } else {
        rc = mtsi_maze_plan(m, &pl.s, a->from, a->to, &rng, r);
    }
    if (rc) {
        free(r);
        close_planner(&pl);
        return mtsi_cli_fail("maze");
    }
    double shortest = mtsi_maze_shortest(m, a->from, a->to, 0, NULL, 0, NULL);
    int jrc = MTSI_OK;
    json_t *doc = json_object();
    mtsi_json_set(doc, "maze", mtsi_json_str(mtsi_maze_name(m)), &jrc);
    mtsi_json_set(doc, "planner", mtsi_json_str(pl.s.name), &jrc);
    mtsi_json_set(doc, "k", json_integer(r->k), &jrc);
    mtsi_json_set(doc, "k_clearance", json_integer(r->k_clear), &jrc);
    mtsi_json_set(doc, "valid", json_boolean(r->k >= 0), &jrc);
    mtsi_json_set(doc, "valid_clearance", json_boolean(r->k_clear >= 0), &jrc);
    mtsi_json_set(doc, "length", mtsi_json_num(mtsi_maze_polyline_length(r->npts, r->pts)), &jrc);
    mtsi_json_set(doc, "shortest", mtsi_json_num(shortest), &jrc);
    mtsi_json_set(doc, "samples", json_integer(r->ntry), &jrc);
    mtsi_json_set(doc, "seconds", mtsi_json_num(r->time), &jrc);
    mtsi_json_set(doc, "points", json_points(r->npts, r->pts, &jrc), &jrc);
    free(r);
    close_planner(&pl);
    return emit(doc, jrc);
}

static int write_plans(const char *path, const mtsi_maze *m, const mtsi_maze_sampler *s,
                       long n, const mtsi_maze_plans *p, const char *cl)
{
    hid_t f = mtsi_h5_create(path);
    if (f < 0)
        return MTSI_EIO;
    const hsize_t de[2] = {(hsize_t)n, 4}, dk[1] = {(hsize_t)n},
                  dp[3] = {(hsize_t)n, 2, MTSI_MAZE_NPTS};
    int rc = mtsi_h5_write_double(f, "ends", 2, de, p->ends);
    rc = rc ? rc : mtsi_h5_write_long(f, "k", 1, dk, p->k);
    rc = rc ? rc : mtsi_h5_write_long(f, "k_clearance", 1, dk, p->k_clear);
    rc = rc ? rc : mtsi_h5_write_double(f, "paths", 3, dp, p->paths);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "kind", "maze_plans");
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "maze", mtsi_maze_name(m));
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "planner", s->name);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "command_line", cl ? cl : "");
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", path);
    return rc;
}

static int run_eval(mtsi_maze *m, const maze_args *a, int argc, char **argv)
{
    if (a->pairs < 1)
        return mtsi_cli_usage_error("maze", "eval: --pairs N is required");
    if (a->plans_out && mtsi_out_check(a->plans_out, a->force))
        return mtsi_cli_fail("maze");
    planner pl;
    if (open_planner(m, a, &pl)) {
        close_planner(&pl);
        return mtsi_cli_fail("maze");
    }
    mtsi_maze_eval_opts o = {a->pairs, a->batch, (uint64_t)a->seed, a->loop, 1};
    mtsi_signal_install();
    mtsi_maze_eval_result res;
    mtsi_maze_plans plans = {0};
    long n = a->pairs;
    if (a->plans_out) {
        plans.ends = malloc((size_t)n * 4 * sizeof(double));
        plans.k = malloc((size_t)n * sizeof(long));
        plans.k_clear = malloc((size_t)n * sizeof(long));
        plans.paths = malloc((size_t)n * 2 * MTSI_MAZE_NPTS * sizeof(double));
    }
    int rc = a->plans_out && (!plans.ends || !plans.k || !plans.k_clear || !plans.paths)
                 ? mtsi_error_set(MTSI_ENOMEM, "out of memory (%ld plans)", n)
                 : mtsi_maze_eval(m, &pl.s, &o, &res, a->plans_out ? &plans : NULL);
    if (!rc && a->plans_out) {
        char *tmp = mtsi_out_tmpname(a->plans_out), *cl = mtsi_cli_command_line(argc, argv);
        rc = tmp ? write_plans(tmp, m, &pl.s, n, &plans, cl) : MTSI_ENOMEM;
        if (!rc)
            rc = mtsi_out_commit(tmp, a->plans_out);
        else if (tmp)
            unlink(tmp);
        free(tmp);
        free(cl);
    }
    free(plans.ends), free(plans.k), free(plans.k_clear), free(plans.paths);
    if (!rc)
        rc = mtsi_maze_eval_json(stdout, m, &pl.s, &o, &res);
    close_planner(&pl);
    return rc ? mtsi_cli_fail("maze") : 0;
}

/* Reads dataset name of file f as n longs / doubles, checking its size. */
static int read_longs(hid_t f, const char *name, long **out, size_t n, const char *what)
{
    *out = malloc(n * sizeof(long));
    if (!*out)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    return mtsi_h5_read_long(f, name, *out, n, what);
}

static int run_figure(mtsi_maze *m, const maze_args *a)
{
    const char *in = a->plans_in ? a->plans_in : a->data_in;
    mtsi_plot_format fmt;
    mtsi_plot_format_of(a->out, &fmt);
    char what[600], title[200];
    snprintf(what, sizeof what, "'%s'", in);
    hid_t f = mtsi_h5_open(in);
    if (f < 0)
        return mtsi_cli_fail("maze");
    char *tmp = mtsi_out_tmpname(a->out);
    int rc = tmp ? MTSI_OK : MTSI_ENOMEM;
    double *ends = NULL, *paths = NULL;
    long *k = NULL, *ht = NULL, *hw = NULL;
    if (!rc && a->plans_in) {
        hsize_t d[3];
        char planner[64] = "";
        if (mtsi_h5_shape(f, "paths", d, 3, what) != 3 || d[1] != 2 || d[2] != MTSI_MAZE_NPTS ||
            d[0] < 1)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: no /paths [N, 2, 50] (not a --plans-out file)",
                                in);
        long total = rc ? 0 : (long)d[0], n = total < a->count ? total : a->count;
        if (!rc) {
            ends = malloc((size_t)total * 4 * sizeof(double));
            paths = malloc((size_t)total * 2 * MTSI_MAZE_NPTS * sizeof(double));
            rc = !ends || !paths ? mtsi_error_set(MTSI_ENOMEM, "out of memory")
                                 : mtsi_h5_read_double(f, "ends", ends, (size_t)total * 4, what);
        }
        rc = rc ? rc : mtsi_h5_read_double(f, "paths", paths, (size_t)total * 2 * MTSI_MAZE_NPTS, what);
        rc = rc ? rc : read_longs(f, "k", &k, (size_t)total, what);
        if (!rc && mtsi_h5_has_attr(f, "planner"))
            mtsi_h5_attr_get_string(f, "planner", planner, sizeof planner, what);
        snprintf(title, sizeof title, "%s maze: %ld plans (%s)", mtsi_maze_name(m), n, planner);
        rc = rc ? rc : mtsi_maze_fig_plans(m, tmp, fmt, n, ends, k, paths, (int)a->cols, title);
    } else if (!rc) {
        long bins = 0;
        rc = mtsi_h5_attr_get_long(f, "bins_per_unit", &bins, what);
        size_t nb = (size_t)mtsi_maze_rows(m) * mtsi_maze_cols(m) * (size_t)(bins * bins);
        if (!rc && (bins < 1 || bins > 100))
            rc = mtsi_error_set(MTSI_EINVAL, "%s: bins_per_unit %ld out of range", in, bins);
        rc = rc ? rc : read_longs(f, "coverage/trajectory", &ht, nb, what);
        rc = rc ? rc : read_longs(f, "coverage/windows", &hw, nb, what);
        long steps = 0, nwin = 0;
        hsize_t d[3] = {0, 0, 0};
        mtsi_h5_attr_get_long(f, "steps", &steps, what);
        if (mtsi_h5_shape(f, "configs", d, 3, what) == 3)
            nwin = (long)d[0];
        snprintf(title, sizeof title, "%s maze: coverage of %ld steps, %ld windows",
                 mtsi_maze_name(m), steps, nwin);
        rc = rc ? rc : mtsi_maze_fig_coverage(m, tmp, fmt, ht, hw, (int)bins, title);
    }
    H5Fclose(f);
    if (!rc)
        rc = mtsi_out_commit(tmp, a->out);
    else if (tmp)
        unlink(tmp);
    free(tmp), free(ends), free(paths), free(k), free(ht), free(hw);
    return rc ? mtsi_cli_fail("maze") : 0;
}

int mtsi_cmd_maze(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 2)
        return mtsi_cli_usage_error("maze", "give an action: data, shortest, valid, plan, eval or figure");
    int act = -1;
    for (int i = 0; i < (int)(sizeof actions / sizeof actions[0]); i++)
        if (!strcmp(argv[1], actions[i].name))
            act = i;
    if (act < 0)
        return mtsi_cli_usage_error("maze",
                                    "unknown action '%s' (expected data, shortest, valid, plan, "
                                    "eval or figure)", argv[1]);
    static const struct option lo[] = {
        {"maze", required_argument, 0, O_MAZE},       {"out", required_argument, 0, O_OUT},
        {"force", no_argument, 0, O_FORCE},           {"steps", required_argument, 0, O_STEPS},
        {"windows", required_argument, 0, O_WINDOWS}, {"seed", required_argument, 0, O_SEED},
        {"noisy", no_argument, 0, O_NOISY},           {"from", required_argument, 0, O_FROM},
        {"to", required_argument, 0, O_TO},           {"clearance", required_argument, 0, O_CLEAR},
        {"via", required_argument, 0, O_VIA},         {"planner", required_argument, 0, O_PLANNER},
        {"noise", required_argument, 0, O_NOISE},     {"pairs", required_argument, 0, O_PAIRS},
        {"closed-loop", optional_argument, 0, O_LOOP}, {"plans-out", required_argument, 0, O_PLANS},
        {"json", no_argument, 0, O_JSON},             {"plans", required_argument, 0, O_PLANS_IN},
        {"data", required_argument, 0, O_DATA_IN},    {"count", required_argument, 0, O_COUNT},
        {"cols", required_argument, 0, O_COLS},       {"batch", required_argument, 0, O_BATCH},
        {"eps", required_argument, 0, O_EPS},         {"sde-steps", required_argument, 0, O_SDE_STEPS},
        {"model", required_argument, 0, O_MODEL},     {0, 0, 0, 0}};
    maze_args a;
    memset(&a, 0, sizeof a);
    a.steps = 2000000;
    a.windows = 100000;
    a.seed = 1;
    a.count = 8;
    a.cols = 4;
    a.batch = 64;
    a.eps = 0.7;
    a.sde_steps = 80;
    int ch, idx;
    char optname[64];
    optind = 2;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, &idx)) != -1) {
        if (ch == '?' || ch == ':')
            return mtsi_cli_option_error("maze", ch, argv);
        snprintf(optname, sizeof optname, "--%s", lo[idx].name);
        if (!(actions[act].allowed & B(ch)))
            return mtsi_cli_usage_error("maze", "%s is not an option of 'maze %s'", optname,
                                        actions[act].name);
        int rc = MTSI_OK;
        switch (ch) {
        case O_MAZE: a.maze = optarg; break;
        case O_OUT: a.out = optarg; break;
        case O_FORCE: a.force = 1; break;
        case O_STEPS: rc = mtsi_parse_long_range(optname, optarg, MTSI_MAZE_WINDOW, 1L << 34, &a.steps); break;
        case O_WINDOWS: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 28, &a.windows); break;
        case O_SEED: rc = mtsi_parse_long_range(optname, optarg, 0, (long)(~0UL >> 1), &a.seed); break;
        case O_NOISY: a.noisy = 1; break;
        case O_FROM: rc = parse_point(optname, optarg, a.from); a.has_from = 1; break;
        case O_TO: rc = parse_point(optname, optarg, a.to); a.has_to = 1; break;
        case O_CLEAR: rc = mtsi_parse_finite(optname, optarg, &a.clear); break;
        case O_VIA:
            if (a.nvia == MAXVIA)
                return mtsi_cli_usage_error("maze", "--via: at most %d points", MAXVIA);
            rc = parse_via(optarg, a.via + 2 * a.nvia, &a.via_idx[a.nvia]);
            a.nvia++;
            break;
        case O_PLANNER: a.planner = optarg; break;
        case O_NOISE: rc = mtsi_parse_finite(optname, optarg, &a.noise); break;
        case O_PAIRS: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 30, &a.pairs); break;
        case O_LOOP:
            a.loop = 800;
            if (optarg)
                rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 30, &a.loop);
            break;
        case O_PLANS: a.plans_out = optarg; break;
        case O_JSON: a.json = 1; break;
        case O_PLANS_IN: a.plans_in = optarg; break;
        case O_DATA_IN: a.data_in = optarg; break;
        case O_MODEL: a.model = optarg; break;
        case O_COUNT: rc = mtsi_parse_long_range(optname, optarg, 1, 64, &a.count); break;
        case O_COLS: rc = mtsi_parse_long_range(optname, optarg, 1, 16, &a.cols); break;
        case O_BATCH: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &a.batch); break;
        case O_EPS: rc = mtsi_parse_finite(optname, optarg, &a.eps); break;
        case O_SDE_STEPS: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &a.sde_steps); break;
        }
        if (rc)
            return mtsi_cli_fail("maze");
    }
    if (act != 2 && optind < argc)
        return mtsi_cli_usage_error("maze", "unexpected argument '%s'", argv[optind]);
    char fmaze[32] = "";
    if (act == 5) { /* figure: the maze is the input file's */
        const char *in = a.plans_in ? a.plans_in : a.data_in;
        if (!in || (a.plans_in && a.data_in))
            return mtsi_cli_usage_error("maze", "figure: give one of --plans P.h5 or --data D.h5");
        if (!a.out)
            return mtsi_cli_usage_error("maze", "figure: --out FIG is required");
        mtsi_plot_format fmt;
        if (mtsi_in_check(in) || mtsi_plot_format_of(a.out, &fmt) || mtsi_out_check(a.out, a.force))
            return mtsi_cli_fail("maze");
        hid_t f = mtsi_h5_open(in);
        char what[600];
        snprintf(what, sizeof what, "'%s'", in);
        int rc = f < 0 ? MTSI_EINVAL : mtsi_h5_attr_get_string(f, "maze", fmaze, sizeof fmaze, what);
        if (f >= 0)
            H5Fclose(f);
        if (rc)
            return mtsi_cli_fail("maze");
        if (a.maze && strcmp(a.maze, fmaze))
            return mtsi_cli_usage_error("maze", "--maze %s but '%s' is of the %s maze", a.maze, in,
                                        fmaze);
        a.maze = fmaze;
    }
    if (!a.maze)
        return mtsi_cli_usage_error("maze", "--maze M is required (medium or large)");
    mtsi_maze *m = mtsi_maze_new(a.maze);
    if (!m)
        return mtsi_cli_fail("maze");
    int rc;
    switch (act) {
    case 0: rc = run_data(m, &a, argc, argv); break;
    case 1: rc = run_shortest(m, &a); break;
    case 2: rc = run_valid(m, argc - optind, argv + optind); break;
    case 3: rc = run_plan(m, &a); break;
    case 4: rc = run_eval(m, &a, argc, argv); break;
    default: rc = run_figure(m, &a); break;
    }
    mtsi_maze_free(m);
    return rc;
}
