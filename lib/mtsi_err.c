#include "config.h"
#include "mtsi_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int mtsi_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_code = code;
    return code;
}

const char *mtsi_error_msg(void) { return err_msg; }
int mtsi_error_code(void) { return err_code; }

void mtsi_error_clear(void)
{
    err_msg[0] = '\0';
    err_code = MTSI_OK;
}

void *mtsi_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mtsi_error_set(MTSI_ENOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *mtsi_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        mtsi_error_set(MTSI_ENOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *mtsi_aligned_alloc(size_t n)
{
    void *p = NULL;
    size_t r = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, r ? r : 64) != 0) {
        mtsi_error_set(MTSI_ENOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
    return p;
}
