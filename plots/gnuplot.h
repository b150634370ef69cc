/* A small gnuplot driver: one plot per gnuplot process, driven through a pipe.
 *
 * gp_open starts `gnuplot` with popen(3) (its stderr goes to a temporary
 * file), selects the terminal from the target, and returns a handle; the
 * caller writes commands with gp_printf and inline data as datablocks
 * ($name << EOD ... EOD, gp_block_begin / gp_block_end), so no temporary data
 * file exists.  gp_close ends the script, waits for gnuplot and checks its exit
 * status.
 *
 * Failure rules, so that a broken plot is never mistaken for a good one:
 *   - gnuplot missing from PATH is found before anything starts (GP_ERUNTIME,
 *     "gnuplot not found on PATH ...");
 *   - every write to the pipe is checked; the first failure is sticky and
 *     reported by gp_close, with gnuplot's first error line when it has one;
 *   - a nonzero exit status of gnuplot is an error, with the first line of
 *     its stderr that says what went wrong;
 *   - a file target is written to a temporary file beside it (same directory,
 *     so the rename is atomic) and renamed only when gnuplot succeeded and the
 *     file is not empty; on any failure the temporary file is removed and an
 *     existing target is left as it was;
 *   - SIGPIPE is ignored while the pipe is open (a gnuplot that dies early
 *     makes writes fail with EPIPE instead of killing us) and the previous
 *     disposition is restored by gp_close / gp_abort.
 * gnuplot reads its script from the pipe and exits at end of input, so
 * closing the pipe always ends it: nothing here can wait forever on it.
 *
 * Terminals: .png pngcairo, .svg svg, .pdf pdfcairo (refused with a clear
 * message when this gnuplot lacks it), and dumb (text on stdout).  All are
 * set `noenhanced`, so names like stale_read_fraction print as written.
 *
 * Not thread-safe (signal disposition is per process). */
#ifndef STALESIM_PLOTS_GNUPLOT_H
#define STALESIM_PLOTS_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

enum gp_status {
    GP_OK = 0,
    GP_EUSAGE = -1,  /* bad target: unknown extension, bad size, no -o */
    GP_ERUNTIME = -2 /* gnuplot missing or failing, I/O, memory */
};

typedef enum gp_format { GP_PNG, GP_SVG, GP_PDF, GP_DUMB } gp_format;

#define GP_DEFAULT_WIDTH 900  /* px (png, svg); pdf: px / 100 inches */
#define GP_DEFAULT_HEIGHT 600
#define GP_DUMB_WIDTH 100     /* characters, when stdout is not a terminal */
#define GP_DUMB_HEIGHT 32

/* Where and how to draw.  Read-only after gp_target_parse. */
typedef struct gp_target {
    gp_format format;
    const char *path; /* file to write; NULL for dumb (stdout) */
    int width, height; /* px for png/svg/pdf, characters for dumb */
} gp_target;

/* Chooses the terminal from `output` (the -o argument; NULL when absent):
 * by extension (.png .svg .pdf, case-insensitive), "-" for the dumb terminal
 * on stdout, and no -o for dumb when stdout_is_tty (an error otherwise: a
 * picture would go to a pipe or file as text).  `size` is "WxH" or NULL for
 * the default (dumb: the terminal's width when it is one).  Returns GP_OK or
 * GP_EUSAGE with a message naming the option. */
int gp_target_parse(gp_target *t, const char *output, const char *size,
                    int stdout_is_tty, char *err, size_t errlen);

/* The extension list for messages: ".png, .svg or .pdf". */
const char *gp_extensions(void);

/* Searches PATH for an executable `name`; 1 if found (full path copied to
 * found when it is not NULL). */
int gp_find_program(const char *name, char *found, size_t foundlen);

typedef struct gp gp;

/* Starts gnuplot for target t (t->path must stay valid until gp_close) and
 * sends the terminal and output settings.  Returns GP_OK or GP_ERUNTIME with
 * a message; *out is NULL on failure. */
int gp_open(gp **out, const gp_target *t, char *err, size_t errlen);

/* 1 when drawing with the dumb (text) terminal. */
int gp_is_text(const gp *g);

/* The target g draws to (its size, for layout). */
const gp_target *gp_target_of(const gp *g);

/* Sends formatted text.  Returns 0, or -1 after the first failed write (the
 * error is kept and reported by gp_close; later calls do nothing). */
int gp_printf(gp *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Every string from outside (file, family and point names, --vary values,
 * anything read from a results database) reaches gnuplot only through these
 * three, which make it inert by construction: no backquote, macro or
 * system() can run from it and no line break can end a command.
 *
 * gp_quote: a gnuplot string expression of single-quoted pieces (gnuplot
 * does no substitution inside single quotes); a quote in the text is
 * joined in as "'" ('it'."'".'s'), control characters become spaces, cut
 * to fit len.  For titles, labels, tics, key entries and the output file.
 * gp_quote_lines: the two-line expression 'FIRST'."\n".'SECOND' (and a
 * third, empty line when blank_third), for set title.
 * gp_datum: a double-quoted field for a datablock row (data rows are never
 * substituted; " becomes ', control characters spaces).
 * Each returns buf. */
char *gp_quote(char *buf, size_t len, const char *text);
char *gp_quote_lines(char *buf, size_t len, const char *first,
                     const char *second, int blank_third);
char *gp_datum(char *buf, size_t len, const char *text);

/* The guard gp_printf runs over everything it sends (see gnuplot.c): a
 * script that would execute anything is refused, and gp_close reports
 * "refused ...".  Exposed for its tests.  Zero-initialise before use. */
typedef struct gp_guard {
    int quote;      /* 0, '\'' or '"': the string we are inside */
    int escape;     /* a backslash was just seen inside "..." */
    int in_block;   /* inside a datablock */
    int block_end;  /* gp_block_end is writing the terminator */
    size_t col;     /* characters so far on this datablock row */
    char line[4];   /* the row's first characters */
    char word[8];   /* the identifier being read outside strings */
    size_t wlen;
} gp_guard;

/* Feeds n bytes; 0, or -1 with why filled in at the first unsafe byte. */
int gp_guard_feed(gp_guard *s, const char *text, size_t n, char *why,
                  size_t whylen);

/* Datablock $name: gp_block_begin, rows with gp_printf, gp_block_end. */
int gp_block_begin(gp *g, const char *name);
int gp_block_end(gp *g);

/* Ends the script, waits for gnuplot, checks the exit status and moves the
 * output into place.  Frees g (NULL: returns GP_OK).  Returns GP_OK or
 * GP_ERUNTIME with a message. */
int gp_close(gp *g, char *err, size_t errlen);

/* gp_close, except that a whole file stays under its temporary name and
 * joins `set` (sim/fileio.h), whose commit renames it together with the
 * other files of one output (a report's plots and document).  On failure
 * nothing is added and the temporary file is removed. */
struct sim_outset;
int gp_close_staged(gp *g, struct sim_outset *set, char *err, size_t errlen);

/* Stops without producing anything (the temporary file is removed).  Frees
 * g; NULL does nothing. */
void gp_abort(gp *g);

#endif
