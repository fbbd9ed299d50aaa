/* Figures on cairo: see mtsi_plot.h. */
#include "mtsi_plot.h"
#include "mtsi_out.h"
#include "mtsi_err.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Points per unit of a vector page. */
#define VECTOR_SCALE 0.5
#define FONT_FAMILY "DejaVu Sans"
#define FRAME_RGB 0x333333
#define GRID_RGB 0xe6e6e6
#define TEXT_RGB 0x202020

struct mtsi_plot {
    mtsi_plot_format fmt;
    char *path;
    double w, h;
    cairo_surface_t *surf;
    cairo_t *cr;
};

int mtsi_plot_format_of(const char *path, mtsi_plot_format *fmt)
{
    static const char *const ext[3] = {".png", ".pdf", ".svg"};
    size_t n = path ? strlen(path) : 0;
    for (int k = 0; k < 3; k++)
        if (n > 4 && !strcasecmp(path + n - 4, ext[k])) {
            *fmt = (mtsi_plot_format)k;
            return MTSI_OK;
        }
    return mtsi_error_set(MTSI_EINVAL, "%s: the figure's name must end in .png, .pdf or .svg",
                          path ? path : "(null)");
}

const char *mtsi_plot_format_name(mtsi_plot_format fmt)
{
    return fmt == MTSI_PLOT_PDF ? "pdf" : fmt == MTSI_PLOT_SVG ? "svg" : "png";
}

static void set_rgb(cairo_t *cr, uint32_t rgb, double alpha)
{
    cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                          (rgb & 0xff) / 255.0, alpha);
}

mtsi_plot *mtsi_plot_new(mtsi_plot_format fmt, const char *path, double w, double h)
{
    if (!(w >= 1 && h >= 1 && w <= 32767 && h <= 32767)) {
        mtsi_error_set(MTSI_EINVAL, "figure size %g x %g: each side must be in [1, 32767]", w, h);
        return NULL;
    }
    mtsi_plot *p = mtsi_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->fmt = fmt;
    p->w = w;
    p->h = h;
    p->path = strdup(path);
    if (!p->path) {
        free(p);
        mtsi_error_set(MTSI_ENOMEM, "no memory for a file name");
        return NULL;
    }
    double s = VECTOR_SCALE;
    switch (fmt) {
    case MTSI_PLOT_PDF:
        p->surf = cairo_pdf_surface_create(path, w * s, h * s);
        /* No creation date: the same figure gives the same file. */
        cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATE_DATE, "");
        break;
    case MTSI_PLOT_SVG: p->surf = cairo_svg_surface_create(path, w * s, h * s); break;
    default:
        s = 1;
        p->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(w), (int)ceil(h));
    }
    cairo_status_t st = cairo_surface_status(p->surf);
    if (st == CAIRO_STATUS_SUCCESS) {
        p->cr = cairo_create(p->surf);
        st = cairo_status(p->cr);
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        mtsi_error_set(MTSI_EIO, "%s: cannot create the %s figure: %s", path,
                       mtsi_plot_format_name(fmt), cairo_status_to_string(st));
        mtsi_plot_free(p);
        return NULL;
    }
    cairo_scale(p->cr, s, s);
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_paint(p->cr);
    cairo_select_font_face(p->cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
    return p;
}

void mtsi_plot_free(mtsi_plot *p)
{
    if (!p)
        return;
    if (p->cr)
        cairo_destroy(p->cr);
    if (p->surf)
        cairo_surface_destroy(p->surf);
    free(p->path);
    free(p);
}

int mtsi_plot_finish(mtsi_plot *p)
{
    cairo_status_t st = cairo_status(p->cr);
    if (st == CAIRO_STATUS_SUCCESS && p->fmt == MTSI_PLOT_PNG) {
        cairo_surface_flush(p->surf);
        st = cairo_surface_write_to_png(p->surf, p->path);
    }
    if (st == CAIRO_STATUS_SUCCESS) {
        /* PDF and SVG are completed by finishing the surface. */
        cairo_destroy(p->cr);
        p->cr = NULL;
        cairo_surface_finish(p->surf);
        st = cairo_surface_status(p->surf);
    }
    int rc = MTSI_OK;
    if (st != CAIRO_STATUS_SUCCESS) {
        /* name the user's file, not its temporary name; a failed write is
         * reported by the output rule (a full disk says so) */
        char ub[4096];
        const char *user = mtsi_out_user_path(p->path, ub, sizeof ub);
        if (st == CAIRO_STATUS_WRITE_ERROR)
            rc = mtsi_out_write_error(user);
        else
            rc = mtsi_error_set(MTSI_EIO, "%s: cannot write the %s figure: %s", user,
                                mtsi_plot_format_name(p->fmt), cairo_status_to_string(st));
    }
    mtsi_plot_free(p);
    return rc;
}

double mtsi_plot_width(const mtsi_plot *p) { return p->w; }
double mtsi_plot_height(const mtsi_plot *p) { return p->h; }

/* ---- primitives ---------------------------------------------------------- */

void mtsi_plot_clip(mtsi_plot *p, double x0, double y0, double x1, double y1)
{
    cairo_reset_clip(p->cr);
    cairo_rectangle(p->cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
    cairo_clip(p->cr);
}

void mtsi_plot_clip_reset(mtsi_plot *p) { cairo_reset_clip(p->cr); }

void mtsi_plot_fill_rect(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                         double alpha)
{
    set_rgb(p->cr, rgb, alpha);
    cairo_rectangle(p->cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
    cairo_fill(p->cr);
}

void mtsi_plot_stroke_rect(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                           double width)
{
    set_rgb(p->cr, rgb, 1);
    cairo_set_line_width(p->cr, width);
    cairo_rectangle(p->cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
    cairo_stroke(p->cr);
}

static void stroke_style(cairo_t *cr, uint32_t rgb, double width, double dash)
{
    set_rgb(cr, rgb, 1);
    cairo_set_line_width(cr, width);
    cairo_set_line_cap(cr, dash > 0 ? CAIRO_LINE_CAP_BUTT : CAIRO_LINE_CAP_ROUND);
    if (dash > 0) {
        double d[2] = {dash, 0.7 * dash};
        cairo_set_dash(cr, d, 2, 0);
    } else {
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

void mtsi_plot_line(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                    double width, double dash)
{
    stroke_style(p->cr, rgb, width, dash);
    cairo_move_to(p->cr, x0, y0);
    cairo_line_to(p->cr, x1, y1);
    cairo_stroke(p->cr);
    cairo_set_dash(p->cr, NULL, 0, 0);
}

void mtsi_plot_marker_at(mtsi_plot *p, double x, double y, mtsi_plot_marker m, double size,
                         uint32_t rgb)
{
    cairo_t *cr = p->cr;
    double r = size / 2;
    set_rgb(cr, rgb, 1);
    switch (m) {
    case MTSI_PLOT_SQUARE: cairo_rectangle(cr, x - r, y - r, size, size); break;
    case MTSI_PLOT_TRIANGLE:
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + 0.866 * r, y + 0.5 * r);
        cairo_line_to(cr, x - 0.866 * r, y + 0.5 * r);
        cairo_close_path(cr);
        break;
    case MTSI_PLOT_DIAMOND:
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    case MTSI_PLOT_CROSS:
        cairo_set_line_width(cr, size / 4);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_move_to(cr, x - r, y - r);
        cairo_line_to(cr, x + r, y + r);
        cairo_move_to(cr, x - r, y + r);
        cairo_line_to(cr, x + r, y - r);
        cairo_stroke(cr);
        return;
    default: cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    }
    cairo_fill(cr);
}

void mtsi_plot_text(mtsi_plot *p, double x, double y, const char *s, double size, uint32_t rgb,
                    int halign, int valign, double angle)
{
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    /* Capital height of DejaVu Sans is 0.73 em. */
    double cap = 0.73 * size;
    double dx = halign < 0 ? 0 : halign == 0 ? -te.x_advance / 2 : -te.x_advance;
    double dy = valign < 0 ? cap : valign == 0 ? cap / 2 : 0;
    cairo_translate(cr, x, y);
    if (angle != 0)
        cairo_rotate(cr, -angle * M_PI / 180);
    cairo_move_to(cr, dx, dy);
    set_rgb(cr, rgb, 1);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

double mtsi_plot_text_width(mtsi_plot *p, const char *s, double size)
{
    cairo_save(p->cr);
    cairo_set_font_size(p->cr, size);
    cairo_text_extents_t te;
    cairo_text_extents(p->cr, s, &te);
    cairo_restore(p->cr);
    return te.x_advance;
}

/* ---- axes ---------------------------------------------------------------- */

double mtsi_plot_axes_px(const mtsi_plot_axes *a, double x)
{
    return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * (a->x1 - a->x0);
}

double mtsi_plot_axes_py(const mtsi_plot_axes *a, double y)
{
    return a->y1 - (y - a->ymin) / (a->ymax - a->ymin) * (a->y1 - a->y0);
}

double mtsi_plot_nice_step(double lo, double hi, int n)
{
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span))
        return 1;
    if (n < 1)
        n = 1;
    double raw = span / n, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

void mtsi_plot_nice_range(double *lo, double *hi, int n)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
        return;
    }
    if (!(*hi > *lo)) {
        double m = *lo;
        *lo = m - 0.5;
        *hi = m + 0.5;
    }
    double s = mtsi_plot_nice_step(*lo, *hi, n);
    *lo = floor(*lo / s + 1e-9) * s;
    *hi = ceil(*hi / s - 1e-9) * s;
}

/* A tick label with as many decimals as the step needs, never "-0". */
static void tick_label(char *buf, size_t n, double v, double step)
{
    int dec = (int)ceil(-log10(step) - 1e-9);
    if (dec < 0)
        dec = 0;
    if (fabs(v) < step * 1e-6)
        v = 0;
    if (fabs(v) >= 1e5 || (v != 0 && fabs(v) < 1e-4))
        snprintf(buf, n, "%.2g", v);
    else
        snprintf(buf, n, "%.*f", dec, v);
}

void mtsi_plot_axes_draw(mtsi_plot *p, const mtsi_plot_axes *a, int nx, int ny, const char *title,
                         const char *xlabel, const char *ylabel)
{
    const double fs = MTSI_PLOT_FONT, tick = 7;
    char buf[64];
    double xs = mtsi_plot_nice_step(a->xmin, a->xmax, nx);
    double ys = mtsi_plot_nice_step(a->ymin, a->ymax, ny);
    double eps_x = 1e-9 * (a->xmax - a->xmin), eps_y = 1e-9 * (a->ymax - a->ymin);
    double maxw = 0;
    /* Grid first, so that data and frame go over it. */
    for (int pass = 0; pass < 2; pass++) {
        for (double t = ceil((a->xmin - eps_x) / xs) * xs; t <= a->xmax + eps_x; t += xs) {
            double px = mtsi_plot_axes_px(a, t);
            if (!pass) {
                mtsi_plot_line(p, px, a->y0, px, a->y1, GRID_RGB, 1, 0);
                continue;
            }
            mtsi_plot_line(p, px, a->y1, px, a->y1 - tick, FRAME_RGB, 1.2, 0);
            mtsi_plot_line(p, px, a->y0, px, a->y0 + tick, FRAME_RGB, 1.2, 0);
            tick_label(buf, sizeof buf, t, xs);
            mtsi_plot_text(p, px, a->y1 + 8, buf, fs, TEXT_RGB, 0, -1, 0);
        }
        for (double t = ceil((a->ymin - eps_y) / ys) * ys; t <= a->ymax + eps_y; t += ys) {
            double py = mtsi_plot_axes_py(a, t);
            if (!pass) {
                mtsi_plot_line(p, a->x0, py, a->x1, py, GRID_RGB, 1, 0);
                continue;
            }
            mtsi_plot_line(p, a->x0, py, a->x0 + tick, py, FRAME_RGB, 1.2, 0);
            mtsi_plot_line(p, a->x1, py, a->x1 - tick, py, FRAME_RGB, 1.2, 0);
            tick_label(buf, sizeof buf, t, ys);
            maxw = fmax(maxw, mtsi_plot_text_width(p, buf, fs));
            mtsi_plot_text(p, a->x0 - 8, py, buf, fs, TEXT_RGB, 1, 0, 0);
        }
    }
    cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_MITER);
    mtsi_plot_stroke_rect(p, a->x0, a->y0, a->x1, a->y1, FRAME_RGB, 1.5);
    cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
    const double ls = MTSI_PLOT_FONT_LABEL;
    if (title)
        mtsi_plot_text(p, (a->x0 + a->x1) / 2, a->y0 - 14, title, ls, TEXT_RGB, 0, 1, 0);
    if (xlabel)
        mtsi_plot_text(p, (a->x0 + a->x1) / 2, a->y1 + 8 + fs + 12, xlabel, ls, TEXT_RGB, 0, -1,
                       0);
    if (ylabel)
        mtsi_plot_text(p, a->x0 - 8 - maxw - 14, (a->y0 + a->y1) / 2, ylabel, ls, TEXT_RGB, 0, 1,
                       90);
}

static void clip_axes(mtsi_plot *p, const mtsi_plot_axes *a)
{
    mtsi_plot_clip(p, a->x0, a->y0, a->x1, a->y1);
}

void mtsi_plot_ax_line(mtsi_plot *p, const mtsi_plot_axes *a, const double *x, const double *y,
                       long n, uint32_t rgb, double width, double dash)
{
    cairo_t *cr = p->cr;
    clip_axes(p, a);
    stroke_style(cr, rgb, width, dash);
    int open = 0;
    for (long i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            open = 0;
            continue;
        }
        double px = mtsi_plot_axes_px(a, x[i]), py = mtsi_plot_axes_py(a, y[i]);
        if (open)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        open = 1;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_ax_scatter(mtsi_plot *p, const mtsi_plot_axes *a, const double *x, const double *y,
                          long n, mtsi_plot_marker m, double size, uint32_t rgb)
{
    clip_axes(p, a);
    for (long i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            mtsi_plot_marker_at(p, mtsi_plot_axes_px(a, x[i]), mtsi_plot_axes_py(a, y[i]), m,
                                size, rgb);
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_ax_errorbars(mtsi_plot *p, const mtsi_plot_axes *a, const double *x,
                            const double *y, const double *err, long n, double cap, uint32_t rgb,
                            double width)
{
    cairo_t *cr = p->cr;
    clip_axes(p, a);
    stroke_style(cr, rgb, width, 0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    for (long i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(err[i]))
            continue;
        double px = mtsi_plot_axes_px(a, x[i]);
        double lo = mtsi_plot_axes_py(a, y[i] - err[i]), hi = mtsi_plot_axes_py(a, y[i] + err[i]);
        cairo_move_to(cr, px, lo);
        cairo_line_to(cr, px, hi);
        cairo_move_to(cr, px - cap, lo);
        cairo_line_to(cr, px + cap, lo);
        cairo_move_to(cr, px - cap, hi);
        cairo_line_to(cr, px + cap, hi);
    }
    cairo_stroke(cr);
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_ax_hist(mtsi_plot *p, const mtsi_plot_axes *a, double lo, double w,
                       const double *h, int nb, uint32_t rgb, double fill_alpha,
                       double line_width)
{
    cairo_t *cr = p->cr;
    clip_axes(p, a);
    double base = mtsi_plot_axes_py(a, 0);
    if (fill_alpha > 0) {
        set_rgb(cr, rgb, fill_alpha);
        for (int k = 0; k < nb; k++) {
            double x0 = mtsi_plot_axes_px(a, lo + k * w), x1 = mtsi_plot_axes_px(a, lo + (k + 1) * w);
            double y = mtsi_plot_axes_py(a, h[k]);
            cairo_rectangle(cr, x0, fmin(y, base), x1 - x0, fabs(base - y));
        }
        cairo_fill(cr);
    }
    if (line_width > 0) {
        stroke_style(cr, rgb, line_width, 0);
        cairo_move_to(cr, mtsi_plot_axes_px(a, lo), base);
        for (int k = 0; k < nb; k++) {
            double y = mtsi_plot_axes_py(a, h[k]);
            cairo_line_to(cr, mtsi_plot_axes_px(a, lo + k * w), y);
            cairo_line_to(cr, mtsi_plot_axes_px(a, lo + (k + 1) * w), y);
        }
        cairo_line_to(cr, mtsi_plot_axes_px(a, lo + nb * w), base);
        cairo_stroke(cr);
    }
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_ax_rect(mtsi_plot *p, const mtsi_plot_axes *a, double x0, double y0, double x1,
                       double y1, uint32_t rgb, double alpha)
{
    clip_axes(p, a);
    mtsi_plot_fill_rect(p, mtsi_plot_axes_px(a, x0), mtsi_plot_axes_py(a, y0),
                        mtsi_plot_axes_px(a, x1), mtsi_plot_axes_py(a, y1), rgb, alpha);
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_ax_hline(mtsi_plot *p, const mtsi_plot_axes *a, double y, uint32_t rgb,
                        double width, double dash)
{
    clip_axes(p, a);
    double py = mtsi_plot_axes_py(a, y);
    mtsi_plot_line(p, a->x0, py, a->x1, py, rgb, width, dash);
    mtsi_plot_clip_reset(p);
}

void mtsi_plot_legend(mtsi_plot *p, double x1, double y0, const mtsi_plot_legend_entry *e, int n,
                      double size)
{
    const double pad = 0.5 * size, sw = 1.6 * size, lh = 1.4 * size;
    double w = 0;
    for (int i = 0; i < n; i++)
        w = fmax(w, mtsi_plot_text_width(p, e[i].label, size));
    double bw = pad + sw + 0.5 * size + w + pad, bh = n * lh + 2 * pad - (lh - size);
    double x0 = x1 - bw;
    mtsi_plot_fill_rect(p, x0, y0, x1, y0 + bh, 0xffffff, 0.9);
    mtsi_plot_stroke_rect(p, x0, y0, x1, y0 + bh, 0xbbbbbb, 1);
    for (int i = 0; i < n; i++) {
        double y = y0 + pad + i * lh, ym = y + size / 2;
        double kx0 = x0 + pad, kx1 = kx0 + sw;
        switch (e[i].key) {
        case MTSI_PLOT_KEY_LINE: mtsi_plot_line(p, kx0, ym, kx1, ym, e[i].rgb, 2.5, 0); break;
        case MTSI_PLOT_KEY_MARKER:
            mtsi_plot_line(p, kx0, ym, kx1, ym, e[i].rgb, 1.5, 0);
            mtsi_plot_marker_at(p, (kx0 + kx1) / 2, ym, e[i].marker, 0.5 * size, e[i].rgb);
            break;
        default:
            mtsi_plot_fill_rect(p, kx0, y + 0.1 * size, kx1, y + 0.9 * size, e[i].rgb, 0.45);
            mtsi_plot_stroke_rect(p, kx0, y + 0.1 * size, kx1, y + 0.9 * size, e[i].rgb, 2);
        }
        mtsi_plot_text(p, kx1 + 0.5 * size, ym, e[i].label, size, TEXT_RGB, -1, 0, 0);
    }
}

/* ---- colour maps and images ----------------------------------------------- */

static uint32_t interp_stops(const double (*stop)[3], int nstop, double t)
{
    if (!isfinite(t))
        t = 0.5;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double u = t * (nstop - 1);
    int i = (int)floor(u);
    if (i > nstop - 2)
        i = nstop - 2;
    double f = u - i;
    uint32_t rgb = 0;
    for (int k = 0; k < 3; k++) {
        long v = lround(stop[i][k] + f * (stop[i + 1][k] - stop[i][k]));
        rgb = rgb << 8 | (uint32_t)v;
    }
    return rgb;
}

uint32_t mtsi_plot_cmap_rgb(mtsi_plot_cmap cmap, double t)
{
    /* Blue - light grey - red: light grey at the middle so that zero
     * cells stay visible against a white background. */
    static const double bwr[5][3] = {
        {33, 102, 172}, {103, 169, 207}, {247, 247, 247}, {239, 138, 98}, {178, 24, 43}};
    static const double gray[2][3] = {{0, 0, 0}, {255, 255, 255}};
    /* Viridis sampled at nine equally spaced points. */
    static const double viridis[9][3] = {{68, 1, 84},    {71, 45, 123},  {59, 82, 139},
                                         {44, 114, 142}, {33, 145, 140}, {39, 173, 129},
                                         {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    switch (cmap) {
    case MTSI_PLOT_CMAP_GRAY: return interp_stops(gray, 2, t);
    case MTSI_PLOT_CMAP_VIRIDIS: return interp_stops(viridis, 9, t);
    default: return interp_stops(bwr, 5, t);
    }
}

uint32_t mtsi_plot_scale_rgb(const mtsi_plot_scale *s, double v)
{
    if (!isfinite(v))
        return s->masked;
    double span = s->vmax - s->vmin;
    return mtsi_plot_cmap_rgb(s->cmap, span > 0 ? (v - s->vmin) / span : 0.5);
}

/* Paints a rows x cols ARGB surface filled by the caller, cells sharp. */
static void paint_cells(mtsi_plot *p, cairo_surface_t *img, double x0, double y0, double w,
                        double h, int rows, int cols)
{
    cairo_t *cr = p->cr;
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_clip(cr);
    cairo_translate(cr, x0, y0);
    cairo_scale(cr, w / cols, h / rows);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
}

static int draw_cells(mtsi_plot *p, double x0, double y0, double w, double h, const double *v,
                      int C, int rows, int cols, const mtsi_plot_scale *s,
                      const unsigned char *mask)
{
    if (rows < 1 || cols < 1)
        return mtsi_error_set(MTSI_EINVAL, "image of %d x %d pixels: both must be positive", rows,
                              cols);
    if (C != 1 && C != 3)
        return mtsi_error_set(MTSI_EINVAL, "image with %d channels: 1 or 3 expected", C);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return mtsi_error_set(MTSI_ENOMEM, "no memory for an image of %d x %d pixels", rows, cols);
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    size_t P = (size_t)rows * (size_t)cols;
    double span = s->vmax - s->vmin;
    for (int r = 0; r < rows; r++) {
        uint32_t *row = (uint32_t *)(data + (size_t)r * (size_t)stride);
        for (int c = 0; c < cols; c++) {
            size_t i = (size_t)r * (size_t)cols + (size_t)c;
            uint32_t rgb;
            if (mask && mask[i]) {
                rgb = s->masked;
            } else if (C == 1) {
                rgb = mtsi_plot_scale_rgb(s, v[i]);
            } else {
                rgb = 0;
                for (int k = 0; k < 3; k++) {
                    double x = v[(size_t)k * P + i];
                    if (!isfinite(x))
                        break;
                    double t = span > 0 ? (x - s->vmin) / span : 0.5;
                    t = t < 0 ? 0 : t > 1 ? 1 : t;
                    rgb = rgb << 8 | (uint32_t)lround(255 * t);
                    if (k == 2)
                        rgb |= 1u << 24; /* complete */
                }
                rgb = rgb >> 24 ? rgb & 0xffffff : s->masked;
            }
            row[c] = rgb;
        }
    }
    paint_cells(p, img, x0, y0, w, h, rows, cols);
    cairo_surface_destroy(img);
    return MTSI_OK;
}

void mtsi_plot_heatmap(mtsi_plot *p, double x0, double y0, double w, double h, const double *v,
                       int rows, int cols, const mtsi_plot_scale *s, const unsigned char *mask)
{
    /* Sizes are the caller's; with bad ones nothing is drawn. */
    (void)draw_cells(p, x0, y0, w, h, v, 1, rows, cols, s, mask);
}

int mtsi_plot_image(mtsi_plot *p, double x0, double y0, double w, double h, const double *img,
                    int C, int H, int W, const mtsi_plot_scale *s, const unsigned char *mask)
{
    return draw_cells(p, x0, y0, w, h, img, C, H, W, s, mask);
}

void mtsi_plot_colorbar(mtsi_plot *p, double x0, double y0, double w, double h,
                        const mtsi_plot_scale *s, int nticks, const char *label)
{
    enum { N = 256 };
    double v[N];
    for (int i = 0; i < N; i++)
        v[i] = s->vmax - (s->vmax - s->vmin) * (i + 0.5) / N;
    mtsi_plot_scale sc = *s;
    (void)draw_cells(p, x0, y0, w, h, v, 1, N, 1, &sc, NULL);
    mtsi_plot_stroke_rect(p, x0, y0, x0 + w, y0 + h, 0x555555, 1);
    double lo = s->vmin, hi = s->vmax;
    double step = mtsi_plot_nice_step(lo, hi, nticks > 0 ? nticks : 4);
    double eps = 1e-9 * (hi - lo);
    char buf[64];
    for (double t = ceil((lo - eps) / step) * step; hi > lo && t <= hi + eps; t += step) {
        double py = y0 + h - (t - lo) / (hi - lo) * h;
        mtsi_plot_line(p, x0 + w, py, x0 + w + 6, py, 0x333333, 1.2, 0);
        tick_label(buf, sizeof buf, t, step);
        mtsi_plot_text(p, x0 + w + 10, py, buf, MTSI_PLOT_FONT, TEXT_RGB, -1, 0, 0);
    }
    if (label)
        mtsi_plot_text(p, x0 + w / 2, y0 - 12, label, MTSI_PLOT_FONT_LABEL, TEXT_RGB, 0, 1, 0);
}

mtsi_plot_rect mtsi_plot_grid(mtsi_plot_rect area, int rows, int cols, double hgap, double vgap,
                              int r, int c)
{
    if (rows < 1)
        rows = 1;
    if (cols < 1)
        cols = 1;
    double cw = (area.x1 - area.x0 - (cols - 1) * hgap) / cols;
    double ch = (area.y1 - area.y0 - (rows - 1) * vgap) / rows;
    mtsi_plot_rect q;
    q.x0 = area.x0 + c * (cw + hgap);
    q.y0 = area.y0 + r * (ch + vgap);
    q.x1 = q.x0 + cw;
    q.y1 = q.y0 + ch;
    return q;
}
