/* Shell words for the command lines stalesim prints or stores: the sweep's
 * own command line (kept in SQLite) and the report's Reproduce block.
 *
 * One quoting rule, POSIX sh: a word made only of characters from
 * SHELL_PLAIN is written as it is; any other word is single-quoted, a quote
 * inside it written '\''.  Single quotes stop every expansion ($(), ``, $,
 * globs), so a pasted line runs stalesim with exactly these arguments and
 * nothing else.  A control character (newline, ESC, ...) cannot be shown
 * faithfully on one line of a document: shell_word refuses it, and the
 * caller writes a comment instead of a command. */
#ifndef STALESIM_EXPERIMENTS_SHELL_H
#define STALESIM_EXPERIMENTS_SHELL_H

#include <stddef.h>
#include <stdio.h>

#define SHELL_PLAIN                                                          \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@"

/* 1 when s contains a byte below 0x20 or 0x7f. */
int shell_has_control(const char *s);

/* Writes s as one shell word to out.  Returns 0, or -1 (nothing written)
 * when s holds a control character. */
int shell_word(FILE *out, const char *s);

/* "stalesim CMD ARG..." with every argument a shell word; malloc'd, NULL
 * when out of memory.  Control characters are kept inside the quotes (the
 * line is stored, not printed; shell_line_is_safe tells). */
char *shell_command_line(const char *cmd, int argc, char **argv);

/* 1 when line is a sequence of words each plain or single-quoted by the
 * rule above, without control characters: what shell_command_line writes
 * for ordinary arguments.  A line read back from a results database is
 * printed as a command only when this holds. */
int shell_line_is_safe(const char *line);

#endif
