/* Figures: a small plotting layer on cairo. One figure is one page drawn
 * to PNG (raster, anti-aliased), PDF or SVG (vector, real fonts); the
 * format follows the output file's extension.
 *
 * Units and conventions. A figure is w x h "units" with (0, 0) at the
 * top-left corner, x to the right and y down. A PNG has one pixel per
 * unit; a PDF or SVG page is w/2 x h/2 points (a 1500-unit figure is a
 * 750-point, 26 cm wide page), so the same drawing code serves both.
 * Colours are 0xRRGGBB; alpha in [0, 1] blends over what is drawn. Text
 * sizes are font sizes in units (DejaVu Sans / the system's sans-serif).
 * Drawing never fails on its own: cairo records the first error and
 * mtsi_plot_finish() reports it.
 *
 * A typical figure:
 *
 *     mtsi_plot_format fmt;
 *     if (mtsi_plot_format_of(path, &fmt)) return error;   // .png .pdf .svg
 *     mtsi_plot *p = mtsi_plot_new(fmt, tmp, 1200, 800);   // tmp: any name
 *     mtsi_plot_axes ax = {100, 80, 560, 700, 0, 1, 0, 1};  // frame in units
 *     mtsi_plot_nice_range(&ax.xmin, &ax.xmax, 6);          // data range
 *     mtsi_plot_axes_draw(p, &ax, 6, 5, "title", "x", "y"); // frame, ticks
 *     mtsi_plot_ax_line(p, &ax, x, y, n, 0x1f77b4, 2, 0);   // data, clipped
 *     mtsi_plot_ax_errorbars(p, &ax, x, y, err, n, 5, 0x1f77b4, 1.5);
 *     mtsi_plot_legend(p, ax.x1 - 10, ax.y0 + 10, entries, 2, 20);
 *     rc = mtsi_plot_finish(p);                             // write, free
 *
 * Several panels: cut the figure with mtsi_plot_grid() (rows x columns of
 * cells with gaps) and give each cell an mtsi_plot_axes or an image.
 * Images and lattices: mtsi_plot_heatmap() draws an H x W array through a
 * colour map (mtsi_plot_scale: map, value range, colour of missing
 * pixels: NaN or mask != 0), mtsi_plot_image() a C x H x W image in the
 * N x C x H x W layout (C = 1 through the colour map, C = 3 as RGB), and
 * mtsi_plot_colorbar() the scale next to it. Maze walls and other
 * shapes in data coordinates: mtsi_plot_ax_rect(). */
#ifndef MTSI_PLOT_H
#define MTSI_PLOT_H

#include <stdint.h>

typedef struct mtsi_plot mtsi_plot;

typedef enum { MTSI_PLOT_PNG, MTSI_PLOT_PDF, MTSI_PLOT_SVG } mtsi_plot_format;

/* The format from the extension of path (.png, .pdf, .svg, any case);
 * MTSI_EINVAL naming the path otherwise. */
int mtsi_plot_format_of(const char *path, mtsi_plot_format *fmt);
/* "png", "pdf" or "svg". */
const char *mtsi_plot_format_name(mtsi_plot_format fmt);

/* A white figure of w x h units written to path (any name: callers write
 * to a temporary name and rename). NULL with the error set on bad sizes
 * or when cairo cannot create the surface. A PDF or SVG file may be
 * created at once; PNG is written by mtsi_plot_finish(). */
mtsi_plot *mtsi_plot_new(mtsi_plot_format fmt, const char *path, double w, double h);
/* Completes the file and frees the figure: MTSI_OK, or MTSI_EIO naming
 * the path and cairo's reason. */
int mtsi_plot_finish(mtsi_plot *p);
/* Frees without completing (after an error; a partial file may remain
 * at path and is the caller's to remove). NULL is allowed. */
void mtsi_plot_free(mtsi_plot *p);
double mtsi_plot_width(const mtsi_plot *p);
double mtsi_plot_height(const mtsi_plot *p);

/* ---- primitives in figure units ---------------------------------------- */

/* Restrict drawing to the rectangle until mtsi_plot_clip_reset(). */
void mtsi_plot_clip(mtsi_plot *p, double x0, double y0, double x1, double y1);
void mtsi_plot_clip_reset(mtsi_plot *p);
/* Filled rectangle (corners in any order). */
void mtsi_plot_fill_rect(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                         double alpha);
/* Outline of that rectangle, the line centred on its edges. */
void mtsi_plot_stroke_rect(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                           double width);
/* Segment with round caps; dash > 0: dashes and gaps of that length. */
void mtsi_plot_line(mtsi_plot *p, double x0, double y0, double x1, double y1, uint32_t rgb,
                    double width, double dash);

typedef enum {
    MTSI_PLOT_DISC,
    MTSI_PLOT_SQUARE,
    MTSI_PLOT_TRIANGLE,
    MTSI_PLOT_DIAMOND,
    MTSI_PLOT_CROSS
} mtsi_plot_marker;
/* A filled marker of diameter size centred at (x, y). */
void mtsi_plot_marker_at(mtsi_plot *p, double x, double y, mtsi_plot_marker m, double size,
                         uint32_t rgb);

/* Text (UTF-8). halign -1/0/1: x is the left edge / centre / right edge;
 * valign -1/0/1: y is the top of the capitals / their middle / the
 * baseline. angle 0 is horizontal, 90 reads bottom to top (a y-axis
 * label); the alignment is along the text's own axes. */
void mtsi_plot_text(mtsi_plot *p, double x, double y, const char *s, double size, uint32_t rgb,
                    int halign, int valign, double angle);
double mtsi_plot_text_width(mtsi_plot *p, const char *s, double size);

/* ---- axes --------------------------------------------------------------- */

/* A frame at units [x0, x1] x [y0, y1] showing [xmin, xmax] x [ymin, ymax]
 * (y up). */
typedef struct {
    double x0, y0, x1, y1;
    double xmin, xmax, ymin, ymax;
} mtsi_plot_axes;
double mtsi_plot_axes_px(const mtsi_plot_axes *a, double x);
double mtsi_plot_axes_py(const mtsi_plot_axes *a, double y);
/* Light grid, frame, ticks with numbers (about nx and ny of them, at 1, 2
 * or 5 x 10^k), title above, x label below, y label turned at the left.
 * Strings may be NULL. Text sizes follow MTSI_PLOT_FONT (ticks) and
 * MTSI_PLOT_FONT_LABEL. */
enum { MTSI_PLOT_FONT = 20, MTSI_PLOT_FONT_LABEL = 22 };
void mtsi_plot_axes_draw(mtsi_plot *p, const mtsi_plot_axes *a, int nx, int ny, const char *title,
                         const char *xlabel, const char *ylabel);
/* Tick step for about n ticks over [lo, hi]: 1, 2 or 5 times a power of 10. */
double mtsi_plot_nice_step(double lo, double hi, int n);
/* Widen [*lo, *hi] to multiples of the nice step (empty range: +-1/2;
 * non-finite: [0, 1]). */
void mtsi_plot_nice_range(double *lo, double *hi, int n);

/* Data in axes coordinates, clipped to the frame. Non-finite points are
 * skipped (a line is broken there). */
/* Line plot; dash > 0 draws it dashed. */
void mtsi_plot_ax_line(mtsi_plot *p, const mtsi_plot_axes *a, const double *x, const double *y,
                       long n, uint32_t rgb, double width, double dash);
/* Scatter plot with markers. */
void mtsi_plot_ax_scatter(mtsi_plot *p, const mtsi_plot_axes *a, const double *x, const double *y,
                          long n, mtsi_plot_marker m, double size, uint32_t rgb);
/* Vertical error bars y[i] +- err[i] with caps of half-width cap (units). */
void mtsi_plot_ax_errorbars(mtsi_plot *p, const mtsi_plot_axes *a, const double *x,
                            const double *y, const double *err, long n, double cap, uint32_t rgb,
                            double width);
/* Histogram of nb bins [lo + k w, lo + (k+1) w) with heights h[k]: bars
 * filled with alpha fill_alpha and the outline drawn as steps of width
 * line_width (0: no outline), so that overlaid histograms stay readable. */
void mtsi_plot_ax_hist(mtsi_plot *p, const mtsi_plot_axes *a, double lo, double w,
                       const double *h, int nb, uint32_t rgb, double fill_alpha,
                       double line_width);
/* Filled rectangle [x0, x1] x [y0, y1] in data coordinates (maze walls,
 * bands). */
void mtsi_plot_ax_rect(mtsi_plot *p, const mtsi_plot_axes *a, double x0, double y0, double x1,
                       double y1, uint32_t rgb, double alpha);
/* Horizontal line at data y across the frame. */
void mtsi_plot_ax_hline(mtsi_plot *p, const mtsi_plot_axes *a, double y, uint32_t rgb,
                        double width, double dash);

/* Legend: a box whose top-right corner is (x1, y0), one row per entry:
 * a sample of the style and the label. */
typedef enum { MTSI_PLOT_KEY_BOX, MTSI_PLOT_KEY_LINE, MTSI_PLOT_KEY_MARKER } mtsi_plot_key;
typedef struct {
    const char *label;
    uint32_t rgb;
    mtsi_plot_key key;
    mtsi_plot_marker marker; /* for MTSI_PLOT_KEY_MARKER */
} mtsi_plot_legend_entry;
void mtsi_plot_legend(mtsi_plot *p, double x1, double y0, const mtsi_plot_legend_entry *e, int n,
                      double size);

/* ---- colour maps, heat maps, images --------------------------------------- */

typedef enum {
    MTSI_PLOT_CMAP_BWR,     /* diverging blue - light grey - red (fields, phi) */
    MTSI_PLOT_CMAP_GRAY,    /* black to white (pixels) */
    MTSI_PLOT_CMAP_VIRIDIS  /* perceptually uniform dark blue - green - yellow */
} mtsi_plot_cmap;
/* The colour at t in [0, 1] (clamped; NaN gives the middle). */
uint32_t mtsi_plot_cmap_rgb(mtsi_plot_cmap cmap, double t);

/* How values become colours: vmin .. vmax over the map (vmax > vmin), and
 * the colour of missing pixels. */
typedef struct {
    mtsi_plot_cmap cmap;
    double vmin, vmax;
    uint32_t masked;
} mtsi_plot_scale;
uint32_t mtsi_plot_scale_rgb(const mtsi_plot_scale *s, double v);

/* A rows x cols array (row-major, row 0 at the top) drawn as cells filling
 * [x0, x0 + w] x [y0, y0 + h], sharp edges at any zoom. A cell is missing
 * when its value is NaN or mask (may be NULL) is nonzero there. */
void mtsi_plot_heatmap(mtsi_plot *p, double x0, double y0, double w, double h, const double *v,
                       int rows, int cols, const mtsi_plot_scale *s, const unsigned char *mask);
/* One C x H x W image (channel-major): C = 1 through s's colour map, C = 3
 * as red, green, blue each mapped from [vmin, vmax] to [0, 1]; mask is
 * H x W (may be NULL). MTSI_EINVAL for other C (nothing drawn). */
int mtsi_plot_image(mtsi_plot *p, double x0, double y0, double w, double h, const double *img,
                    int C, int H, int W, const mtsi_plot_scale *s, const unsigned char *mask);
/* Vertical colour bar in [x0, x0 + w] x [y0, y0 + h] (vmax at the top)
 * with about nticks labelled ticks on its right and label above it. */
void mtsi_plot_colorbar(mtsi_plot *p, double x0, double y0, double w, double h,
                        const mtsi_plot_scale *s, int nticks, const char *label);

/* ---- layout ------------------------------------------------------------ */

typedef struct {
    double x0, y0, x1, y1;
} mtsi_plot_rect;
/* Cell (row r, column c) of a rows x cols grid cut from area with gaps
 * hgap between columns and vgap between rows. */
mtsi_plot_rect mtsi_plot_grid(mtsi_plot_rect area, int rows, int cols, double hgap, double vgap,
                              int r, int c);

#endif
