/* JSON through jansson: see mtsi_json.h. */
#include "mtsi_json.h"
#include "mtsi_err.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

json_t *mtsi_json_num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return n;
}

json_t *mtsi_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    /* Not UTF-8: keep the valid sequences, '?' for each other byte. */
    size_t n = strlen(s);
    char *t = malloc(n + 1);
    if (!t)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        size_t k = utf8_len(p);
        if (k == 0) {
            t[o++] = '?';
            p++;
        } else {
            memcpy(t + o, p, k);
            o += k;
            p += k;
        }
    }
    t[o] = 0;
    j = json_string(t);
    free(t);
    return j;
}

void mtsi_json_set(json_t *obj, const char *key, json_t *v, int *rc)
{
    if (*rc) {
        json_decref(v);
        return;
    }
    if (!v || json_object_set_new(obj, key, v))
        *rc = mtsi_error_set(MTSI_ENOMEM, "no memory for the JSON member %s", key);
}

void mtsi_json_append(json_t *arr, json_t *v, int *rc)
{
    if (*rc) {
        json_decref(v);
        return;
    }
    if (!v || json_array_append_new(arr, v))
        *rc = mtsi_error_set(MTSI_ENOMEM, "no memory for a JSON array element");
}

void mtsi_json_format_number(char *buf, size_t n, double v, mtsi_json_numfmt fmt)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "null");
        return;
    }
    if (fmt == MTSI_JSON_G17) {
        snprintf(buf, n, "%.17g", v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

/* ---- writing ---------------------------------------------------------------- */

/* Does pattern (components separated by '/', '*' any) match path? With
 * prefix set: is path a proper prefix of something pattern matches? */
static int path_match(const char *pat, const char *path, int prefix)
{
    if (!*path)
        return prefix ? *pat != 0 : *pat == 0;
    for (;;) {
        size_t lp = strcspn(pat, "/"), lq = strcspn(path, "/");
        if (!(lp == 1 && pat[0] == '*') && (lp != lq || strncmp(pat, path, lp)))
            return 0;
        pat += lp;
        path += lq;
        if (!*path)
            return prefix ? *pat == '/' : *pat == 0;
        if (!*pat)
            return 0;
        pat++;
        path++;
    }
}

static const mtsi_json_layout *find_layout(const mtsi_json_layout *lay, int nlay, const char *path)
{
    for (int i = 0; i < nlay; i++)
        if (path_match(lay[i].path, path, 0))
            return &lay[i];
    return NULL;
}

static int has_layout_below(const mtsi_json_layout *lay, int nlay, const char *path)
{
    for (int i = 0; i < nlay; i++)
        if (path_match(lay[i].path, path, 1))
            return 1;
    return 0;
}

/* jansson's own text of v: ", " and ": " separators, its escapes, reals
 * with 17 significant digits (re-spelled later). */
static int dump_plain(FILE *out, const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s)
        return MTSI_ENOMEM;
    fputs(s, out);
    free(s);
    return MTSI_OK;
}

static int dump_value(FILE *out, const json_t *v, char *path, size_t cap,
                      const mtsi_json_layout *lay, int nlay)
{
    const mtsi_json_layout *l = find_layout(lay, nlay, path);
    int container = json_is_object(v) || json_is_array(v);
    if (!container || (!has_layout_below(lay, nlay, path) && !(l && (l->first || l->sep || l->close))))
        return dump_plain(out, v);
    const char *first = l && l->first ? l->first : "", *sep = l && l->sep ? l->sep : " ";
    const char *close = l && l->close ? l->close : "";
    size_t len = strlen(path);
    int rc = MTSI_OK;
    fputc(json_is_object(v) ? '{' : '[', out);
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        int k = 0;
        json_object_foreach((json_t *)v, key, m)
        {
            snprintf(path + len, cap - len, "%s%s", len ? "/" : "", key);
            const mtsi_json_layout *lm = find_layout(lay, nlay, path);
            if (k++)
                fprintf(out, ",%s", lm && lm->before ? lm->before : sep);
            else
                fputs(first, out);
            json_t *ks = json_string(key);
            rc = ks ? dump_plain(out, ks) : MTSI_ENOMEM;
            json_decref(ks);
            if (rc)
                break;
            fputs(": ", out);
            rc = dump_value(out, m, path, cap, lay, nlay);
            if (rc)
                break;
        }
    } else {
        for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
            snprintf(path + len, cap - len, "%s%zu", len ? "/" : "", i);
            const mtsi_json_layout *lm = find_layout(lay, nlay, path);
            if (i)
                fprintf(out, ",%s", lm && lm->before ? lm->before : sep);
            else
                fputs(first, out);
            rc = dump_value(out, json_array_get(v, i), path, cap, lay, nlay);
        }
    }
    path[len] = 0;
    fputs(close, out);
    fputc(json_is_object(v) ? '}' : ']', out);
    return rc;
}

/* Re-spells every real of text (outside strings) in fmt. jansson writes
 * reals with a '.' or an exponent and 17 digits, so each reads back to
 * its double exactly; integers have neither and are kept. */
static char *respell(const char *text, mtsi_json_numfmt fmt)
{
    size_t n = strlen(text), cap = n + n / 4 + 64, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    int in_str = 0;
    for (size_t i = 0; i < n;) {
        char c = text[i];
        if (in_str) {
            out[o++] = c;
            i++;
            if (c == '\\' && i < n)
                out[o++] = text[i++];
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
            out[o++] = c;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i + strspn(text + i, "-+.eE0123456789");
            char tok[64];
            size_t tl = j - i < sizeof tok ? j - i : sizeof tok - 1;
            memcpy(tok, text + i, tl);
            tok[tl] = 0;
            if (strpbrk(tok, ".eE"))
                mtsi_json_format_number(tok, sizeof tok, strtod(tok, NULL), fmt);
            tl = strlen(tok);
            if (o + tl + 1 > cap) {
                cap = 2 * cap + tl;
                char *t = realloc(out, cap);
                if (!t) {
                    free(out);
                    return NULL;
                }
                out = t;
            }
            memcpy(out + o, tok, tl);
            o += tl;
            i = j;
            continue;
        } else {
            out[o++] = c;
            i++;
        }
        if (o + 64 > cap) {
            cap *= 2;
            char *t = realloc(out, cap);
            if (!t) {
                free(out);
                return NULL;
            }
            out = t;
        }
    }
    out[o] = 0;
    return out;
}

char *mtsi_json_dumps(const json_t *doc, mtsi_json_numfmt fmt, const mtsi_json_layout *lay,
                      int nlay)
{
    char *buf = NULL, path[512] = "";
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        mtsi_error_set(MTSI_ENOMEM, "no memory for a JSON document");
        return NULL;
    }
    int rc = dump_value(mem, doc, path, sizeof path, lay, nlay);
    if (fclose(mem) || rc || !buf) {
        free(buf);
        mtsi_error_set(MTSI_ENOMEM, "no memory for a JSON document");
        return NULL;
    }
    char *out = respell(buf, fmt);
    free(buf);
    if (!out)
        mtsi_error_set(MTSI_ENOMEM, "no memory for a JSON document");
    return out;
}

int mtsi_json_write(FILE *f, const json_t *doc, mtsi_json_numfmt fmt,
                    const mtsi_json_layout *lay, int nlay)
{
    char *s = mtsi_json_dumps(doc, fmt, lay, nlay);
    if (!s)
        return mtsi_error_code();
    fputs(s, f);
    fputc('\n', f);
    free(s);
    return ferror(f) ? mtsi_error_set(MTSI_EIO, "cannot write a JSON document") : MTSI_OK;
}

/* ---- reading ---------------------------------------------------------------- */

int mtsi_json_load(const char *path, json_t **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mtsi_error_set(MTSI_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_error_t err;
    json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        json_decref(j);
        return mtsi_error_set(MTSI_EIO, "%s: read error", path);
    }
    if (!j)
        return mtsi_error_set(MTSI_EINVAL, "%s:%d:%d: not valid JSON: %s", path, err.line,
                              err.column, err.text);
    *out = j;
    return MTSI_OK;
}

static const json_t *member(const json_t *obj, const char *key, const char *what)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v)
        mtsi_error_set(MTSI_EINVAL, "%s: no member \"%s\"", what, key);
    return v;
}

int mtsi_json_get_number(const json_t *obj, const char *key, const char *what, double *v)
{
    const json_t *m = member(obj, key, what);
    if (!m)
        return MTSI_EINVAL;
    if (!json_is_number(m))
        return mtsi_error_set(MTSI_EINVAL, "%s: \"%s\" is not a number", what, key);
    *v = json_number_value(m);
    return MTSI_OK;
}

int mtsi_json_get_integer(const json_t *obj, const char *key, const char *what, long long *v)
{
    const json_t *m = member(obj, key, what);
    if (!m)
        return MTSI_EINVAL;
    if (!json_is_integer(m))
        return mtsi_error_set(MTSI_EINVAL, "%s: \"%s\" is not an integer", what, key);
    *v = json_integer_value(m);
    return MTSI_OK;
}

int mtsi_json_get_string(const json_t *obj, const char *key, const char *what, const char **s)
{
    const json_t *m = member(obj, key, what);
    if (!m)
        return MTSI_EINVAL;
    if (!json_is_string(m))
        return mtsi_error_set(MTSI_EINVAL, "%s: \"%s\" is not a string", what, key);
    *s = json_string_value(m);
    return MTSI_OK;
}
