/* Files from outside and files we write: the few rules every reader and
 * writer of stalesim shares (docs/hardening.md).
 *
 * Input files (scenarios, traces, empirical distributions, histories) are
 * opened only if they are regular files: a FIFO, a device or a directory is
 * refused at once instead of blocking forever or reading without end.  Their
 * lines are read with a length cap, so a file without newlines cannot grow a
 * line buffer until memory runs out.
 *
 * Output files are written to a temporary name in the same directory and
 * renamed over the destination only once complete, so a full disk or a
 * failing writer leaves the old file (or nothing), never a truncated one. */
#ifndef STALESIM_SIM_FILEIO_H
#define STALESIM_SIM_FILEIO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Opens `path` for reading if it is a regular file.  A FIFO is opened
 * without blocking and refused, like devices, directories and sockets.
 * Returns the stream, or NULL with the reason (without the path), e.g.
 * "is a FIFO, not a regular file" or "No such file or directory", in why. */
FILE *sim_file_open_regular(const char *path, char *why, size_t whylen);

/* 0 if `path` is a regular file (following symlinks), else -1 with the
 * reason in why (for files other libraries open, such as SQLite); errno is
 * then stat's error, or 0 when the file exists but is not regular. */
int sim_file_check_regular(const char *path, char *why, size_t whylen);

/* Reads one line of at most `max` bytes (the newline excluded; the newline
 * is not stored) into *buf, growing it as getline does.  Returns the
 * line's length (NUL bytes inside count and are kept), -1 at the end of the
 * file, -2 if the line is longer than max (the stream is then left inside
 * that line), -3 on a read error or ENOMEM (errno set). */
ssize_t sim_file_getline(char **buf, size_t *cap, FILE *f, size_t max);

/* An output file being written under a temporary name. */
typedef struct sim_outfile {
    char *path; /* destination (malloc'd) */
    char *tmp;  /* temporary name beside it (malloc'd) */
    FILE *f;    /* open on tmp for writing */
} sim_outfile;

/* Creates a temporary file beside `path` (same directory, so the final
 * rename is atomic) and opens it for writing, mode 0644 less the umask.
 * Returns 0, or -1 with the reason in why (then nothing exists). */
int sim_outfile_open(sim_outfile *o, const char *path, char *why,
                     size_t whylen);

/* Flushes, checks for any write error, closes and renames the temporary
 * file over the destination.  Returns 0, or -1 with the reason in why after
 * removing the temporary file (the destination is then untouched).  In
 * both cases o is finalised. */
int sim_outfile_commit(sim_outfile *o, char *why, size_t whylen);

/* Closes and removes the temporary file; the destination is untouched.
 * Does nothing on a finalised or zeroed sim_outfile. */
void sim_outfile_abort(sim_outfile *o);

/* Like sim_outfile_commit, but the complete file stays under its temporary
 * name, handed to the caller in *tmp (malloc'd) for a sim_outset.  Returns
 * 0, or -1 with the reason after removing the temporary file.  In both
 * cases o is finalised. */
int sim_outfile_finish(sim_outfile *o, char **tmp, char *why, size_t whylen);

/* Several output files that appear together or not at all (a report and
 * its plots).  Each is written whole under its temporary name beside its
 * destination and then handed to the set; nothing is renamed until
 * sim_outset_commit, after the last one is complete, so a failure while
 * writing any of them (a full disk, a file size limit, a failing gnuplot)
 * leaves every destination as it was.  Zero-initialise, or
 * sim_outset_init. */
typedef struct sim_outset {
    char **path; /* destinations (malloc'd), in the order added */
    char **tmp;  /* their complete temporaries beside them (malloc'd) */
    size_t n, cap;
} sim_outset;

void sim_outset_init(sim_outset *s);

/* Takes the complete temporary file `tmp` (malloc'd, beside `path`) into
 * the set, which now owns it.  Returns 0, or -1 (out of memory) after
 * removing and freeing tmp. */
int sim_outset_adopt(sim_outset *s, const char *path, char *tmp, char *why,
                     size_t whylen);

/* Writes data[0..len-1] to a temporary file beside `path` and adopts it.
 * Returns 0, or -1 with the reason (without the path); nothing is left. */
int sim_outset_write(sim_outset *s, const char *path, const void *data,
                     size_t len, char *why, size_t whylen);

/* Renames every temporary over its destination, in the order added, after
 * checking that none of the destinations has become a directory or other
 * non-regular file.  Returns 0, or -1 with the reason and the destination
 * in why: then the temporaries not yet renamed are removed.  A rename
 * within one directory writes no file data, so a full disk or a size limit
 * cannot stop it; only a destination changed under us can.  In both cases
 * the set is emptied (and may be reused). */
int sim_outset_commit(sim_outset *s, char *why, size_t whylen);

/* Removes every temporary file; the destinations are untouched.  The set
 * is emptied. */
void sim_outset_abort(sim_outset *s);

/* A temporary path beside `path` for writers that do not use a FILE (a
 * child process such as gnuplot): "DIR/.NAME.tmp-XXXXXX", created empty
 * with mkstemp.  A path holding a control character (a newline, ESC, ...)
 * is refused: it could split a line of a script or a log that names it.
 * Returns the malloc'd name or NULL with the reason. */
char *sim_file_temp_beside(const char *path, char *why, size_t whylen);

/* Writes data[0..len-1] to `path` all or nothing (sim_outfile).  Returns 0,
 * or -1 with the reason (without the path) in why; the destination is then
 * untouched. */
int sim_file_write_atomic(const char *path, const void *data, size_t len,
                          char *why, size_t whylen);

#endif
