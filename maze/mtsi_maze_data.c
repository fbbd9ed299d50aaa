/* The maze training data set and its coverage (SPEC.md section 8). */
#include "config.h"
#include "mtsi_maze_data.h"
#include "mtsi_maze_plan.h"

#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 100000L

_Static_assert(MTSI_MAZE_WINDOW / MTSI_MAZE_STRIDE == MTSI_MAZE_NPTS,
               "a window keeps the points of a path");

static void bin_point(const mtsi_maze *m, const double *p, long *hist)
{
    long nx = (long)mtsi_maze_rows(m) * MTSI_MAZE_BINS, ny = (long)mtsi_maze_cols(m) * MTSI_MAZE_BINS;
    long i = (long)floor((p[0] + 0.7) * MTSI_MAZE_BINS), j = (long)floor((p[1] + 0.7) * MTSI_MAZE_BINS);
    if (i >= 0 && i < nx && j >= 0 && j < ny)
        hist[i * ny + j]++;
}

int mtsi_maze_data_write(const mtsi_maze *m, const mtsi_maze_data_opts *o, const char *path,
                         mtsi_maze_data_stats *st)
{
    memset(st, 0, sizeof *st);
    if (o->steps < MTSI_MAZE_WINDOW)
        return mtsi_error_set(MTSI_EINVAL, "--steps must be at least the window %d, got %ld",
                              MTSI_MAZE_WINDOW, o->steps);
    if (o->windows < 1)
        return mtsi_error_set(MTSI_EINVAL, "--windows must be >= 1, got %ld", o->windows);
    double t0 = mtsi_wtime();
    const int nw = mtsi_maze_rows(m), nh = mtsi_maze_cols(m), np = MTSI_MAZE_WINDOW / MTSI_MAZE_STRIDE;
    const long nbin = (long)nw * nh * MTSI_MAZE_BINS * MTSI_MAZE_BINS;
    double *pos = malloc((size_t)o->steps * 2 * sizeof(double));
    double *cfg = malloc((size_t)o->windows * 2 * np * sizeof(double));
    long *offs = malloc((size_t)o->windows * sizeof(long));
    long *htraj = calloc((size_t)nbin, sizeof(long)), *hwin = calloc((size_t)nbin, sizeof(long));
    long *cells = calloc((size_t)nw * nh, sizeof(long));
    mtsi_maze_gen *g = NULL;
    int rc = MTSI_OK;
    hid_t f = -1;
    if (!pos || !cfg || !offs || !htraj || !hwin || !cells) {
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory (%ld steps, %ld windows)", o->steps,
                            o->windows);
        goto out;
    }
    g = mtsi_maze_gen_new(m, o->seed, o->noisy ? 0.5 : 0);
    if (!g) {
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
        goto out;
    }
    mtsi_progress *pg = o->progress ? mtsi_progress_new("steps", o->steps) : NULL;
    for (long done = 0; done < o->steps;) {
        long n = o->steps - done < CHUNK ? o->steps - done : CHUNK;
        st->targets = mtsi_maze_gen_run(g, n, pos + 2 * done);
        done += n;
        if (pg) {
            char extra[64];
            snprintf(extra, sizeof extra, "targets %ld", st->targets);
            mtsi_progress_update(pg, done, extra);
        }
        if (mtsi_signal_pending()) {
            mtsi_progress_free(pg);
            rc = mtsi_error_set(MTSI_EINTR, "interrupted after %ld of %ld steps", done, o->steps);
            goto out;
        }
    }
    mtsi_progress_free(pg);
    st->seconds_generate = mtsi_wtime() - t0;
    st->steps = o->steps;
    st->contacts = mtsi_maze_gen_contacts(g);
    st->min_wall_dist = INFINITY;
    for (long i = 0; i < o->steps; i++) {
        const double *p = pos + 2 * i;
        int w, h;
        mtsi_maze_cell_of(p, &w, &h);
        if (w >= 0 && w < nw && h >= 0 && h < nh)
            cells[w * nh + h]++;
        bin_point(m, p, htraj);
        /* only near a wall can the distance be small: skip the full search
         * when the point is well inside its cell */
        double fx = p[0] + 0.7 - w, fy = p[1] + 0.7 - h;
        if (fx < 0.3 || fx > 0.7 || fy < 0.3 || fy > 0.7) {
            double d = mtsi_maze_wall_dist(m, p);
            if (d < st->min_wall_dist)
                st->min_wall_dist = d;
        }
    }
    st->cell_min = -1;
    for (int i = 0; i < mtsi_maze_nfree(m); i++) {
        int w, h;
        mtsi_maze_free_cell(m, i, &w, &h);
        long c = cells[w * nh + h];
        st->cells_free++;
        st->cells_visited += c > 0;
        if (st->cell_min < 0 || c < st->cell_min)
            st->cell_min = c;
        if (c > st->cell_max)
            st->cell_max = c;
    }
    mtsi_rng r;
    mtsi_rng_seed(&r, o->seed, 2);
    for (long i = 0; i < o->windows; i++) {
        long off = (long)mtsi_rng_below(&r, (uint64_t)(o->steps - MTSI_MAZE_WINDOW + 1));
        offs[i] = off;
        double *c = cfg + (size_t)i * 2 * np;
        for (int j = 0; j < np; j++) {
            const double *p = pos + 2 * (off + (long)j * MTSI_MAZE_STRIDE);
            c[j] = p[0];
            c[np + j] = p[1];
            bin_point(m, p, hwin);
        }
    }
    st->windows = o->windows;

    f = mtsi_h5_create(path);
    if (f < 0) {
        rc = MTSI_EIO;
        goto out;
    }
    const hsize_t dc[3] = {(hsize_t)o->windows, 2, (hsize_t)np}, dn[1] = {(hsize_t)o->windows};
    const hsize_t dh[2] = {(hsize_t)nw * MTSI_MAZE_BINS, (hsize_t)nh * MTSI_MAZE_BINS};
    const hsize_t dcell[2] = {(hsize_t)nw, (hsize_t)nh};
    mtsi_shape shape;
    mtsi_maze_path_shape(&shape);
    rc = mtsi_h5_write_double(f, "configs", 3, dc, cfg);
    if (!rc)
        rc = mtsi_h5_write_long(f, "offsets", 1, dn, offs);
    if (!rc)
        rc = mtsi_h5_group(f, "coverage");
    if (!rc)
        rc = mtsi_h5_write_long(f, "coverage/trajectory", 2, dh, htraj);
    if (!rc)
        rc = mtsi_h5_write_long(f, "coverage/windows", 2, dh, hwin);
    if (!rc)
        rc = mtsi_h5_write_long(f, "coverage/cells", 2, dcell, cells);
    if (!rc)
        rc = mtsi_h5_attr_set_string(f, "kind", "data");
    if (!rc)
        rc = mtsi_shape_write_attrs(f, &shape);
    if (!rc)
        rc = mtsi_h5_attr_set_string(f, "maze", mtsi_maze_name(m));
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "steps", o->steps);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "window", MTSI_MAZE_WINDOW);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "stride", MTSI_MAZE_STRIDE);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "seed", (long)o->seed);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "noisy", o->noisy);
    if (!rc)
        rc = mtsi_h5_attr_set_double(f, "noise_sd", o->noisy ? 0.5 : 0);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "targets_reached", st->targets);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "contacts", st->contacts);
    if (!rc)
        rc = mtsi_h5_attr_set_double(f, "min_wall_dist", st->min_wall_dist);
    if (!rc)
        rc = mtsi_h5_attr_set_long(f, "bins_per_unit", MTSI_MAZE_BINS);
    if (!rc)
        rc = mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    if (!rc && o->command_line)
        rc = mtsi_h5_attr_set_string(f, "command_line", o->command_line);
out:
    if (f >= 0 && H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot close '%s'", path);
    mtsi_maze_gen_free(g);
    free(pos), free(cfg), free(offs), free(htraj), free(hwin), free(cells);
    st->seconds_total = mtsi_wtime() - t0;
    return rc;
}
