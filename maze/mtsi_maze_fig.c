/* Figures of the maze (lib/mtsi_plot): plans over the walls, and the
 * coverage of the training data as heat maps. x is horizontal, y vertical
 * (observation coordinates; the layout string's rows run along x). */
#include "config.h"
#include "mtsi_maze_fig.h"

#include "mtsi_err.h"
#include "mtsi_maze_plan.h"
#include "mtsi_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define WALL_RGB 0x505050
#define UNIT 46.0 /* figure units per maze unit */

static mtsi_plot_axes maze_axes(const mtsi_maze *m, double x0, double y0)
{
    mtsi_plot_axes a = {x0, y0, x0 + UNIT * mtsi_maze_rows(m), y0 + UNIT * mtsi_maze_cols(m),
                        -0.7, mtsi_maze_rows(m) - 0.7, -0.7, mtsi_maze_cols(m) - 0.7};
    return a;
}

static void draw_walls(mtsi_plot *p, const mtsi_plot_axes *a, const mtsi_maze *m, double alpha)
{
    for (int w = 0; w < mtsi_maze_rows(m); w++)
        for (int h = 0; h < mtsi_maze_cols(m); h++)
            if (mtsi_maze_is_wall(m, w, h))
                mtsi_plot_ax_rect(p, a, w - 0.7, h - 0.7, w + 0.3, h + 0.3, WALL_RGB, alpha);
}

int mtsi_maze_fig_plans(const mtsi_maze *m, const char *path, mtsi_plot_format fmt, long n,
                        const double *ends, const long *k, const double *paths, int cols,
                        const char *title)
{
    if (n < 1)
        return mtsi_error_set(MTSI_EINVAL, "no plans to draw");
    int rows = (int)((n + cols - 1) / cols);
    if (n < cols)
        cols = (int)n;
    const double pw = UNIT * mtsi_maze_rows(m), ph = UNIT * mtsi_maze_cols(m);
    const double left = 70, top = 90, hgap = 90, vgap = 110;
    double W = left + cols * pw + (cols - 1) * hgap + 40, H = top + rows * ph + (rows - 1) * vgap + 130;
    mtsi_plot *p = mtsi_plot_new(fmt, path, W, H);
    if (!p)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    if (title)
        mtsi_plot_text(p, W / 2, 40, title, 26, 0x000000, 0, 0, 0);
    double buf[2 * MTSI_MAZE_MAXPLAN], xs[MTSI_MAZE_MAXPLAN], ys[MTSI_MAZE_MAXPLAN];
    for (long i = 0; i < n; i++) {
        int r = (int)(i / cols), c = (int)(i % cols);
        mtsi_plot_axes a = maze_axes(m, left + c * (pw + hgap), top + r * (ph + vgap));
        const double *raw = paths + (size_t)i * 2 * MTSI_MAZE_NPTS;
        int kk = k[i] >= 0 ? (int)k[i] : MTSI_MAZE_NPTS - 1;
        mtsi_maze_reinterp(raw, kk, buf);
        int np = MTSI_MAZE_SUB * kk + 1;
        int valid = k[i] >= 0 && mtsi_maze_polyline_valid(m, np, buf, 0);
        int clear = k[i] >= 0 && mtsi_maze_polyline_valid(m, np, buf, MTSI_MAZE_RADIUS);
        char t[96];
        if (k[i] >= 0)
            snprintf(t, sizeof t, "k = %ld, %s", k[i], clear ? "valid with clearance" : valid ? "valid" : "invalid");
        else
            snprintf(t, sizeof t, "no valid plan (k = 49 shown)");
        mtsi_plot_axes_draw(p, &a, 5, 6, t, "x", "y");
        draw_walls(p, &a, m, 1);
        /* the points after k, not part of the plan */
        for (int j = kk + 1; j < MTSI_MAZE_NPTS; j++)
            mtsi_plot_marker_at(p, mtsi_plot_axes_px(&a, raw[j]),
                                mtsi_plot_axes_py(&a, raw[MTSI_MAZE_NPTS + j]), MTSI_PLOT_DISC, 5,
                                0xbbbbbb);
        for (int j = 0; j < np; j++) {
            xs[j] = buf[2 * j];
            ys[j] = buf[2 * j + 1];
        }
        const uint32_t col = valid ? 0x1f77b4 : 0xd62728;
        mtsi_plot_ax_line(p, &a, xs, ys, np, col, 2.5, 0);
        for (int j = 1; j < kk; j++) /* the kept points: the waypoints */
            mtsi_plot_marker_at(p, mtsi_plot_axes_px(&a, raw[j]),
                                mtsi_plot_axes_py(&a, raw[MTSI_MAZE_NPTS + j]), MTSI_PLOT_DISC, 7,
                                col);
        const double *e = ends + 4 * i;
        mtsi_plot_marker_at(p, mtsi_plot_axes_px(&a, e[0]), mtsi_plot_axes_py(&a, e[1]),
                            MTSI_PLOT_DISC, 18, 0x2ca02c);
        mtsi_plot_marker_at(p, mtsi_plot_axes_px(&a, e[2]), mtsi_plot_axes_py(&a, e[3]),
                            MTSI_PLOT_SQUARE, 17, 0xd62728);
    }
    const mtsi_plot_legend_entry leg[4] = {
        {"start", 0x2ca02c, MTSI_PLOT_KEY_MARKER, MTSI_PLOT_DISC},
        {"goal", 0xd62728, MTSI_PLOT_KEY_MARKER, MTSI_PLOT_SQUARE},
        {"plan points 1..k-1 (red: invalid)", 0x1f77b4, MTSI_PLOT_KEY_MARKER, MTSI_PLOT_DISC},
        {"points after k", 0xbbbbbb, MTSI_PLOT_KEY_MARKER, MTSI_PLOT_DISC},
    };
    double lx = left;
    for (int i = 0; i < 4; i++) { /* one row under the panels */
        double y = H - 28;
        mtsi_plot_marker_at(p, lx + 8, y, leg[i].marker, 14, leg[i].rgb);
        mtsi_plot_text(p, lx + 22, y, leg[i].label, 19, 0x000000, -1, 0, 0);
        lx += 40 + mtsi_plot_text_width(p, leg[i].label, 19);
    }
    return mtsi_plot_finish(p);
}

int mtsi_maze_fig_coverage(const mtsi_maze *m, const char *path, mtsi_plot_format fmt,
                           const long *htraj, const long *hwin, int bins, const char *title)
{
    const int nx = mtsi_maze_rows(m) * bins, ny = mtsi_maze_cols(m) * bins;
    const double pw = UNIT * mtsi_maze_rows(m), ph = UNIT * mtsi_maze_cols(m);
    const double left = 80, top = 90, gap = 190;
    double W = left + 2 * pw + gap + 150, H = top + ph + 90;
    double *v = malloc((size_t)nx * ny * sizeof(double));
    if (!v)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    mtsi_plot *p = mtsi_plot_new(fmt, path, W, H);
    if (!p) {
        free(v);
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    }
    if (title)
        mtsi_plot_text(p, W / 2, 35, title, 26, 0x000000, 0, 0, 0);
    const long *hs[2] = {htraj, hwin};
    const char *names[2] = {"trajectory positions", "training points (windows)"};
    for (int q = 0; q < 2; q++) {
        mtsi_plot_axes a = maze_axes(m, left + q * (pw + gap), top);
        double vmax = 0;
        /* heat map rows run down the figure: row r is y bin ny - 1 - r */
        for (int r = 0; r < ny; r++)
            for (int c = 0; c < nx; c++) {
                double x = log10(1.0 + (double)hs[q][(long)c * ny + (ny - 1 - r)]);
                v[(long)r * nx + c] = x;
                vmax = fmax(vmax, x);
            }
        mtsi_plot_scale s = {MTSI_PLOT_CMAP_VIRIDIS, 0, vmax > 0 ? vmax : 1, 0xffffff};
        mtsi_plot_axes_draw(p, &a, 5, 6, names[q], "x", "y");
        mtsi_plot_heatmap(p, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0, v, ny, nx, &s, NULL);
        draw_walls(p, &a, m, 1);
        mtsi_plot_colorbar(p, a.x1 + 25, a.y0 + 30, 22, a.y1 - a.y0 - 30, &s, 5, "log10(1 + visits)");
    }
    free(v);
    return mtsi_plot_finish(p);
}
