/* Suite "layout": the structure of the source tree, read from the files
 * themselves so that it cannot drift back.
 *
 *   - the include graph: sim/ includes nothing outside sim/; models/ nothing
 *     from experiments/, plots/ or emulate/; plots/ only sim/ and plots/
 *     (plots draw what experiments/ prepares);
 *   - the results schema is known in experiments/results*.c only: no other
 *     source names one of its tables in SQL (FROM, JOIN, INTO, UPDATE).
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
    char path[300]; /* "plots/kinds.c": room for any d_name */
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

static CU_TestInfo tests[] = {
    {"include graph", test_include_graph},
    {"results schema in one module", test_schema_in_one_module},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("layout", init, clean, tests)
