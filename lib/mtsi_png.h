/* Figures drawn by the package itself: an RGB raster canvas with
 * anti-aliased lines and discs, rectangles with alpha, a built-in 5x9
 * bitmap font, simple plot axes with "nice" ticks, and a PNG encoder with
 * its own deflate (fixed-Huffman LZ77 or stored blocks), CRC-32 and
 * Adler-32. No external library.
 *
 * Conventions: pixel (0, 0) is the top-left corner, x to the right, y
 * down; a pixel's centre is at (x + 0.5, y + 0.5) for the anti-aliased
 * primitives, which take double coordinates. Colours are 0xRRGGBB;
 * alpha in [0, 1] blends over what is already drawn. Everything outside
 * the canvas or the current clip rectangle is silently dropped. */
#ifndef MTSI_PNG_H
#define MTSI_PNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct mtsi_png_canvas mtsi_png_canvas;

/* A w x h canvas filled with background colour bg. NULL (error set) on
 * bad sizes or no memory. */
mtsi_png_canvas *mtsi_png_canvas_new(int w, int h, uint32_t bg);
void mtsi_png_canvas_free(mtsi_png_canvas *c);
int mtsi_png_canvas_width(const mtsi_png_canvas *c);
int mtsi_png_canvas_height(const mtsi_png_canvas *c);
/* Row-major RGB bytes, 3 per pixel. */
const unsigned char *mtsi_png_canvas_pixels(const mtsi_png_canvas *c);

/* Restrict drawing to x0 <= x < x1, y0 <= y < y1 (pixels); reset = whole. */
void mtsi_png_canvas_clip(mtsi_png_canvas *c, int x0, int y0, int x1, int y1);
void mtsi_png_canvas_clip_reset(mtsi_png_canvas *c);

void mtsi_png_canvas_blend(mtsi_png_canvas *c, int x, int y, uint32_t rgb, double alpha);
/* Pixels x0 <= x < x1, y0 <= y < y1 (corners in any order). */
void mtsi_png_canvas_fill_rect(mtsi_png_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb,
                               double alpha);
/* Outline of that rectangle, width pixels thick, drawn inside it. */
void mtsi_png_canvas_rect(mtsi_png_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb,
                          int width);
/* Anti-aliased segment of the given width (pixels), round caps. */
void mtsi_png_canvas_line(mtsi_png_canvas *c, double x0, double y0, double x1, double y1,
                          uint32_t rgb, double width);
/* Dashed: dash and gap lengths in pixels. */
void mtsi_png_canvas_dashed(mtsi_png_canvas *c, double x0, double y0, double x1, double y1,
                            uint32_t rgb, double width, double dash, double gap);
/* Anti-aliased filled disc. */
void mtsi_png_canvas_disc(mtsi_png_canvas *c, double cx, double cy, double r, uint32_t rgb);
/* Vertical error bar from y0 to y1 at x with caps of half-width cap. */
void mtsi_png_canvas_errorbar(mtsi_png_canvas *c, double x, double y0, double y1, double cap,
                              uint32_t rgb, double width);

/* Text in the built-in font (printable ASCII; other bytes show as '?'),
 * each font pixel drawn as a scale x scale block. Cell: 6 x 11 font pixels
 * (5 x 7 glyphs plus descenders). (x, y) is the top-left corner of the
 * first cell; halign -1/0/1 = x is the left edge / centre / right edge. */
enum { MTSI_PNG_FONT_W = 6, MTSI_PNG_FONT_H = 11 };
void mtsi_png_canvas_text(mtsi_png_canvas *c, int x, int y, const char *s, int scale,
                          uint32_t rgb, int halign);
/* Rotated a quarter turn counter-clockwise (reads bottom to top); (x, y)
 * is the left edge and the vertical centre of the text. */
void mtsi_png_canvas_text_up(mtsi_png_canvas *c, int x, int y, const char *s, int scale,
                             uint32_t rgb);
int mtsi_png_text_width(const char *s, int scale);
/* The 9 rows of glyph ch (5 bits each, bit 4 = leftmost column); rows 7
 * and 8 are below the baseline. */
void mtsi_png_font_glyph(unsigned char ch, unsigned char rows[9]);

/* Plot axes: a frame at pixels [x0, x1] x [y0, y1] showing data range
 * [xmin, xmax] x [ymin, ymax]. */
typedef struct {
    int x0, y0, x1, y1;
    double xmin, xmax, ymin, ymax;
} mtsi_png_axes;
double mtsi_png_axes_px(const mtsi_png_axes *a, double x);
double mtsi_png_axes_py(const mtsi_png_axes *a, double y);
/* Frame, ticks with numbers (about nx and ny of them, at 1, 2, 5 x 10^k),
 * light grid lines, title above, x label below, y label rotated at the
 * left. Strings may be NULL. */
void mtsi_png_axes_draw(mtsi_png_canvas *c, const mtsi_png_axes *a, int nx, int ny,
                        const char *title, const char *xlabel, const char *ylabel);
/* Tick step for about n ticks over [lo, hi]: 1, 2 or 5 times a power of 10. */
double mtsi_png_nice_step(double lo, double hi, int n);
/* Widen [*lo, *hi] to multiples of the nice step (empty range: +-1/2). */
void mtsi_png_nice_range(double *lo, double *hi, int n);

/* Diverging colour map: t in [-1, 1] -> blue (-1), white (0), red (+1). */
uint32_t mtsi_png_colormap_bwr(double t);

/* Checksums as PNG and zlib define them. */
uint32_t mtsi_png_crc32(uint32_t crc, const unsigned char *p, size_t n);
uint32_t mtsi_png_adler32(uint32_t adler, const unsigned char *p, size_t n);

/* zlib stream of n bytes: compress = 0 stored blocks, 1 LZ77 with the
 * fixed Huffman code. *out is malloc'd. */
int mtsi_png_zlib(const unsigned char *in, size_t n, int compress, unsigned char **out,
                  size_t *outlen);
/* PNG file (8-bit RGB, no interlace, filter None) of w x h pixels in
 * memory; *out is malloc'd. */
int mtsi_png_encode(const unsigned char *rgb, int w, int h, int compress, unsigned char **out,
                    size_t *outlen);
/* Encode the canvas and write it to path directly (callers that need
 * atomicity write to a temporary name and rename). */
int mtsi_png_canvas_write(const mtsi_png_canvas *c, const char *path);

#endif
