/* Reading a scenario: files and strings through inih, and --set overrides.
 * The key table is in scenario_keys.c, converting and storing a value in
 * scenario_apply.c, key families in scenario_family.c, the whole
 * scenario's checks in scenario_validate.c.
 *
 * inih hands us (section, key, value) triples but, as packaged by Debian, not
 * line numbers; we feed it through ini_parse_stream with our own line reader,
 * which counts lines, so every message can name FILE:LINE.  The reader also
 * refuses lines longer than inih's buffer instead of letting them be split.
 *
 * A value may end with an inline comment introduced by " ;" (inih) or " #"
 * (stripped here).  Each key may be given once per file. */
#include "models/scenario.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "models/scenario_internal.h"
#include "models/scenario_values.h"
#include "sim/fileio.h"

#define LINE_MAX_BYTES 200 /* inih's INI_MAX_LINE as packaged */

/* [path.NAME] write paths are simulated (per-path causes and counts). */
#define PATHS_BUILT 1

/* Sections of DESIGN.md that this build does not simulate yet. */
static int reserved_section(const char *section) {
    return !PATHS_BUILT && strncmp(section, "path.", 5) == 0;
}

static int family_section(const char *section) {
    return strncmp(section, "family.", 7) == 0;
}

static int path_section(const char *section) {
    return PATHS_BUILT && strncmp(section, "path.", 5) == 0;
}

typedef struct parse_state {
    scenario *sc;
    const char *name; /* file name for messages */
    int line;         /* line most recently handed to inih */
    int seen[SCENARIO_MAX_KEYS]; /* line where each key was given, 0 if not */
    char *err;
    size_t errlen;
    int failed;       /* 1 once err holds a message */
    int failed_line;  /* the line that message is about */
    /* source: a FILE or a string */
    FILE *file;
    const char *text;
} parse_state;

static char *read_line(char *buf, int size, void *stream) {
    parse_state *ps = stream;
    char *got = NULL;
    int nul = 0; /* a NUL byte inside this line */
    if (ps->file) {
        /* fgets cannot tell a NUL byte from the end of the line: read the
         * bytes one by one. */
        int c = EOF, n = 0;
        while (n < size - 1 && (c = getc(ps->file)) != EOF) {
            if (c == '\0') nul = 1;
            buf[n++] = (char)c;
            if (c == '\n') break;
        }
        buf[n] = '\0';
        got = n > 0 ? buf : NULL;
    } else if (ps->text && *ps->text) {
        const char *nl = strchr(ps->text, '\n');
        size_t n = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
        if (n > (size_t)size - 1) n = (size_t)size - 1;
        memcpy(buf, ps->text, n);
        buf[n] = '\0';
        ps->text += n;
        got = buf;
    }
    if (!got) return NULL;
    ps->line++;
    if (nul && !ps->failed) {
        scenario_err(ps->err, ps->errlen, "%s:%d: a NUL byte in the line "
                     "(a scenario is text)", ps->name, ps->line);
        ps->failed = 1;
        ps->failed_line = ps->line;
    }
    size_t len = strlen(buf);
    int at_end;
    if (ps->file) {
        /* feof is not yet set when the last line exactly fills buf. */
        int c = getc(ps->file);
        at_end = c == EOF;
        if (c != EOF) ungetc(c, ps->file);
    } else {
        at_end = !*ps->text;
    }
    if (len == (size_t)size - 1 && buf[len - 1] != '\n' && !at_end &&
        !ps->failed) {
        scenario_err(ps->err, ps->errlen, "%s:%d: line longer than %d characters",
                ps->name, ps->line, size - 3);
        ps->failed = 1;
        ps->failed_line = ps->line;
        /* Skip the rest of the physical line. */
        if (ps->file) {
            int c;
            while ((c = fgetc(ps->file)) != EOF && c != '\n') {}
        } else {
            const char *nl = strchr(ps->text, '\n');
            ps->text = nl ? nl + 1 : ps->text + strlen(ps->text);
        }
        buf[0] = '\0';
    }
    /* Indentation means nothing in a scenario: drop it, or inih would take an
     * indented "key = value" for a continuation of the previous value. */
    size_t lead = strspn(buf, " \t");
    if (lead) memmove(buf, buf + lead, strlen(buf + lead) + 1);
    /* inih reports keys, not section headers: check the headers here, so a
     * misspelled section with nothing under it is still refused. */
    char *close = buf[0] == '[' ? strchr(buf, ']') : NULL;
    if (close && !ps->failed) {
        char name[LINE_MAX_BYTES];
        size_t n = (size_t)(close - buf - 1);
        memcpy(name, buf + 1, n);
        name[n] = '\0';
        if (reserved_section(name)) {
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: section [%s] is not simulated by this build yet",
                    ps->name, ps->line, name);
            ps->failed = 1;
            ps->failed_line = ps->line;
        } else if (family_section(name)) {
            char why[256];
            if (scenario_family_declare(ps->sc, name + 7, ps->line, why, sizeof why) ==
                NULL) {
                scenario_err(ps->err, ps->errlen, "%s:%d: [%s]: %s", ps->name,
                        ps->line, name, why);
                ps->failed = 1;
                ps->failed_line = ps->line;
            }
        } else if (!scenario_section_known(name) && !path_section(name)) {
            scenario_err(ps->err, ps->errlen, "%s:%d: unknown section [%s]",
                    ps->name, ps->line, name);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
    }
    return got;
}

/* Removes an inline " #..." comment and trailing blanks (inih already took
 * " ;" comments and surrounding blanks). */
static void strip_hash_comment(char *v) {
    for (char *p = v; *p; p++)
        if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1])) v[--n] = '\0';
}

static int on_pair(void *user, const char *section, const char *name,
                   const char *value) {
    parse_state *ps = user;
    if (ps->failed) return 1;
    ps->failed_line = ps->line; /* used only once failed is set */
    char v[LINE_MAX_BYTES + 8];
    snprintf(v, sizeof v, "%s", value);
    strip_hash_comment(v);

    if (!*section) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: key '%s' appears before any [section]", ps->name,
                ps->line, name);
        ps->failed = 1;
        return 1;
    }
    if (path_section(section)) {
        char why[256];
        if (scenario_apply_path(ps->sc, section + 5, name, v, ps->line, why,
                       sizeof why) != 0) {
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name,
                    ps->line, name, why);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
        return 1;
    }
    if (family_section(section)) {
        char why[320];
        if (scenario_apply_family(ps->sc, section + 7, name, v, ps->line, why,
                         sizeof why) != 0) {
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name,
                    ps->line, name, why);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
        return 1;
    }
    int i = scenario_key_find(section, name);
    if (i < 0) {
        if (reserved_section(section))
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: key '%s': section [%s] is not simulated by this "
                    "build yet",
                    ps->name, ps->line, name, section);
        else if (!scenario_section_known(section))
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': unknown section [%s]",
                    ps->name, ps->line, name, section);
        else
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: key '%s': unknown key in [%s] (`stalesim keys` "
                    "lists them)",
                    ps->name, ps->line, name, section);
        ps->failed = 1;
        return 1;
    }
    if (ps->seen[i]) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: key '%s': given twice in [%s] (first at line %d)",
                ps->name, ps->line, name, section, ps->seen[i]);
        ps->failed = 1;
        return 1;
    }
    ps->seen[i] = ps->line;
    char why[256];
    if (scenario_apply_value(ps->sc, (size_t)i, v, why, sizeof why) != 0) {
        scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name, ps->line,
                name, why);
        ps->failed = 1;
        return 1;
    }
    if (scenario_remember(ps->sc, (size_t)i, v, ps->line) != 0) {
        scenario_err(ps->err, ps->errlen, "out of memory");
        ps->failed = 1;
    }
    return 1;
}

static int run_parse(parse_state *ps) {
    int rc = ini_parse_stream(read_line, ps, on_pair, ps);
    /* inih goes on after a malformed line and returns the first one; report
     * whichever error comes first in the file. */
    if (ps->failed && !(rc > 0 && rc < ps->failed_line)) return -1;
    if (rc > 0) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: malformed line (expected 'key = value' or "
                "'[section]')",
                ps->name, rc);
        return -1;
    }
    if (rc < 0) {
        scenario_err(ps->err, ps->errlen, "%s: cannot be parsed (out of memory)",
                ps->name);
        return -1;
    }
    return 0;
}

static int set_basedir(scenario *sc, const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) {
        dir = scenario_strdup(".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1; /* "/x.ini" -> "/" */
        dir = malloc(n + 1);
        if (dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    char *p = scenario_strdup(path);
    if (!dir || !p) {
        free(dir);
        free(p);
        return -1;
    }
    free(sc->basedir);
    free(sc->path);
    sc->basedir = dir;
    sc->path = p;
    return 0;
}

int scenario_load(scenario *sc, const char *path, char *err, size_t errlen) {
    char why[128];
    FILE *f = sim_file_open_regular(path, why, sizeof why);
    if (!f) {
        scenario_err(err, errlen, "%s: cannot open: %s", path,
                     why);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > SCENARIO_FILE_MAX) {
        scenario_err(err, errlen, "%s: %lld bytes; a scenario file may have "
                     "at most %d", path, (long long)st.st_size,
                     SCENARIO_FILE_MAX);
        fclose(f);
        return -1;
    }
    if (set_basedir(sc, path) != 0) {
        fclose(f);
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    parse_state ps = {.sc = sc, .name = path, .err = err, .errlen = errlen,
                      .file = f};
    int rc = run_parse(&ps);
    if (rc == 0 && ferror(f)) {
        scenario_err(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int scenario_load_string(scenario *sc, const char *name, const char *text,
                         char *err, size_t errlen) {
    char *p = scenario_strdup(name);
    if (!p) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    free(sc->path);
    sc->path = p; /* validate's messages name it too */
    parse_state ps = {.sc = sc, .name = name, .err = err, .errlen = errlen,
                      .text = text};
    return run_parse(&ps);
}

int scenario_set(scenario *sc, const char *assignment, char *err,
                 size_t errlen) {
    const char *eq = strchr(assignment, '=');
    if (eq && strncmp(assignment, "family.", 7) == 0) {
        /* family.NAME.KEY=VALUE, where KEY may itself be section.key: the
         * family's name ends at the first dot after "family.". */
        const char *fname = assignment + 7;
        const char *dot = memchr(fname, '.', (size_t)(eq - fname));
        char fam[64], name[64], value[LINE_MAX_BYTES];
        size_t lf = dot ? (size_t)(dot - fname) : 0;
        size_t ln = dot ? (size_t)(eq - dot - 1) : 0;
        if (!dot || lf == 0 || lf >= sizeof fam || ln == 0 ||
            ln >= sizeof name) {
            scenario_err(err, errlen,
                    "--set '%s': expected family.NAME.KEY=VALUE, e.g. "
                    "family.display.cache.ttl=60s",
                    assignment);
            return -1;
        }
        memcpy(fam, fname, lf);
        fam[lf] = '\0';
        memcpy(name, dot + 1, ln);
        name[ln] = '\0';
        snprintf(value, sizeof value, "%s", eq + 1);
        char why[320];
        if (scenario_apply_family(sc, fam, name, value, -1, why, sizeof why) != 0) {
            scenario_err(err, errlen, "--set 'family.%s.%s': %s", fam, name, why);
            return -1;
        }
        return 0;
    }
    const char *dot = NULL;
    for (const char *p = assignment; eq && p < eq; p++)
        if (*p == '.') dot = p;
    if (!eq || !dot) {
        scenario_err(err, errlen,
                "--set '%s': expected section.key=value, e.g. cache.ttl=60s",
                assignment);
        return -1;
    }
    char section[64], name[64], value[LINE_MAX_BYTES];
    size_t ls = (size_t)(dot - assignment), ln = (size_t)(eq - dot - 1);
    if (ls == 0 || ls >= sizeof section || ln == 0 || ln >= sizeof name) {
        scenario_err(err, errlen, "--set '%s': expected section.key=value",
                assignment);
        return -1;
    }
    memcpy(section, assignment, ls);
    section[ls] = '\0';
    memcpy(name, dot + 1, ln);
    name[ln] = '\0';
    snprintf(value, sizeof value, "%s", eq + 1);
    if (path_section(section)) {
        char why[256];
        if (scenario_apply_path(sc, section + 5, name, value, -1, why, sizeof why) != 0) {
            scenario_err(err, errlen, "--set '%s.%s': %s", section, name, why);
            return -1;
        }
        return 0;
    }
    int i = scenario_key_find(section, name);
    if (i < 0) {
        scenario_err(err, errlen, "--set '%s.%s': %s", section, name,
                reserved_section(section)
                    ? "not simulated by this build yet"
                : scenario_section_known(section) ? "unknown key"
                                         : "unknown section");
        return -1;
    }
    char why[256];
    if (scenario_apply_value(sc, (size_t)i, value, why, sizeof why) != 0) {
        scenario_err(err, errlen, "--set '%s.%s': %s", section, name, why);
        return -1;
    }
    if (scenario_remember(sc, (size_t)i, value, -1) != 0) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void scenario_key_where(const scenario *sc, const char *section,
                        const char *name, char *buf, size_t len) {
    int i = scenario_key_find(section, name);
    int line = i >= 0 ? sc->line[i] : 0;
    if (line > 0)
        snprintf(buf, len, "%s:%d: key '%s'", sc->path, line, name);
    else if (line < 0)
        snprintf(buf, len, "--set '%s.%s'", section, name);
    else
        snprintf(buf, len, "%s: key '%s' (default)", sc->path, name);
}
