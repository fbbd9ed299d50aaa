/* Unit tests of the figures (lib/mtsi_plot.h): formats from file names,
 * ticks, colour maps, layout, and drawings written as PNG and read back
 * by cairo's own PNG reader to check pixel colours (rectangles, heat map
 * cells with a masked one, an RGB image, markers), PDF and SVG files by
 * their headers and trailers, and the errors. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_plot.h"

#include <cairo.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/mtsi-test-plot.XXXXXX";

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

START_TEST(formats)
{
    mtsi_plot_format f;
    ck_assert_int_eq(mtsi_plot_format_of("a/b.png", &f), MTSI_OK);
    ck_assert_int_eq(f, MTSI_PLOT_PNG);
    ck_assert_int_eq(mtsi_plot_format_of("fig.PDF", &f), MTSI_OK);
    ck_assert_int_eq(f, MTSI_PLOT_PDF);
    ck_assert_int_eq(mtsi_plot_format_of("x.svg", &f), MTSI_OK);
    ck_assert_int_eq(f, MTSI_PLOT_SVG);
    ck_assert_int_eq(mtsi_plot_format_of("fig.jpg", &f), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "fig.jpg"));
    ck_assert_int_eq(mtsi_plot_format_of(".png", &f), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_plot_format_of("png", &f), MTSI_EINVAL);
    ck_assert_str_eq(mtsi_plot_format_name(MTSI_PLOT_SVG), "svg");
}
END_TEST

START_TEST(ticks_colours_layout)
{
    ck_assert_double_eq_tol(mtsi_plot_nice_step(0, 1, 5), 0.2, 1e-15);
    ck_assert_double_eq_tol(mtsi_plot_nice_step(-0.6, 0.8, 6), 0.2, 1e-15);
    ck_assert_double_eq_tol(mtsi_plot_nice_step(0, 7, 5), 1, 1e-15);
    ck_assert_double_eq_tol(mtsi_plot_nice_step(0, 3000, 4), 1000, 1e-12);
    double lo = -0.55, hi = 0.67;
    mtsi_plot_nice_range(&lo, &hi, 6);
    ck_assert_double_eq_tol(lo, -0.6, 1e-12);
    ck_assert_double_eq_tol(hi, 0.8, 1e-12);
    lo = hi = 2;
    mtsi_plot_nice_range(&lo, &hi, 5);
    ck_assert(lo < 2 && hi > 2);
    lo = NAN;
    mtsi_plot_nice_range(&lo, &hi, 5);
    ck_assert(lo == 0 && hi == 1);

    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_BWR, 0), 0x2166acu);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_BWR, 0.5), 0xf7f7f7u);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_BWR, 1), 0xb2182bu);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_BWR, 7), 0xb2182bu); /* clamped */
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_BWR, NAN), 0xf7f7f7u);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_GRAY, 0), 0x000000u);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_GRAY, 0.5), 0x808080u);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_GRAY, 1), 0xffffffu);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_VIRIDIS, 0), 0x440154u);
    ck_assert_uint_eq(mtsi_plot_cmap_rgb(MTSI_PLOT_CMAP_VIRIDIS, 1), 0xfde725u);
    mtsi_plot_scale sc = {MTSI_PLOT_CMAP_GRAY, -1, 1, 0xff00ff};
    ck_assert_uint_eq(mtsi_plot_scale_rgb(&sc, -1), 0x000000u);
    ck_assert_uint_eq(mtsi_plot_scale_rgb(&sc, 1), 0xffffffu);
    ck_assert_uint_eq(mtsi_plot_scale_rgb(&sc, NAN), 0xff00ffu);

    mtsi_plot_rect area = {0, 0, 100, 50};
    mtsi_plot_rect c = mtsi_plot_grid(area, 2, 3, 5, 10, 1, 2);
    ck_assert_double_eq_tol(c.x0, 70, 1e-12);
    ck_assert_double_eq_tol(c.x1, 100, 1e-12);
    ck_assert_double_eq_tol(c.y0, 30, 1e-12);
    ck_assert_double_eq_tol(c.y1, 50, 1e-12);

    mtsi_plot_axes ax = {100, 50, 300, 250, 0, 10, -1, 1};
    ck_assert_double_eq_tol(mtsi_plot_axes_px(&ax, 5), 200, 1e-12);
    ck_assert_double_eq_tol(mtsi_plot_axes_py(&ax, 1), 50, 1e-12);
    ck_assert_double_eq_tol(mtsi_plot_axes_py(&ax, -1), 250, 1e-12);
}
END_TEST

/* Pixel (x, y) of a PNG read back by cairo, as 0xRRGGBB. */
static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t v = *(const uint32_t *)(d + (size_t)y * (size_t)stride + 4 * (size_t)x);
    return v & 0xffffff;
}

START_TEST(png_pixels)
{
    char path[256];
    path_in(path, sizeof path, "t.png");
    mtsi_plot *p = mtsi_plot_new(MTSI_PLOT_PNG, path, 200, 120);
    ck_assert_ptr_nonnull(p);
    ck_assert_double_eq(mtsi_plot_width(p), 200);
    ck_assert_double_eq(mtsi_plot_height(p), 120);
    mtsi_plot_fill_rect(p, 10, 10, 30, 30, 0x123456, 1);
    /* half-transparent red over white */
    mtsi_plot_fill_rect(p, 40, 10, 60, 30, 0xff0000, 0.5);
    /* a clipped rectangle only shows inside the clip */
    mtsi_plot_clip(p, 70, 10, 80, 30);
    mtsi_plot_fill_rect(p, 60, 0, 100, 40, 0x00ff00, 1);
    mtsi_plot_clip_reset(p);
    /* heat map 2 x 3 on [100, 160] x [10, 50]: cells 20 x 20, one masked
     * by NaN and one by the mask */
    const double v[6] = {-1, 0, 1, NAN, 0.5, -0.5};
    const unsigned char mask[6] = {0, 0, 0, 0, 0, 1};
    mtsi_plot_scale sc = {MTSI_PLOT_CMAP_GRAY, -1, 1, 0xff00ff};
    mtsi_plot_heatmap(p, 100, 10, 60, 40, v, 2, 3, &sc, mask);
    /* RGB image 1 x 2 on [10, 50] x [60, 80] */
    const double rgb[6] = {1, 0, /* red */ 0, 1, /* green */ 0, 0 /* blue */};
    mtsi_plot_scale s01 = {MTSI_PLOT_CMAP_GRAY, 0, 1, 0};
    ck_assert_int_eq(mtsi_plot_image(p, 10, 60, 40, 20, rgb, 3, 1, 2, &s01, NULL), MTSI_OK);
    ck_assert_int_eq(mtsi_plot_image(p, 10, 60, 40, 20, rgb, 2, 1, 2, &s01, NULL), MTSI_EINVAL);
    /* a marker and data in axes */
    mtsi_plot_marker_at(p, 100, 90, MTSI_PLOT_SQUARE, 20, 0x0000ff);
    mtsi_plot_axes ax = {130, 70, 190, 110, 0, 1, 0, 1};
    mtsi_plot_ax_rect(p, &ax, 0.5, 0, 2, 0.5, 0x00aa00, 1); /* clipped at x = 1 */
    mtsi_plot_text(p, 5, 115, "G(r) = 0.25 \xc2\xb1 0.01", 10, 0x202020, -1, 1, 0);
    ck_assert_int_eq(mtsi_plot_finish(p), MTSI_OK);

    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    ck_assert_int_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ck_assert_int_eq(cairo_image_surface_get_width(s), 200);
    ck_assert_int_eq(cairo_image_surface_get_height(s), 120);
    ck_assert_uint_eq(pixel(s, 0, 0), 0xffffffu);
    ck_assert_uint_eq(pixel(s, 20, 20), 0x123456u);
    uint32_t half = pixel(s, 50, 20);
    ck_assert_uint_eq(half >> 16, 0xff);
    ck_assert(labs((long)((half >> 8) & 0xff) - 128) <= 1 && labs((long)(half & 0xff) - 128) <= 1);
    ck_assert_uint_eq(pixel(s, 75, 20), 0x00ff00u);
    ck_assert_uint_eq(pixel(s, 65, 20), 0xffffffu);
    ck_assert_uint_eq(pixel(s, 85, 20), 0xffffffu);
    ck_assert_uint_eq(pixel(s, 110, 20), 0x000000u); /* -1 */
    ck_assert_uint_eq(pixel(s, 130, 20), 0x808080u); /* 0 */
    ck_assert_uint_eq(pixel(s, 150, 20), 0xffffffu); /* 1 */
    ck_assert_uint_eq(pixel(s, 110, 40), 0xff00ffu); /* NaN */
    ck_assert_uint_eq(pixel(s, 130, 40), 0xbfbfbfu); /* 0.5: 255 * 3/4 */
    ck_assert_uint_eq(pixel(s, 150, 40), 0xff00ffu); /* masked */
    ck_assert_uint_eq(pixel(s, 20, 70), 0xff0000u);
    ck_assert_uint_eq(pixel(s, 40, 70), 0x00ff00u);
    ck_assert_uint_eq(pixel(s, 100, 90), 0x0000ffu);
    ck_assert_uint_eq(pixel(s, 170, 100), 0x00aa00u);
    ck_assert_uint_eq(pixel(s, 195, 100), 0xffffffu); /* outside the frame */
    cairo_surface_destroy(s);
    unlink(path);
}
END_TEST

/* The whole of a small file. */
static char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)*n + 1);
    ck_assert_int_eq((long)fread(b, 1, (size_t)*n, f), *n);
    b[*n] = 0;
    fclose(f);
    return b;
}

/* s occurs in the n bytes at b (which may hold NULs). */
static int contains(const char *b, long n, const char *s)
{
    size_t k = strlen(s);
    for (long i = 0; i + (long)k <= n; i++)
        if (!memcmp(b + i, s, k))
            return 1;
    return 0;
}

static void draw_demo(mtsi_plot *p)
{
    mtsi_plot_axes ax = {80, 40, 380, 260, 0, 4, -1, 1};
    mtsi_plot_axes_draw(p, &ax, 4, 4, "title", "x", "y");
    const double x[5] = {0, 1, 2, 3, 4}, y[5] = {0, 0.5, NAN, -0.5, 0.8};
    const double e[5] = {0.1, 0.1, 0.1, 0.2, 0.1};
    mtsi_plot_ax_line(p, &ax, x, y, 5, 0x1f77b4, 2, 0);
    mtsi_plot_ax_line(p, &ax, x, y, 5, 0xe6730a, 1, 6);
    mtsi_plot_ax_errorbars(p, &ax, x, y, e, 5, 4, 0x1f77b4, 1.5);
    for (int m = 0; m < 5; m++)
        mtsi_plot_ax_scatter(p, &ax, x + m, y + m, 1, (mtsi_plot_marker)m, 10, 0x1f77b4);
    const double h[3] = {0.2, 0.9, 0.4};
    mtsi_plot_ax_hist(p, &ax, 0.5, 1, h, 3, 0xe6730a, 0.3, 2);
    mtsi_plot_ax_hline(p, &ax, 0, 0x999999, 1, 6);
    const mtsi_plot_legend_entry le[3] = {{"box", 0x1f77b4, MTSI_PLOT_KEY_BOX, 0},
                                          {"line", 0xe6730a, MTSI_PLOT_KEY_LINE, 0},
                                          {"marker", 0x00aa00, MTSI_PLOT_KEY_MARKER,
                                           MTSI_PLOT_TRIANGLE}};
    mtsi_plot_legend(p, ax.x1 - 5, ax.y0 + 5, le, 3, 14);
    const double v[4] = {0, 1, 2, 3};
    mtsi_plot_scale sc = {MTSI_PLOT_CMAP_VIRIDIS, 0, 3, 0x808080};
    mtsi_plot_heatmap(p, 420, 40, 100, 100, v, 2, 2, &sc, NULL);
    mtsi_plot_colorbar(p, 540, 60, 15, 150, &sc, 3, "v");
}

START_TEST(vector_files)
{
    char path[256];
    long n;
    path_in(path, sizeof path, "t.pdf");
    mtsi_plot *p = mtsi_plot_new(MTSI_PLOT_PDF, path, 600, 300);
    ck_assert_ptr_nonnull(p);
    draw_demo(p);
    ck_assert_int_eq(mtsi_plot_finish(p), MTSI_OK);
    char *b = slurp(path, &n);
    ck_assert(n > 1000 && !memcmp(b, "%PDF-", 5));
    ck_assert(contains(b + n - 8, 8, "%%EOF"));
    /* the page is 300 x 150 points */
    ck_assert(contains(b, n, "/MediaBox [ 0 0 300 150 ]"));
    free(b);
    unlink(path);

    path_in(path, sizeof path, "t.svg");
    p = mtsi_plot_new(MTSI_PLOT_SVG, path, 600, 300);
    ck_assert_ptr_nonnull(p);
    draw_demo(p);
    ck_assert_int_eq(mtsi_plot_finish(p), MTSI_OK);
    b = slurp(path, &n);
    ck_assert(contains(b, n, "<svg"));
    ck_assert(contains(b, n, "width=\"300pt\" height=\"150pt\""));
    ck_assert(contains(b + n - 10, 10, "</svg>"));
    free(b);
    unlink(path);

    path_in(path, sizeof path, "d.png");
    p = mtsi_plot_new(MTSI_PLOT_PNG, path, 600, 300);
    draw_demo(p);
    ck_assert_int_eq(mtsi_plot_finish(p), MTSI_OK);
    b = slurp(path, &n);
    ck_assert(n > 100 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8));
    free(b);
    unlink(path);
}
END_TEST

START_TEST(errors)
{
    char path[256];
    ck_assert_ptr_null(mtsi_plot_new(MTSI_PLOT_PNG, "x.png", 0, 10));
    ck_assert_int_eq(mtsi_error_code(), MTSI_EINVAL);
    ck_assert_ptr_null(mtsi_plot_new(MTSI_PLOT_PNG, "x.png", 10, NAN));
    path_in(path, sizeof path, "no/such/dir/x.png");
    mtsi_plot *p = mtsi_plot_new(MTSI_PLOT_PNG, path, 10, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(mtsi_plot_finish(p), MTSI_EIO);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "no/such/dir/x.png"));
    path_in(path, sizeof path, "no/such/dir/x.pdf");
    p = mtsi_plot_new(MTSI_PLOT_PDF, path, 10, 10);
    if (p) /* cairo may defer the open to the first write */
        ck_assert_int_eq(mtsi_plot_finish(p), MTSI_EIO);
    else
        ck_assert_int_eq(mtsi_error_code(), MTSI_EIO);
    mtsi_plot_free(NULL);
}
END_TEST

int main(void)
{
    if (!mkdtemp(dir))
        return 99;
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_add_test(tc, formats);
    tcase_add_test(tc, ticks_colours_layout);
    tcase_add_test(tc, png_pixels);
    tcase_add_test(tc, vector_files);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    rmdir(dir);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
