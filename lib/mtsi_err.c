#include "config.h"
#include "mtsi_err.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One message per process, not per thread: an error recorded inside an
 * OpenMP worker must reach the command layer on the main thread. The
 * last message recorded wins; the lock makes concurrent calls safe, and
 * readers get a copy. */
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char err_msg[1024];
static char err_copy[1024];
static int err_code;

int mtsi_error_set(int code, const char *fmt, ...)
{
    char buf[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&err_lock);
    /* A message may quote the previous one (a prefix added on the way up):
     * buf is formatted first, so that is safe. */
    memcpy(err_msg, buf, sizeof buf);
    err_code = code;
    pthread_mutex_unlock(&err_lock);
    return code;
}

const char *mtsi_error_msg(void)
{
    pthread_mutex_lock(&err_lock);
    memcpy(err_copy, err_msg, sizeof err_msg);
    pthread_mutex_unlock(&err_lock);
    return err_copy;
}

int mtsi_error_code(void)
{
    pthread_mutex_lock(&err_lock);
    int c = err_code;
    pthread_mutex_unlock(&err_lock);
    return c;
}

void mtsi_error_clear(void)
{
    pthread_mutex_lock(&err_lock);
    err_msg[0] = '\0';
    err_code = MTSI_OK;
    pthread_mutex_unlock(&err_lock);
}

int mtsi_error_errno(int code, int err, const char *fmt, ...)
{
    char buf[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return mtsi_error_set(code, "%s: %s", buf, err ? strerror(err) : "unknown error");
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
    if (r < n || posix_memalign(&p, 64, r ? r : 64) != 0) {
        mtsi_error_set(MTSI_ENOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
    return p;
}

int mtsi_pwrite_all(int fd, const void *buf, size_t len, long long off, const char *path)
{
    const char *p = buf;
    while (len > 0) {
        errno = 0;
        ssize_t w = pwrite(fd, p, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            /* pwrite returning 0 sets no errno: the device is full */
            return mtsi_error_errno(MTSI_EIO, w < 0 ? errno : ENOSPC, "cannot write '%s'", path);
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return MTSI_OK;
}

int mtsi_pread_all(int fd, void *buf, size_t len, long long off, const char *path)
{
    char *p = buf;
    while (len > 0) {
        errno = 0;
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return mtsi_error_errno(MTSI_EIO, errno, "cannot read '%s'", path);
        if (r == 0)
            return mtsi_error_set(MTSI_EINVAL, "'%s' is truncated (%zu bytes missing at offset %lld)",
                                  path, len, off);
        p += r;
        len -= (size_t)r;
        off += r;
    }
    return MTSI_OK;
}
