/* An SQLite VFS that keeps the files of one database in memory (memvfs.h).
 *
 * Every file whose name begins with the registered path (the database, its
 * -journal, -wal) is a heap buffer; every other name goes to the VFS that
 * was the default before (unix), unchanged.  Locks are granted at once and
 * the WAL index (-shm) is heap memory shared by the connections of the
 * process: the fuzz harness is one thread, and nothing else sees these
 * files.  What SQLite does above the VFS (pager, b-tree, schema, queries)
 * is what it does on a real file. */
#include "tests/fuzz/memvfs.h"

#include <stdlib.h>
#include <string.h>

#define MEMVFS_SHM_MAX 64 /* WAL-index regions (32 KiB each) */

typedef struct memfile {
    char *name; /* NULL for a free slot */
    unsigned char *data;
    sqlite3_int64 size, cap;
    void *shm[MEMVFS_SHM_MAX]; /* the WAL index of a database file */
    int nopen;                 /* handles open on it */
} memfile;

#define MEMVFS_FILES 8 /* the database, -journal, -wal, temporaries */

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *base; /* the default VFS before ours */
    char prefix[1024];
    size_t prefix_len;
    memfile file[MEMVFS_FILES];
    int registered;
} mv;

typedef struct {
    sqlite3_file base;
    memfile *f;
} memhandle;

static int is_ours(const char *name) {
    return name && mv.prefix_len &&
           strncmp(name, mv.prefix, mv.prefix_len) == 0;
}

static memfile *find(const char *name) {
    for (int i = 0; i < MEMVFS_FILES; i++)
        if (mv.file[i].name && strcmp(mv.file[i].name, name) == 0)
            return &mv.file[i];
    return NULL;
}

static void drop(memfile *f) {
    free(f->name);
    free(f->data);
    for (int i = 0; i < MEMVFS_SHM_MAX; i++) free(f->shm[i]);
    memset(f, 0, sizeof *f);
}

/* A new empty file called name (NULL: a nameless temporary). */
static memfile *create(const char *name) {
    for (int i = 0; i < MEMVFS_FILES; i++) {
        memfile *f = &mv.file[i];
        if (f->name || f->nopen) continue;
        memset(f, 0, sizeof *f);
        f->name = strdup(name ? name : "");
        return f->name ? f : NULL;
    }
    return NULL;
}

static int grow(memfile *f, sqlite3_int64 need) {
    if (need <= f->cap) return SQLITE_OK;
    sqlite3_int64 cap = f->cap ? f->cap : 4096;
    while (cap < need) cap *= 2;
    unsigned char *d = realloc(f->data, (size_t)cap);
    if (!d) return SQLITE_NOMEM;
    memset(d + f->cap, 0, (size_t)(cap - f->cap));
    f->data = d;
    f->cap = cap;
    return SQLITE_OK;
}

/* ---- the file methods -------------------------------------------------- */

static int m_close(sqlite3_file *h) {
    memfile *f = ((memhandle *)h)->f;
    f->nopen--;
    if (!f->name[0] && f->nopen == 0) drop(f); /* a temporary */
    return SQLITE_OK;
}

static int m_read(sqlite3_file *h, void *buf, int amt, sqlite3_int64 off) {
    memfile *f = ((memhandle *)h)->f;
    sqlite3_int64 have = off < f->size ? f->size - off : 0;
    if (have >= amt) {
        memcpy(buf, f->data + off, (size_t)amt);
        return SQLITE_OK;
    }
    if (have > 0) memcpy(buf, f->data + off, (size_t)have);
    memset((char *)buf + have, 0, (size_t)(amt - have));
    return SQLITE_IOERR_SHORT_READ;
}

static int m_write(sqlite3_file *h, const void *buf, int amt,
                   sqlite3_int64 off) {
    memfile *f = ((memhandle *)h)->f;
    if (grow(f, off + amt) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    memcpy(f->data + off, buf, (size_t)amt);
    if (off + amt > f->size) f->size = off + amt;
    return SQLITE_OK;
}

static int m_truncate(sqlite3_file *h, sqlite3_int64 size) {
    memfile *f = ((memhandle *)h)->f;
    if (size < f->size) f->size = size;
    return SQLITE_OK;
}

static int m_sync(sqlite3_file *h, int flags) {
    (void)h;
    (void)flags;
    return SQLITE_OK;
}

static int m_file_size(sqlite3_file *h, sqlite3_int64 *size) {
    *size = ((memhandle *)h)->f->size;
    return SQLITE_OK;
}

static int m_lock(sqlite3_file *h, int level) {
    (void)h;
    (void)level;
    return SQLITE_OK;
}

static int m_check_reserved(sqlite3_file *h, int *out) {
    (void)h;
    *out = 0;
    return SQLITE_OK;
}

static int m_file_control(sqlite3_file *h, int op, void *arg) {
    (void)h;
    (void)op;
    (void)arg;
    return SQLITE_NOTFOUND;
}

static int m_sector_size(sqlite3_file *h) {
    (void)h;
    return 4096;
}

static int m_device(sqlite3_file *h) {
    (void)h;
    return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static int m_shm_map(sqlite3_file *h, int region, int size, int extend,
                     void volatile **out) {
    memfile *f = ((memhandle *)h)->f;
    *out = NULL;
    if (region < 0 || region >= MEMVFS_SHM_MAX) return SQLITE_IOERR_SHMMAP;
    if (!f->shm[region] && extend) {
        f->shm[region] = calloc(1, (size_t)size);
        if (!f->shm[region]) return SQLITE_IOERR_NOMEM;
    }
    *out = f->shm[region];
    return SQLITE_OK;
}

static int m_shm_lock(sqlite3_file *h, int offset, int n, int flags) {
    (void)h;
    (void)offset;
    (void)n;
    (void)flags;
    return SQLITE_OK;
}

static void m_shm_barrier(sqlite3_file *h) { (void)h; }

static int m_shm_unmap(sqlite3_file *h, int delete_flag) {
    memfile *f = ((memhandle *)h)->f;
    if (delete_flag)
        for (int i = 0; i < MEMVFS_SHM_MAX; i++) {
            free(f->shm[i]);
            f->shm[i] = NULL;
        }
    return SQLITE_OK;
}

static const sqlite3_io_methods methods = {
    2,           m_close,      m_read,           m_write,
    m_truncate,  m_sync,       m_file_size,      m_lock,
    m_lock,      m_check_reserved, m_file_control, m_sector_size,
    m_device,    m_shm_map,    m_shm_lock,       m_shm_barrier,
    m_shm_unmap, NULL,         NULL};

/* ---- the VFS methods --------------------------------------------------- */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *h,
                  int flags, int *out_flags) {
    (void)vfs;
    if (name && !is_ours(name))
        return mv.base->xOpen(mv.base, name, h, flags, out_flags);
    h->pMethods = NULL;
    memfile *f = name ? find(name) : NULL;
    if (!f) {
        if (name && !(flags & SQLITE_OPEN_CREATE)) return SQLITE_CANTOPEN;
        if (!(f = create(name))) return SQLITE_CANTOPEN;
    }
    f->nopen++;
    ((memhandle *)h)->f = f;
    h->pMethods = &methods;
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs;
    if (!is_ours(name)) return mv.base->xDelete(mv.base, name, sync_dir);
    memfile *f = find(name);
    if (!f) return SQLITE_IOERR_DELETE_NOENT;
    if (f->nopen) f->name[0] = '\0'; /* freed on its last close */
    else drop(f);
    return SQLITE_OK;
}

/* As the unix VFS: SQLITE_ACCESS_EXISTS is false for an empty file. */
static int v_access(sqlite3_vfs *vfs, const char *name, int what, int *out) {
    (void)vfs;
    if (!is_ours(name)) return mv.base->xAccess(mv.base, name, what, out);
    memfile *f = find(name);
    *out = f && (what != SQLITE_ACCESS_EXISTS || f->size > 0);
    return SQLITE_OK;
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
                           char *out) {
    (void)vfs;
    if (!is_ours(name)) return mv.base->xFullPathname(mv.base, name, n, out);
    if ((int)strlen(name) >= n) return SQLITE_CANTOPEN;
    strcpy(out, name);
    return SQLITE_OK;
}

/* ---- the interface ----------------------------------------------------- */

int memvfs_put(const char *path, const void *data, size_t size) {
    memvfs_clear();
    if (!mv.base) {
        mv.base = sqlite3_vfs_find(NULL);
        if (!mv.base) return -1;
        mv.vfs = *mv.base;
        mv.vfs.iVersion = 2; /* no xSetSystemCall: the base keeps those */
        mv.vfs.zName = "stalesim-fuzz-mem";
        mv.vfs.pNext = NULL;
        if (mv.vfs.szOsFile < (int)sizeof(memhandle))
            mv.vfs.szOsFile = (int)sizeof(memhandle);
        mv.vfs.xOpen = v_open;
        mv.vfs.xDelete = v_delete;
        mv.vfs.xAccess = v_access;
        mv.vfs.xFullPathname = v_full_pathname;
    }
    size_t len = strlen(path);
    if (len >= sizeof mv.prefix) return -1;
    memcpy(mv.prefix, path, len + 1);
    mv.prefix_len = len;
    memfile *f = create(path);
    if (!f || grow(f, (sqlite3_int64)size) != SQLITE_OK) return -1;
    if (size) memcpy(f->data, data, size);
    f->size = (sqlite3_int64)size;
    if (sqlite3_vfs_register(&mv.vfs, 1) != SQLITE_OK) return -1;
    mv.registered = 1;
    return 0;
}

void memvfs_clear(void) {
    if (mv.registered) {
        sqlite3_vfs_register(mv.base, 1); /* the default again */
        sqlite3_vfs_unregister(&mv.vfs);
        mv.registered = 0;
    }
    /* A file still open (a connection a reader never closed) is only
     * unnamed, and freed on its last close. */
    for (int i = 0; i < MEMVFS_FILES; i++)
        if (mv.file[i].name) {
            if (mv.file[i].nopen) mv.file[i].name[0] = '\0';
            else drop(&mv.file[i]);
        }
    mv.prefix_len = 0;
}
