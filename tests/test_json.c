/* Unit tests of JSON through jansson (lib/mtsi_json.h): number spellings
 * (%.17g and shortest exact) including exponents, integers, -0 and
 * non-finite values; strings with escapes and bytes that are not UTF-8;
 * layouts with '*' paths, the root, empty containers; documents read back
 * to the same doubles; the loader's and getters' errors. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_json.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dump(const json_t *d, mtsi_json_numfmt fmt, const mtsi_json_layout *l, int n)
{
    char *s = mtsi_json_dumps(d, fmt, l, n);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(numbers)
{
    char b[40];
    mtsi_json_format_number(b, sizeof b, 0.1, MTSI_JSON_G17);
    ck_assert_str_eq(b, "0.10000000000000001");
    mtsi_json_format_number(b, sizeof b, 0.1, MTSI_JSON_SHORTEST);
    ck_assert_str_eq(b, "0.1");
    mtsi_json_format_number(b, sizeof b, 1.0 / 3, MTSI_JSON_SHORTEST);
    ck_assert_str_eq(b, "0.3333333333333333"); /* 16 digits suffice */
    mtsi_json_format_number(b, sizeof b, NAN, MTSI_JSON_G17);
    ck_assert_str_eq(b, "null");

    /* Inside documents: jansson's "1.0", "1e-5" and "1e20" are spelled as
     * %.17g spells them; integers stay integers. */
    json_t *a = json_array();
    const double v[] = {1, 1e-5, 1e20, -0.0, 0.5, 2.5e-300, -1.7976931348623157e308, 0.1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        json_array_append_new(a, mtsi_json_num(v[i]));
    json_array_append_new(a, mtsi_json_num(INFINITY));
    json_array_append_new(a, mtsi_json_num(NAN));
    json_array_append_new(a, json_integer(-9223372036854775807LL));
    json_array_append_new(a, json_integer(7));
    json_array_append_new(a, json_true());
    char *s = dump(a, MTSI_JSON_G17, NULL, 0);
    ck_assert_str_eq(s, "[1, 1.0000000000000001e-05, 1e+20, -0, 0.5, 2.5e-300, "
                        "-1.7976931348623157e+308, 0.10000000000000001, null, null, "
                        "-9223372036854775807, 7, true]");
    free(s);
    s = dump(a, MTSI_JSON_SHORTEST, NULL, 0);
    ck_assert_str_eq(s, "[1, 1e-05, 1e+20, -0, 0.5, 2.5e-300, -1.7976931348623157e+308, 0.1, null, "
                        "null, -9223372036854775807, 7, true]");
    /* read back: the same doubles ("-0" reads as the integer 0: equal) */
    json_error_t err;
    json_t *r = json_loads(s, 0, &err);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        double x = json_number_value(json_array_get(r, i));
        ck_assert(x == v[i]);
    }
    json_decref(r);
    free(s);
    json_decref(a);
}
END_TEST

START_TEST(strings)
{
    json_t *o = json_object();
    int rc = MTSI_OK;
    /* keys and strings: quotes, backslash, a control character, UTF-8,
     * and digits inside strings are not numbers */
    mtsi_json_set(o, "a\"b", mtsi_json_str("x\\y\n\x01 1.0 \xc2\xb1"), &rc);
    mtsi_json_set(o, "bad", mtsi_json_str("a\xff" "b\xc3"), &rc);
    mtsi_json_set(o, "null", mtsi_json_str(NULL), &rc);
    ck_assert_int_eq(rc, MTSI_OK);
    char *s = dump(o, MTSI_JSON_G17, NULL, 0);
    ck_assert_str_eq(s, "{\"a\\\"b\": \"x\\\\y\\n\\u0001 1.0 \xc2\xb1\", \"bad\": \"a?b?\", "
                        "\"null\": null}");
    free(s);
    /* a failed member makes rc an error and later members are dropped */
    mtsi_json_set(o, "x", NULL, &rc);
    ck_assert_int_eq(rc, MTSI_ENOMEM);
    mtsi_json_set(o, "y", json_integer(1), &rc);
    ck_assert_ptr_null(json_object_get(o, "y"));
    json_t *arr = json_array();
    mtsi_json_append(arr, json_integer(1), &rc);
    ck_assert_int_eq(json_array_size(arr), 0);
    rc = MTSI_OK;
    mtsi_json_append(arr, json_integer(1), &rc);
    ck_assert_int_eq(json_array_size(arr), 1);
    json_decref(arr);
    json_decref(o);
}
END_TEST

START_TEST(layouts)
{
    json_t *d = json_object(), *pts = json_array(), *obs = json_object();
    int rc = MTSI_OK;
    mtsi_json_set(d, "n", json_integer(2), &rc);
    mtsi_json_set(d, "t", mtsi_json_num(0.25), &rc);
    for (int i = 0; i < 2; i++) {
        json_t *p = json_object(), *q = json_object();
        mtsi_json_set(q, "m", mtsi_json_num(i ? NAN : 1e-7), &rc);
        mtsi_json_set(p, "i", json_integer(i), &rc);
        mtsi_json_set(p, "obs", q, &rc);
        mtsi_json_append(pts, p, &rc);
    }
    mtsi_json_set(d, "points", pts, &rc);
    mtsi_json_set(obs, "a", json_integer(1), &rc);
    mtsi_json_set(obs, "b", json_array(), &rc);
    mtsi_json_set(d, "observables", obs, &rc);
    mtsi_json_set(d, "empty", json_array(), &rc);
    ck_assert_int_eq(rc, MTSI_OK);
    static const mtsi_json_layout lay[] = {{"", NULL, NULL, NULL, "\n"},
                                           {"t", "\n ", NULL, NULL, NULL},
                                           {"points", "\n ", "\n  ", "\n  ", "\n "},
                                           {"points/*/obs", "\n   ", NULL, NULL, NULL},
                                           {"observables", NULL, "\n  ", "\n  ", "\n"},
                                           {"empty", NULL, "<", "|", ">"}};
    char *s = dump(d, MTSI_JSON_G17, lay, 6);
    ck_assert_str_eq(s, "{\"n\": 2,\n \"t\": 0.25,\n \"points\": [\n"
                        "  {\"i\": 0,\n   \"obs\": {\"m\": 9.9999999999999995e-08}},\n"
                        "  {\"i\": 1,\n   \"obs\": {\"m\": null}}\n ], \"observables\": {\n"
                        "  \"a\": 1,\n  \"b\": []\n}, \"empty\": [>]\n}");
    /* without a layout: jansson's one line */
    free(s);
    s = dump(d, MTSI_JSON_SHORTEST, NULL, 0);
    ck_assert_str_eq(s, "{\"n\": 2, \"t\": 0.25, \"points\": [{\"i\": 0, \"obs\": {\"m\": 1e-07}}, "
                        "{\"i\": 1, \"obs\": {\"m\": null}}], \"observables\": {\"a\": 1, "
                        "\"b\": []}, \"empty\": []}");
    free(s);
    /* write = text + newline */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ck_assert_int_eq(mtsi_json_write(m, obs, MTSI_JSON_G17, NULL, 0), MTSI_OK);
    fclose(m);
    ck_assert_str_eq(buf, "{\"a\": 1, \"b\": []}\n");
    free(buf);
    json_decref(d);
}
END_TEST

START_TEST(reading)
{
    char dir[] = "/tmp/mtsi-test-json.XXXXXX", path[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"x\": 1.5, \"k\": 3, \"s\": \"hi\", \"r\": 2.0}\n", f);
    fclose(f);
    json_t *j;
    ck_assert_int_eq(mtsi_json_load(path, &j), MTSI_OK);
    double x;
    long long k;
    const char *s;
    ck_assert_int_eq(mtsi_json_get_number(j, "x", "a.json", &x), MTSI_OK);
    ck_assert(x == 1.5);
    ck_assert_int_eq(mtsi_json_get_number(j, "k", "a.json", &x), MTSI_OK);
    ck_assert(x == 3);
    ck_assert_int_eq(mtsi_json_get_integer(j, "k", "a.json", &k), MTSI_OK);
    ck_assert(k == 3);
    ck_assert_int_eq(mtsi_json_get_string(j, "s", "a.json", &s), MTSI_OK);
    ck_assert_str_eq(s, "hi");
    ck_assert_int_eq(mtsi_json_get_integer(j, "r", "a.json", &k), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "\"r\" is not an integer"));
    ck_assert_int_eq(mtsi_json_get_string(j, "x", "a.json", &s), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_json_get_number(j, "s", "a.json", &x), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_json_get_number(j, "nope", "a.json", &x), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "a.json: no member \"nope\""));
    json_decref(j);

    f = fopen(path, "w");
    fputs("{\"x\": 1,\n \"x\": 2}\n", f);
    fclose(f);
    ck_assert_int_eq(mtsi_json_load(path, &j), MTSI_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "a.json:2:"));
    f = fopen(path, "w");
    fputs("{\"x\": [1, 2}\n", f);
    fclose(f);
    ck_assert_int_eq(mtsi_json_load(path, &j), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "not valid JSON"));
    unlink(path);
    ck_assert_int_eq(mtsi_json_load(path, &j), MTSI_EIO);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "a.json"));
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, layouts);
    tcase_add_test(tc, reading);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
