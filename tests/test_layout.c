/* Suite "layout": the structure of the source tree, read from the files
 * themselves so that it cannot drift back.
 *
 *   - the include graph: sim/ includes nothing outside sim/; models/ nothing
 *     from experiments/, plots/ or emulate/; plots/ only sim/ and plots/
 *     (plots draw what experiments/ prepares);
 *   - the results schema is known in experiments/results*.c only: no other
 *     source names one of its tables in SQL (FROM, JOIN, INTO, UPDATE);
 *   - sizes (sim/ models/ experiments/ plots/ emulate/ tests/): no source
 *     file over 1,000 lines and no function over 120 lines (from the line
 *     of its name to its closing brace), unless the comment right above it
 *     marks it a documented protocol switch.
 *
 * The suite runs from the repository root (as `make test` does). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testing.h"

#define MAX_FILES 512
#define MAX_TABLES 64

static const char *const dirs[] = {"sim", "models", "plots", "experiments",
                                   "emulate"};
#define NDIRS (sizeof dirs / sizeof dirs[0])

typedef struct source {
    char path[300]; /* "plots/kinds.c" */
    char dir[32];   /* "plots" */
    char *text;
} source;

static source files[MAX_FILES];
static size_t nfiles;

static int is_source(const char *name) {
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' &&
           (name[n - 1] == 'c' || name[n - 1] == 'h');
}

static int load_tree(void) {
    for (size_t d = 0; d < NDIRS; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir) return -1;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (!is_source(e->d_name) || nfiles == MAX_FILES) continue;
            source *s = &files[nfiles];
            snprintf(s->path, sizeof s->path, "%s/%s", dirs[d], e->d_name);
            snprintf(s->dir, sizeof s->dir, "%s", dirs[d]);
            s->text = testing_slurp(s->path);
            if (s->text) nfiles++;
        }
        closedir(dir);
    }
    return 0;
}

static int init(void) { return load_tree(); }

static int clean(void) {
    for (size_t i = 0; i < nfiles; i++) free(files[i].text);
    nfiles = 0;
    return 0;
}

/* May a file in `dir` include a project header from `to`? */
static int allowed(const char *dir, const char *to) {
    if (strcmp(dir, "sim") == 0) return strcmp(to, "sim") == 0;
    if (strcmp(dir, "plots") == 0)
        return strcmp(to, "sim") == 0 || strcmp(to, "plots") == 0;
    if (strcmp(dir, "models") == 0)
        return strcmp(to, "sim") == 0 || strcmp(to, "models") == 0;
    return 1;
}

static void test_include_graph(void) {
    EXPECT(nfiles > 100, "%zu source files read from the tree", nfiles);
    size_t nincludes = 0;
    for (size_t i = 0; i < nfiles; i++) {
        const char *p = files[i].text;
        while ((p = strstr(p, "#include \"")) != NULL) {
            p += strlen("#include \"");
            char to[64];
            size_t n = strcspn(p, "/\"\n");
            if (n >= sizeof to || p[n] != '/') continue;
            memcpy(to, p, n);
            to[n] = '\0';
            nincludes++;
            if (!allowed(files[i].dir, to)) {
                char header[128];
                size_t h = strcspn(p, "\"\n");
                snprintf(header, sizeof header, "%.*s", (int)h, p);
                EXPECT(allowed(files[i].dir, to), "%.200s includes %.100s",
                       files[i].path, header);
            }
        }
    }
    EXPECT(nincludes > 300, "%zu project includes found", nincludes);
    /* The rule itself: a plots/ file including models/ is refused. */
    EXPECT(!allowed("plots", "models") && !allowed("plots", "experiments") &&
               !allowed("sim", "models") && !allowed("models", "plots") &&
               allowed("experiments", "plots"),
           "the include rules");
}

static int is_results_file(const char *path) {
    return strncmp(path, "experiments/results", 19) == 0;
}

/* The tables the results store creates ("CREATE TABLE [IF NOT EXISTS] x"). */
static size_t schema_tables(char table[][48], size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < nfiles; i++) {
        if (!is_results_file(files[i].path)) continue;
        const char *p = files[i].text;
        while ((p = strstr(p, "CREATE TABLE ")) != NULL) {
            p += strlen("CREATE TABLE ");
            if (strncmp(p, "IF NOT EXISTS ", 14) == 0) p += 14;
            size_t len = 0;
            while (isalnum((unsigned char)p[len]) || p[len] == '_') len++;
            if (len == 0 || len >= 48 || n == cap) continue;
            memcpy(table[n], p, len);
            table[n][len] = '\0';
            int seen = 0;
            for (size_t t = 0; t < n; t++)
                if (strcmp(table[t], table[n]) == 0) seen = 1;
            if (!seen) n++;
        }
    }
    return n;
}

/* 1 if text names table after an SQL keyword: "FROM runs", "JOIN runs r". */
static int names_table(const char *text, const char *table) {
    static const char *const kw[] = {"FROM ", "JOIN ", "INTO ", "UPDATE "};
    for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++) {
        const char *p = text;
        while ((p = strstr(p, kw[k])) != NULL) {
            p += strlen(kw[k]);
            size_t n = strlen(table);
            if (strncmp(p, table, n) == 0 &&
                !(isalnum((unsigned char)p[n]) || p[n] == '_'))
                return 1;
        }
    }
    return 0;
}

/* text with adjacent string literals joined ("FROM "\n  "runs" reads
 * "FROM runs"); malloc'd. */
static char *join_literals(const char *text) {
    char *out = malloc(strlen(text) + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = text; *p;) {
        if (*p == '"') {
            const char *q = p + 1;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') q++;
            if (*q == '"' && q > p + 1) {
                p = q + 1;
                continue;
            }
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}

static void test_schema_in_one_module(void) {
    char table[MAX_TABLES][48];
    size_t n = schema_tables(table, MAX_TABLES);
    EXPECT(n >= 10, "%zu tables found in experiments/results*.c", n);
    int has_runs = 0;
    for (size_t t = 0; t < n; t++) has_runs |= strcmp(table[t], "runs") == 0;
    EXPECT(has_runs, "the table runs is among them");
    for (size_t i = 0; i < nfiles; i++) {
        if (is_results_file(files[i].path)) continue;
        char *text = join_literals(files[i].text);
        EXPECT(text != NULL, "memory");
        for (size_t t = 0; text && t < n; t++)
            if (names_table(text, table[t]))
                EXPECT(0, "%.200s names table %.47s of the results schema",
                       files[i].path, table[t]);
        free(text);
    }
    char *joined = join_literals("x(\"SELECT a FROM \"\n   \"runs WHERE\")");
    EXPECT(joined && names_table(joined, "runs"), "literals joined: %s",
           joined ? joined : "(null)");
    free(joined);
    EXPECT(names_table("SELECT x FROM points WHERE", "points") &&
               !names_table("SELECT x FROM points_of WHERE", "points"),
           "the SQL matcher");
}

/* ---- sizes: no source file over 1,000 lines, no function over 120 --------- */

#define MAX_FILE_LINES 1000
#define MAX_FUNCTION_LINES 120
/* The mark that lets a function be longer: a comment right above it saying
 * it is a documented protocol switch (one case per message of a protocol,
 * read best as one table). */
#define PROTOCOL_SWITCH_MARK "documented protocol switch"

static const char *const size_dirs[] = {"sim",     "models", "experiments",
                                        "plots",   "emulate", "tests",
                                        "tests/fuzz"};

static size_t count_lines(const char *text) {
    size_t n = 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    return n + (text[0] && text[strlen(text) - 1] != '\n');
}

/* text with comments, the insides of string and character literals and
 * preprocessor lines (with their continuations) made blank; newlines kept,
 * so offsets and line numbers are those of text.  malloc'd. */
static char *code_only(const char *text) {
    size_t n = strlen(text);
    char *c = malloc(n + 1);
    if (!c) return NULL;
    memcpy(c, text, n + 1);
    int bol = 1; /* at the start of a line, but for blanks */
    for (size_t i = 0; i < n;) {
        if (c[i] == '\n') {
            bol = 1;
            i++;
        } else if (bol && c[i] == '#') { /* a directive, to its last line */
            while (i < n && c[i] != '\n') {
                if (c[i] == '\\' && c[i + 1] == '\n') {
                    c[i] = ' ';
                    i += 2;
                    continue;
                }
                if (c[i] == '/' && c[i + 1] == '*') break; /* a comment */
                c[i++] = ' ';
            }
        } else if (c[i] == '/' && c[i + 1] == '*') {
            for (c[i] = c[i + 1] = ' ', i += 2;
                 i < n && !(c[i] == '*' && c[i + 1] == '/'); i++)
                if (c[i] != '\n') c[i] = ' ';
            if (i < n) c[i] = c[i + 1] = ' ', i += 2;
        } else if (c[i] == '/' && c[i + 1] == '/') {
            while (i < n && c[i] != '\n') c[i++] = ' ';
        } else if (c[i] == '"' || c[i] == '\'') {
            char q = c[i++];
            bol = 0;
            while (i < n && c[i] != q && c[i] != '\n') {
                if (c[i] == '\\' && i + 1 < n) c[i++] = ' ';
                c[i++] = ' ';
            }
            i++;
        } else {
            if (c[i] != ' ' && c[i] != '\t') bol = 0;
            i++;
        }
    }
    return c;
}

/* 1 if the comment ending right above offset `at` (the start of a line in
 * text) holds the protocol-switch mark. */
static int marked_protocol_switch(const char *text, size_t at) {
    size_t e = at;
    while (e > 0 && isspace((unsigned char)text[e - 1])) e--;
    if (e < 2 || text[e - 1] != '/' || text[e - 2] != '*') return 0;
    size_t b = e - 2;
    while (b > 0 && !(text[b - 1] == '/' && text[b] == '*')) b--;
    size_t len = e - b, mlen = strlen(PROTOCOL_SWITCH_MARK);
    for (size_t i = b; i + mlen <= b + len; i++)
        if (strncmp(text + i, PROTOCOL_SWITCH_MARK, mlen) == 0) return 1;
    return 0;
}

typedef struct function_span {
    char name[64];
    size_t first, last; /* lines, 1-based: the name's, the closing brace's */
    size_t line_start;  /* offset of the first line in the text */
} function_span;

/* Calls found(fn, arg) for every function definition of text: a top-level
 * '{' after a ')'.  Returns -1 when out of memory. */
static int each_function(const char *text,
                         void (*found)(const function_span *, void *),
                         void *arg) {
    char *c = code_only(text);
    if (!c) return -1;
    size_t line = 1, depth = 0;
    function_span fn;
    int in_function = 0;
    for (size_t i = 0; c[i]; i++) {
        if (c[i] == '\n') {
            line++;
        } else if (c[i] == '{') {
            if (depth++ != 0) continue;
            size_t k = i;
            while (k > 0 && isspace((unsigned char)c[k - 1])) k--;
            in_function = k > 0 && c[k - 1] == ')';
            if (!in_function) continue;
            size_t m = k - 1, d = 0; /* back to the '(' of the parameters */
            for (;; m--) {
                d += c[m] == ')';
                d -= c[m] == '(';
                if (d == 0 || m == 0) break;
            }
            size_t e = m;
            while (e > 0 && isspace((unsigned char)c[e - 1])) e--;
            size_t b = e;
            while (b > 0 && (isalnum((unsigned char)c[b - 1]) || c[b - 1] == '_'))
                b--;
            snprintf(fn.name, sizeof fn.name, "%.*s", (int)(e - b), c + b);
            fn.first = 1;
            for (size_t j = 0; j < b; j++) fn.first += c[j] == '\n';
            fn.line_start = b;
            while (fn.line_start > 0 && c[fn.line_start - 1] != '\n')
                fn.line_start--;
        } else if (c[i] == '}' && depth > 0) {
            if (--depth == 0 && in_function) {
                fn.last = line;
                found(&fn, arg);
                in_function = 0;
            }
        }
    }
    free(c);
    return 0;
}

typedef struct size_check {
    const char *path, *text;
    size_t functions, too_long;
    size_t longest;
} size_check;

static void check_function(const function_span *fn, void *arg) {
    size_check *s = arg;
    size_t lines = fn->last - fn->first + 1;
    s->functions++;
    if (lines > s->longest) s->longest = lines;
    if (lines <= MAX_FUNCTION_LINES ||
        marked_protocol_switch(s->text, fn->line_start))
        return;
    s->too_long++;
    EXPECT(lines <= MAX_FUNCTION_LINES,
           "%s:%zu: %s is %zu lines (at most %d: split it into named steps, "
           "or mark it a " PROTOCOL_SWITCH_MARK " in the comment above it)",
           s->path, fn->first, fn->name, lines, MAX_FUNCTION_LINES);
}

static void test_sizes(void) {
    size_t nsources = 0, nfunctions = 0;
    for (size_t d = 0; d < sizeof size_dirs / sizeof size_dirs[0]; d++) {
        DIR *dir = opendir(size_dirs[d]);
        EXPECT(dir != NULL, "cannot read %s/", size_dirs[d]);
        if (!dir) continue;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (!is_source(e->d_name)) continue;
            char path[300];
            snprintf(path, sizeof path, "%s/%s", size_dirs[d], e->d_name);
            char *text = testing_slurp(path);
            EXPECT(text != NULL, "cannot read %s", path);
            if (!text) continue;
            nsources++;
            size_t lines = count_lines(text);
            EXPECT(lines <= MAX_FILE_LINES,
                   "%s is %zu lines (at most %d: split it into files with one "
                   "job each)", path, lines, MAX_FILE_LINES);
            size_check s = {path, text, 0, 0, 0};
            EXPECT(each_function(text, check_function, &s) == 0, "memory");
            nfunctions += s.functions;
            free(text);
        }
        closedir(dir);
    }
    EXPECT(nsources > 150 && nfunctions > 1500,
           "%zu source files, %zu functions read", nsources, nfunctions);
}

/* The measure itself, on made-up sources. */
static void longest_of(const function_span *fn, void *arg) {
    size_check *s = arg;
    s->functions++;
    size_t lines = fn->last - fn->first + 1;
    if (lines > s->longest) s->longest = lines;
    if (marked_protocol_switch(s->text, fn->line_start)) s->too_long++;
}

static void test_size_measure(void) {
    static const char src[] =
        "#define BODY(x) { return x; }\n" /* a macro is not a function */
        "static const int table[] = {1, 2};\n"
        "struct s { int a; };\n"
        "/* a comment { with a brace */\n"
        "static int f(int a,\n"
        "             int b) {\n"
        "    const char *s = \"}\";\n"
        "    if (a) { return '}'; }\n"
        "    return b; // }\n"
        "}\n"
        "/* the documented protocol switch of the replies */\n"
        "int g(void) { return 0; }\n";
    size_check s = {"made-up.c", src, 0, 0, 0};
    EXPECT(each_function(src, longest_of, &s) == 0, "memory");
    EXPECT(s.functions == 2 && s.longest == 6 && s.too_long == 1,
           "%zu functions (want 2), the longest %zu lines (want 6), %zu "
           "marked (want 1)", s.functions, s.longest, s.too_long);
    EXPECT(count_lines("a\nb\n") == 2 && count_lines("a\nb") == 2 &&
               count_lines("") == 0,
           "line counts");
}

static CU_TestInfo tests[] = {
    {"include graph", test_include_graph},
    {"results schema in one module", test_schema_in_one_module},
    {"sizes: the measure", test_size_measure},
    {"sizes: files and functions", test_sizes},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("layout", init, clean, tests)
