/* Shell words: see shell.h for the rule. */
#include "experiments/shell.h"

#include <stdlib.h>
#include <string.h>

int shell_has_control(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 1;
    return 0;
}

static int plain(const char *s) {
    return *s && strspn(s, SHELL_PLAIN) == strlen(s);
}

/* Appends the word to p (room for 4 * strlen(s) + 3 bytes); returns the
 * new end. */
static char *put_word(char *p, const char *s) {
    if (plain(s)) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    return p;
}

int shell_word(FILE *out, const char *s) {
    if (shell_has_control(s)) return -1;
    char small[512], *buf = small;
    size_t need = 4 * strlen(s) + 3;
    if (need > sizeof small && !(buf = malloc(need))) return -1;
    char *end = put_word(buf, s);
    fwrite(buf, 1, (size_t)(end - buf), out);
    if (buf != small) free(buf);
    return 0;
}

char *shell_command_line(const char *cmd, int argc, char **argv) {
    size_t len = strlen("stalesim ") + strlen(cmd) + 1;
    for (int i = 0; i < argc; i++) len += 4 * strlen(argv[i]) + 4;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "stalesim %s", cmd);
    for (int i = 0; i < argc; i++) {
        *p++ = ' ';
        p = put_word(p, argv[i]);
    }
    *p = '\0';
    return s;
}

int shell_line_is_safe(const char *line) {
    if (shell_has_control(line)) return 0;
    const char *p = line;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        /* One word: runs of plain characters and '...' or \' pieces. */
        while (*p && *p != ' ') {
            if (strchr(SHELL_PLAIN, *p)) {
                p++;
            } else if (*p == '\'') {
                const char *close = strchr(p + 1, '\'');
                if (!close) return 0;
                p = close + 1;
            } else if (p[0] == '\\' && p[1] == '\'') {
                p += 2;
            } else {
                return 0;
            }
        }
    }
    return 1;
}
