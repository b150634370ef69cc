/* Regular-file input, capped lines and all-or-nothing output (fileio.h). */
#include "sim/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(char *why, size_t whylen, const char *text) {
    if (why && whylen) snprintf(why, whylen, "%s", text);
}

/* "is a FIFO, not a regular file" for a non-regular st_mode; NULL if
 * regular. */
static const char *not_regular(mode_t m) {
    if (S_ISREG(m)) return NULL;
    if (S_ISDIR(m)) return "is a directory, not a regular file";
    if (S_ISFIFO(m)) return "is a FIFO (named pipe), not a regular file";
    if (S_ISCHR(m) || S_ISBLK(m)) return "is a device, not a regular file";
    if (S_ISSOCK(m)) return "is a socket, not a regular file";
    return "is not a regular file";
}

FILE *sim_file_open_regular(const char *path, char *why, size_t whylen) {
    /* O_NONBLOCK: opening a FIFO with no writer would block forever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        say(why, whylen, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        say(why, whylen, strerror(errno));
        close(fd);
        return NULL;
    }
    const char *bad = not_regular(st.st_mode);
    if (bad) {
        say(why, whylen, bad);
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        say(why, whylen, strerror(errno));
        close(fd);
    }
    return f;
}

int sim_file_check_regular(const char *path, char *why, size_t whylen) {
    struct stat st;
    if (stat(path, &st) != 0) {
        say(why, whylen, strerror(errno));
        return -1;
    }
    const char *bad = not_regular(st.st_mode);
    if (bad) {
        say(why, whylen, bad);
        errno = 0;
        return -1;
    }
    return 0;
}

ssize_t sim_file_getline(char **buf, size_t *cap, FILE *f, size_t max) {
    size_t n = 0;
    int c;
    flockfile(f);
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (n == max) {
            funlockfile(f);
            return -2;
        }
        if (n + 1 >= *cap) {
            size_t ncap = *cap ? 2 * *cap : 256;
            if (ncap > max + 1) ncap = max + 1;
            if (ncap < n + 2) ncap = n + 2;
            char *nb = realloc(*buf, ncap);
            if (!nb) {
                funlockfile(f);
                errno = ENOMEM;
                return -3;
            }
            *buf = nb;
            *cap = ncap;
        }
        (*buf)[n++] = (char)c;
    }
    int bad = ferror(f);
    funlockfile(f);
    if (bad) return -3;
    if (c == EOF && n == 0) return -1;
    if (!*buf) {
        *buf = malloc(1);
        if (!*buf) {
            errno = ENOMEM;
            return -3;
        }
        *cap = 1;
    }
    (*buf)[n] = '\0';
    return (ssize_t)n;
}

char *sim_file_temp_beside(const char *path, char *why, size_t whylen) {
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    if (!*base) {
        say(why, whylen, "names a directory, not a file");
        return NULL;
    }
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f) {
            say(why, whylen, "the name holds a control character");
            return NULL;
        }
    size_t n = dirlen + 1 + strlen(base) + sizeof ".tmp-XXXXXX";
    char *tmp = malloc(n);
    if (!tmp) {
        say(why, whylen, strerror(ENOMEM));
        return NULL;
    }
    snprintf(tmp, n, "%.*s.%s.tmp-XXXXXX", (int)dirlen, path, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        say(why, whylen, strerror(errno));
        free(tmp);
        return NULL;
    }
    /* mkstemp makes 0600; an output file gets what open(2) would give. */
    mode_t um = umask(022);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        say(why, whylen, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    close(fd);
    return tmp;
}

int sim_outfile_open(sim_outfile *o, const char *path, char *why,
                     size_t whylen) {
    memset(o, 0, sizeof *o);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        say(why, whylen, not_regular(st.st_mode));
        return -1;
    }
    o->path = strdup(path);
    o->tmp = o->path ? sim_file_temp_beside(path, why, whylen) : NULL;
    if (!o->path || !o->tmp) {
        if (!o->path) say(why, whylen, strerror(ENOMEM));
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return -1;
    }
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        say(why, whylen, strerror(errno));
        unlink(o->tmp);
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return -1;
    }
    return 0;
}

void sim_outfile_abort(sim_outfile *o) {
    if (!o) return;
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

int sim_outfile_finish(sim_outfile *o, char **tmp, char *why,
                       size_t whylen) {
    *tmp = NULL;
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int saved = errno;
    int closed = fclose(o->f);
    o->f = NULL;
    if (bad || closed != 0) {
        say(why, whylen, strerror(bad ? (saved ? saved : EIO)
                                      : (errno ? errno : EIO)));
        sim_outfile_abort(o);
        return -1;
    }
    *tmp = o->tmp;
    free(o->path);
    memset(o, 0, sizeof *o);
    return 0;
}

int sim_outfile_commit(sim_outfile *o, char *why, size_t whylen) {
    char *path = o->path, *tmp;
    o->path = NULL;
    if (sim_outfile_finish(o, &tmp, why, whylen) != 0) {
        free(path);
        return -1;
    }
    int rc = 0;
    if (rename(tmp, path) != 0) {
        say(why, whylen, strerror(errno));
        unlink(tmp);
        rc = -1;
    }
    free(tmp);
    free(path);
    return rc;
}

void sim_outset_init(sim_outset *s) { memset(s, 0, sizeof *s); }

int sim_outset_adopt(sim_outset *s, const char *path, char *tmp, char *why,
                     size_t whylen) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        char **p = realloc(s->path, cap * sizeof *p);
        if (p) s->path = p;
        char **t = p ? realloc(s->tmp, cap * sizeof *t) : NULL;
        if (t) s->tmp = t;
        if (!p || !t) goto nomem;
        s->cap = cap;
    }
    if (!(s->path[s->n] = strdup(path))) goto nomem;
    s->tmp[s->n++] = tmp;
    return 0;
nomem:
    say(why, whylen, strerror(ENOMEM));
    unlink(tmp);
    free(tmp);
    return -1;
}

int sim_outset_write(sim_outset *s, const char *path, const void *data,
                     size_t len, char *why, size_t whylen) {
    sim_outfile o;
    char *tmp;
    if (sim_outfile_open(&o, path, why, whylen) != 0) return -1;
    if (len && fwrite(data, 1, len, o.f) != len) {
        say(why, whylen, strerror(errno ? errno : EIO));
        sim_outfile_abort(&o);
        return -1;
    }
    if (sim_outfile_finish(&o, &tmp, why, whylen) != 0) return -1;
    return sim_outset_adopt(s, path, tmp, why, whylen);
}

/* Frees the set's names and empties it (the files are not touched). */
static void outset_clear(sim_outset *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->path[i]);
        free(s->tmp[i]);
    }
    free(s->path);
    free(s->tmp);
    memset(s, 0, sizeof *s);
}

void sim_outset_abort(sim_outset *s) {
    for (size_t i = 0; i < s->n; i++) unlink(s->tmp[i]);
    outset_clear(s);
}

int sim_outset_commit(sim_outset *s, char *why, size_t whylen) {
    struct stat st;
    for (size_t i = 0; i < s->n; i++)
        if (stat(s->path[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            if (why && whylen)
                snprintf(why, whylen, "'%s' %s", s->path[i],
                         not_regular(st.st_mode));
            sim_outset_abort(s);
            return -1;
        }
    for (size_t i = 0; i < s->n; i++)
        if (rename(s->tmp[i], s->path[i]) != 0) {
            if (why && whylen)
                snprintf(why, whylen, "'%s': %s (%zu of the %zu files were "
                         "already in place)", s->path[i], strerror(errno), i,
                         s->n);
            for (size_t j = i; j < s->n; j++) unlink(s->tmp[j]);
            outset_clear(s);
            return -1;
        }
    outset_clear(s);
    return 0;
}

int sim_file_write_atomic(const char *path, const void *data, size_t len,
                          char *why, size_t whylen) {
    sim_outfile o;
    if (sim_outfile_open(&o, path, why, whylen) != 0) return -1;
    if (len && fwrite(data, 1, len, o.f) != len) {
        say(why, whylen, strerror(errno ? errno : EIO));
        sim_outfile_abort(&o);
        return -1;
    }
    return sim_outfile_commit(&o, why, whylen);
}
