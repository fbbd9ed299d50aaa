/* JSON through jansson: documents are built as jansson trees (json_t) and
 * written with mtsi's published number spelling and line layout; files
 * are read into the same trees.
 *
 * Writing. Build the document with jansson (json_object(), json_array(),
 * json_integer(), json_true(), ...) and the two helpers below for doubles
 * (non-finite -> null) and strings (any bytes); objects keep the order
 * in which their keys were set. mtsi_json_write() prints it as jansson
 * does (", " between members, ": " after keys, jansson's string escapes)
 * with two mtsi conventions on top:
 *  - reals are spelled as C's "%.17g" (MTSI_JSON_G17: 0.5, 1e-05, 3,
 *    -0) or as the shortest of %.15g .. %.17g that reads back to the same
 *    double (MTSI_JSON_SHORTEST: 0.1 rather than 0.10000000000000001);
 *    both read back exactly. Integers (json_integer) print as integers.
 *  - line breaks where a layout puts them, so that a summary reads one
 *    observable or one point per line (see mtsi_json_layout).
 *
 * Reading. mtsi_json_load() parses a file; the getters fetch typed
 * members with errors that name the file and the key. */
#ifndef MTSI_JSON_H
#define MTSI_JSON_H

#include <jansson.h>
#include <stdio.h>

/* A real, or null when v is not finite. NULL only when out of memory. */
json_t *mtsi_json_num(double v);
/* A string; bytes that are not UTF-8 become '?' (JSON text is UTF-8),
 * NULL s gives null. NULL only when out of memory. */
json_t *mtsi_json_str(const char *s);
/* json_object_set_new() that remembers a failure: sets key to v (stolen)
 * unless *rc is already an error; a NULL v or a failed set makes *rc
 * MTSI_ENOMEM. Lets a document be built without a check per member. */
void mtsi_json_set(json_t *obj, const char *key, json_t *v, int *rc);
/* The same for appending to an array. */
void mtsi_json_append(json_t *arr, json_t *v, int *rc);

typedef enum { MTSI_JSON_G17, MTSI_JSON_SHORTEST } mtsi_json_numfmt;

/* Line layout of a document. Each entry names a value by its path from
 * the root: keys and array positions separated by '/', '*' for any key or
 * position, "" for the root ("points/ * /observables" without the blanks:
 * the member observables of any element of the array points). For that
 * value:
 *  - before: what follows the comma in front of it in its parent, in
 *    place of the single blank (e.g. "\n " starts a line);
 *  - first, sep: when it is an object or array, what follows its opening
 *    bracket and each of its commas (defaults "" and " ");
 *  - close: what precedes its closing bracket (default "").
 * NULL fields keep the defaults. */
typedef struct {
    const char *path;
    const char *before;
    const char *first, *sep, *close;
} mtsi_json_layout;

/* The document as text (malloc'd, no final newline); NULL with
 * MTSI_ENOMEM set when out of memory. */
char *mtsi_json_dumps(const json_t *doc, mtsi_json_numfmt fmt, const mtsi_json_layout *lay,
                      int nlay);
/* The text and a newline on f. MTSI_EIO when f reports an error. */
int mtsi_json_write(FILE *f, const json_t *doc, mtsi_json_numfmt fmt,
                    const mtsi_json_layout *lay, int nlay);
/* A double spelled as the format does ("null" when not finite); buf of
 * at least 32 bytes. */
void mtsi_json_format_number(char *buf, size_t n, double v, mtsi_json_numfmt fmt);

/* Parses the file at path. MTSI_EINVAL naming path, line and column on a
 * syntax error, MTSI_EIO when it cannot be read. *out is the caller's
 * (json_decref). Integers beyond 64 bits and duplicate keys are
 * refused. */
int mtsi_json_load(const char *path, json_t **out);
/* Members of an object: MTSI_EINVAL naming what (e.g. the file) and key
 * when missing or of the wrong type. A number may be an integer or a real
 * in the text. */
int mtsi_json_get_number(const json_t *obj, const char *key, const char *what, double *v);
int mtsi_json_get_integer(const json_t *obj, const char *key, const char *what, long long *v);
/* *s points into obj (valid while obj lives). */
int mtsi_json_get_string(const json_t *obj, const char *key, const char *what, const char **s);

#endif
