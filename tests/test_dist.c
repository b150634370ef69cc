/* Tests for sim/dist.c: duration, rate and distribution parsing (every form
 * and every error class), exact formatting and its round trip, and each
 * distribution's sample mean against its analytic mean within five standard
 * errors for a fixed seed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/dist.h"
#include "plots/format.h"
#include "tests/testing.h"

#define SEED 20240611UL
#define CAP (INT64_MAX / 4)

static gsl_rng *new_rng(unsigned long seed) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* 1 if err is a single line of printable text. */
static int one_line(const char *err) {
    if (!*err) return 0;
    for (const char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20) return 0;
    return 1;
}

/* ---- durations --------------------------------------------------------- */

static void test_duration_parse(void) {
    static const struct {
        const char *text;
        sim_time ns;
    } cases[] = {
        {"0", 0},
        {"  0\t", 0},
        {"0.0", 0},
        {"0ms", 0},
        {"1ns", 1},
        {"1us", 1000},
        {"1ms", 1000000},
        {"1s", 1000000000},
        {"1m", 60 * SIM_S},
        {"1h", 3600 * SIM_S},
        {"1.5ms", 1500000},
        {"0.1s", 100000000},
        {"300s", 300 * SIM_S},
        {".5s", 500000000},
        {"5.s", 5 * SIM_S},
        {"+5ms", 5 * SIM_MS},
        {"000123ns", 123},
        {"1e3ms", SIM_S},
        {"2.5e-3s", 2500000},
        {"1E2us", 100000},
        {" \t7ms\n", 7 * SIM_MS},
        {"1.5m", 90 * SIM_S},
        {"0.25h", 900 * SIM_S},
        {"0.000000001s", 1},
        /* rounding to the nearest ns, halves up */
        {"1.5ns", 2},
        {"2.5ns", 3},
        {"0.5ns", 1},
        {"0.4ns", 0},
        {"0.49999ns", 0},
        {"1.0000000005s", 1000000001},
        {"1.00000000049s", 1000000000},
        {"1.23456789012345678901234567890ms", 1234568},
        {"1e-30s", 0},
        /* the int64 limit, exactly */
        {"9223372036.854775807s", INT64_MAX},
        {"9223372036854775807ns", INT64_MAX},
        {"2562047.788015215h", INT64_C(9223372036854774000)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_time got = -42;
        char err[256] = "";
        int rc = sim_duration_parse(cases[i].text, &got, err, sizeof err);
        EXPECT(rc == 0 && got == cases[i].ns,
               "'%s': rc %d, got %lld ns, want %lld ns (%s)", cases[i].text,
               rc, (long long)got, (long long)cases[i].ns, err);
    }
}

static void test_duration_errors(void) {
    static const struct {
        const char *text;
        const char *reason; /* a substring of the message */
    } cases[] = {
        {"", "duration is empty"},
        {"   ", "duration is empty"},
        {"5", "duration '5' needs a unit (ns, us, ms, s, m, h)"},
        {"1.5", "needs a unit"},
        {"5d", "unknown unit 'd' (units: ns, us, ms, s, m, h)"},
        {"5sec", "unknown unit 'sec'"},
        {"5MS", "unknown unit 'MS'"},
        {"5e", "unknown unit 'e'"},
        {"0x10s", "unknown unit 'x'"},
        {"-5ms", "duration '-5ms' is negative"},
        {"-0ms", "negative"},
        {"nan", "not a finite number"},
        {"inf", "not a finite number"},
        {"-infs", "not a finite number"},
        {"NaNms", "not a finite number"},
        {"5ms junk", "unexpected text ' junk' after the unit"},
        {"5ms5", "unexpected text '5' after the unit"},
        {"5ms,", "unexpected text ','"},
        {"5 ms", "space before its unit"},
        {"1.2.3s", "unexpected text '.3s' after the number"},
        {"5/s", "unexpected text '/s'"},
        {"ms", "not a number with a unit"},
        {".", "not a number"},
        {"+", "not a number"},
        {"1e30s", "too large"},
        {"9223372036.854775808s", "too large"},
        {"9223372036854775808ns", "too large"},
        {"2562048h", "too large"},
        {"1e999999999999s", "too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_time got = -42;
        char err[256] = "";
        int rc = sim_duration_parse(cases[i].text, &got, err, sizeof err);
        EXPECT(rc == -1, "'%s' accepted as %lld ns", cases[i].text,
               (long long)got);
        EXPECT(got == -42, "'%s': output written on failure (%lld)",
               cases[i].text, (long long)got);
        EXPECT(strstr(err, cases[i].reason) != NULL,
               "'%s': reason '%s' lacks '%s'", cases[i].text, err,
               cases[i].reason);
        EXPECT(one_line(err), "'%s': reason is not one printable line: '%s'",
               cases[i].text, err);
    }

    /* The exact wording of the commonest mistake. */
    char err[256];
    sim_time t;
    sim_duration_parse("5", &t, err, sizeof err);
    EXPECT(strcmp(err, "duration '5' needs a unit (ns, us, ms, s, m, h)") == 0,
           "got '%s'", err);

    /* Control characters are not echoed; long text is cut. */
    sim_duration_parse("5\x01x", &t, err, sizeof err);
    EXPECT(one_line(err), "control character echoed: '%s'", err);
    char longtext[300];
    memset(longtext, '7', sizeof longtext - 2);
    longtext[sizeof longtext - 2] = 'q';
    longtext[sizeof longtext - 1] = '\0';
    sim_duration_parse(longtext, &t, err, sizeof err);
    EXPECT(strstr(err, "...") != NULL && strlen(err) < 200,
           "long input not cut: '%s'", err);

    /* Tiny and absent buffers are safe (ASan checks the writes). */
    char tiny[4];
    EXPECT(sim_duration_parse("5", &t, tiny, sizeof tiny) == -1 &&
               strlen(tiny) == 3,
           "tiny buffer holds '%s'", tiny);
    EXPECT(sim_duration_parse("5", &t, NULL, 0) == -1, "NULL err buffer");
    EXPECT(sim_duration_parse(NULL, &t, err, sizeof err) == -1,
           "NULL text accepted");
}

static void test_duration_format(void) {
    static const struct {
        sim_time ns;
        const char *text;
    } cases[] = {
        {0, "0"},
        {1, "1ns"},
        {999, "999ns"},
        {1000, "1us"},
        {1001, "1.001us"},
        {1500000, "1.5ms"},
        {1234567, "1.234567ms"},
        {999999999, "999.999999ms"},
        {SIM_S, "1s"},
        {1000000001, "1.000000001s"},
        {59 * SIM_S, "59s"},
        {60 * SIM_S, "60s"},
        {300 * SIM_S, "300s"},
        {3599 * SIM_S + 500 * SIM_MS, "3599.5s"},
        {SIM_HOUR, "1h"},
        {2 * SIM_HOUR, "2h"},
        {90 * SIM_MIN, "90m"},
        {3601 * SIM_S, "3601s"},
        {48 * SIM_HOUR, "48h"},
        {INT64_MAX, "9223372036.854775807s"},
        {-1500000, "-1.5ms"},
        {INT64_MIN, "-9223372036.854775808s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        sim_duration_format(cases[i].ns, buf, sizeof buf);
        EXPECT(strcmp(buf, cases[i].text) == 0, "%lld ns -> '%s', want '%s'",
               (long long)cases[i].ns, buf, cases[i].text);
    }
    char small[5] = "xxxx";
    sim_duration_format(1500000, small, sizeof small);
    EXPECT(strcmp(small, "1.5m") == 0, "truncated to '%s'", small);
    sim_duration_format(1500000, small, 0); /* writes nothing */
    EXPECT(strcmp(small, "1.5m") == 0, "len 0 wrote '%s'", small);
}

/* format then parse gives back the same ns, for every magnitude. */
static void test_duration_roundtrip(void) {
    gsl_rng *r = new_rng(SEED);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        /* log-uniform over 1 ns .. 2^62 ns, some rounded to whole units */
        sim_time t = (sim_time)ldexp(1.0, (int)gsl_rng_uniform_int(r, 62)) +
                     (sim_time)gsl_rng_uniform_int(r, 1000000);
        if (i % 3 == 1) t -= t % SIM_S;
        if (i % 3 == 2) t -= t % SIM_MIN;
        char buf[64], err[256] = "";
        sim_duration_format(t, buf, sizeof buf);
        sim_time back = -1;
        int rc = sim_duration_parse(buf, &back, err, sizeof err);
        if (rc != 0 || back != t) {
            if (bad++ < 5)
                EXPECT(0, "%lld ns -> '%s' -> rc %d, %lld ns (%s)",
                       (long long)t, buf, rc, (long long)back, err);
        }
    }
    EXPECT(bad == 0, "%d values did not round-trip", bad);

    static const char *canonical[] = {"300s", "1.5ms", "2h",  "90m",
                                      "1ns",  "0",     "1.000000001s"};
    for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++) {
        sim_time t;
        char buf[64], err[256] = "";
        int rc = sim_duration_parse(canonical[i], &t, err, sizeof err);
        sim_duration_format(t, buf, sizeof buf);
        EXPECT(rc == 0 && strcmp(buf, canonical[i]) == 0,
               "'%s' -> %lld ns -> '%s' (%s)", canonical[i], (long long)t,
               buf, err);
    }
    gsl_rng_free(r);
}

/* One vocabulary in and out: every duration the reports print (3
 * significant digits, "850us", "2.67min", "1500h") parses back, within the
 * half-unit of its last printed digit (0.5%) and the whole nanosecond. */
static void test_printed_durations_parse(void) {
    gsl_rng *r = new_rng(SEED);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        double s = pow(10, -9 + 17 * gsl_rng_uniform(r)); /* 1 ns .. 1e8 s */
        char buf[64], err[256] = "";
        plot_fmt_duration(buf, sizeof buf, s);
        sim_time back = -1;
        int rc = sim_duration_parse(buf, &back, err, sizeof err);
        /* ns are whole: allow half a ns beyond the printed digits */
        double off = fabs((double)back - s * 1e9), tol = 0.005 * s * 1e9 + 0.5;
        if ((rc != 0 || off > tol) && bad++ < 5)
            EXPECT(0, "%.6g s printed '%s' -> rc %d, %lld ns (%s)", s, buf, rc,
                   (long long)back, err);
    }
    EXPECT(bad == 0, "%d printed durations did not read back", bad);
    sim_time t = 0;
    char err[256] = "";
    EXPECT(sim_duration_parse("2.5min", &t, err, sizeof err) == 0 &&
               t == 150 * SIM_S,
           "2.5min -> %lld ns (%s)", (long long)t, err);
    gsl_rng_free(r);
}

/* ---- rates ------------------------------------------------------------- */

static void test_rate_parse(void) {
    static const struct {
        const char *text;
        double per_s;
    } cases[] = {
        {"1000/s", 1000.0}, {"60/m", 1.0},    {"5/h", 5.0 / 3600.0},
        {"2.5/ms", 2500.0}, {"0/s", 0.0},     {" 10/s\n", 10.0},
        {"1e3/s", 1000.0},  {"3/us", 3e6},    {"1/ns", 1e9},
        {".5/s", 0.5},      {"7200/h", 2.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = -1.0;
        char err[256] = "";
        int rc = sim_rate_parse(cases[i].text, &got, err, sizeof err);
        EXPECT(rc == 0 && fabs(got - cases[i].per_s) <= 1e-12 * cases[i].per_s,
               "'%s': rc %d, got %.17g/s, want %.17g/s (%s)", cases[i].text,
               rc, got, cases[i].per_s, err);
    }

    static const struct {
        const char *text;
        const char *reason;
    } bad[] = {
        {"", "rate is empty"},
        {"-5/s", "rate '-5/s' is negative"},
        {"5", "rate '5' needs a unit (N/s, N/ms, N/m, N/h"},
        {"5/", "unknown unit ''"},
        {"5/d", "unknown unit 'd'"},
        {"5/sec", "unknown unit 'sec'"},
        {"5/s x", "unknown unit 's x'"},
        {"5 /s", "unexpected text ' /s'"},
        {"5s", "unexpected text 's'"},
        {"abc", "not a number per unit"},
        {"inf/s", "not a finite number"},
        {"1e400/s", "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double got = -1.0;
        char err[256] = "";
        int rc = sim_rate_parse(bad[i].text, &got, err, sizeof err);
        EXPECT(rc == -1 && got == -1.0, "'%s' accepted as %g/s", bad[i].text,
               got);
        EXPECT(strstr(err, bad[i].reason) != NULL && one_line(err),
               "'%s': reason '%s' lacks '%s'", bad[i].text, err,
               bad[i].reason);
    }
}

/* ---- distributions: parsing -------------------------------------------- */

static void test_dist_parse_forms(void) {
    static const struct {
        const char *text;
        sim_dist_kind kind;
        double p1, p2, mean;
    } cases[] = {
        {"const:5ms", SIM_DIST_CONST, 5e6, 0, 5e6},
        {"5ms", SIM_DIST_CONST, 5e6, 0, 5e6},
        {"  1.5s ", SIM_DIST_CONST, 1.5e9, 0, 1.5e9},
        {"0", SIM_DIST_CONST, 0, 0, 0},
        {"const:0", SIM_DIST_CONST, 0, 0, 0},
        {"exp:2ms", SIM_DIST_EXP, 2e6, 0, 2e6},
        {" exp : 2ms ", SIM_DIST_EXP, 2e6, 0, 2e6},
        {"exp:0", SIM_DIST_EXP, 0, 0, 0},
        {"uniform:1ms,3ms", SIM_DIST_UNIFORM, 1e6, 3e6, 2e6},
        {"uniform: 1ms , 3ms", SIM_DIST_UNIFORM, 1e6, 3e6, 2e6},
        {"uniform:2ms,2ms", SIM_DIST_UNIFORM, 2e6, 2e6, 2e6},
        {"uniform:0,1s", SIM_DIST_UNIFORM, 0, 1e9, 5e8},
        {"lognormal:10ms,0.5", SIM_DIST_LOGNORMAL, 1e7, 0.5,
         1e7 * 1.1331484530668263},
        {"lognormal:1ms,0", SIM_DIST_LOGNORMAL, 1e6, 0, 1e6},
        {"pareto:1ms,2.5", SIM_DIST_PARETO, 1e6, 2.5, 2.5e6 / 1.5},
        {"pareto:1ms,1", SIM_DIST_PARETO, 1e6, 1, INFINITY},
        {"pareto:1ms,0.5", SIM_DIST_PARETO, 1e6, 0.5, INFINITY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_dist d;
        char err[256] = "";
        int rc = sim_dist_parse(&d, cases[i].text, NULL, err, sizeof err);
        EXPECT(rc == 0, "'%s' rejected: %s", cases[i].text, err);
        if (rc != 0) continue;
        EXPECT(d.kind == cases[i].kind && d.p1 == cases[i].p1 &&
                   d.p2 == cases[i].p2 && d.values == NULL && d.nvalues == 0,
               "'%s': kind %d p1 %g p2 %g, want kind %d p1 %g p2 %g",
               cases[i].text, (int)d.kind, d.p1, d.p2, (int)cases[i].kind,
               cases[i].p1, cases[i].p2);
        double m = sim_dist_mean(&d), want = cases[i].mean;
        EXPECT(isinf(want) ? isinf(m) && m > 0
                           : fabs(m - want) <= 1e-12 * fabs(want),
               "'%s': mean %.17g, want %.17g", cases[i].text, m, want);
        sim_dist_fini(&d);
    }
}

static void test_dist_parse_errors(void) {
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"", "distribution is empty"},
        {"  ", "distribution is empty"},
        {"normal:1ms,2ms",
         "unknown distribution kind 'normal' (known: const, exp, uniform, "
         "lognormal, pareto, empirical, or a duration such as 5ms)"},
        {"Exp:1ms", "unknown distribution kind 'Exp'"},
        {":5ms", "unknown distribution kind ''"},
        {"gamma", "unknown distribution 'gamma' (known: const, exp"},
        {"exp 5ms", "unknown distribution 'exp 5ms'"},
        {"exp", "distribution 'exp' needs arguments: exp:MEAN"},
        {"5", "duration '5' needs a unit"},
        {"-5ms", "duration '-5ms' is negative"},
        {"const:", "const: value is empty"},
        {"const:5", "const: value '5' needs a unit"},
        {"const:5ms junk", "const: value '5ms junk' has unexpected text"},
        {"exp:", "exp: mean is empty"},
        {"exp:5", "exp: mean '5' needs a unit (ns, us, ms, s, m, h)"},
        {"exp:-1ms", "exp: mean '-1ms' is negative"},
        {"exp:1e30s", "too large"},
        {"exp:1ms,2ms", "exp takes 1 argument (exp:MEAN), got 2"},
        {"uniform:1ms", "uniform takes 2 arguments (uniform:A,B), got 1"},
        {"uniform:1ms,2ms,3ms", "got 3"},
        {"uniform:1ms,", "uniform: B is empty"},
        {"uniform:3ms,1ms", "uniform: A (3ms) is greater than B (1ms)"},
        {"uniform:1x,2ms", "uniform: A '1x' has unknown unit 'x'"},
        {"lognormal:0,1", "lognormal: median must be > 0"},
        {"lognormal:1ms,-1", "lognormal: sigma '-1' is negative"},
        {"lognormal:1ms,0.5ms", "lognormal: sigma '0.5ms' is unitless"},
        {"lognormal:1ms,nan", "lognormal: sigma 'nan' is not a finite number"},
        {"lognormal:1ms,0.5x", "unexpected text 'x'"},
        {"lognormal:1ms,1e999", "too large"},
        {"lognormal:1ms", "takes 2 arguments"},
        {"pareto:0,2", "pareto: xm must be > 0"},
        {"pareto:1ms,0", "pareto: alpha must be > 0"},
        {"pareto:1ms,x", "pareto: alpha 'x' is not a number"},
        {"pareto:1,2", "pareto: xm '1' needs a unit"},
        {"empirical:", "empirical needs a file name: empirical:FILE"},
        {"empirical:/nonexistent/stalesim/x.txt",
         "cannot open empirical file '/nonexistent/stalesim/x.txt': No such "
         "file"},
        {"empirical:/tmp", "empirical file '/tmp': is a directory, not a "
                            "regular file"},
        {"exp:5\x01ms", "exp: mean '5?ms'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_dist d = {SIM_DIST_EXP, 7, 7, NULL, 3};
        char err[256] = "";
        int rc = sim_dist_parse(&d, cases[i].text, NULL, err, sizeof err);
        EXPECT(rc == -1, "'%s' accepted: kind %d p1 %g p2 %g", cases[i].text,
               (int)d.kind, d.p1, d.p2);
        EXPECT(d.kind == SIM_DIST_CONST && d.p1 == 0 && d.p2 == 0 &&
                   d.values == NULL && d.nvalues == 0,
               "'%s': not left as const 0: kind %d p1 %g", cases[i].text,
               (int)d.kind, d.p1);
        EXPECT(strstr(err, cases[i].reason) != NULL,
               "'%s': reason '%s' lacks '%s'", cases[i].text, err,
               cases[i].reason);
        EXPECT(one_line(err), "'%s': reason not one printable line: '%s'",
               cases[i].text, err);
        sim_dist_fini(&d);
    }
}

/* ---- empirical --------------------------------------------------------- */

/* Writes `text` to a new file made by mkstemp, its name written to `path`;
 * returns `path`, or NULL on failure.  The caller unlinks it. */
static char *write_temp(char *path, size_t len, const char *text) {
    snprintf(path, len, "/tmp/stalesim-dist-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    if (!ok) {
        unlink(path);
        return NULL;
    }
    return path;
}

/* Draws of the four-value table d are the listed values, each about
 * equally often (within 5 standard deviations of n/4). */
static void check_empirical_draws(const sim_dist *d) {
    gsl_rng *r = new_rng(SEED);
    unsigned long count[4] = {0, 0, 0, 0}, other = 0;
    const int n = 40000;
    for (int i = 0; i < n; i++) {
        sim_time v = sim_dist_sample(d, r);
        int k = v == 1000000   ? 0
                : v == 2000000 ? 1
                : v == 3000000 ? 2
                : v == 6000000 ? 3
                               : -1;
        if (k < 0)
            other++;
        else
            count[k]++;
    }
    EXPECT(other == 0, "%lu draws outside the table", other);
    double sd = sqrt(n * 0.25 * 0.75);
    for (int k = 0; k < 4; k++)
        EXPECT(fabs((double)count[k] - n / 4.0) < 5 * sd,
               "value %d drawn %lu times of %d, want %g +- %g", k,
               count[k], n, n / 4.0, 5 * sd);
    gsl_rng_free(r);
}

static void test_dist_empirical(void) {
    char path[64], spec[128], err[256] = "";
    const char *text = "# latencies in a trace\n\n1ms\n  2ms  \n# comment\n"
                       "3ms\r\n\t\n   # indented comment\n6ms";
    CU_ASSERT_PTR_NOT_NULL_FATAL(write_temp(path, sizeof path, text));
    const char *base = strrchr(path, '/') + 1;

    sim_dist d;
    snprintf(spec, sizeof spec, "empirical:%s", path);
    int rc = sim_dist_parse(&d, spec, "/nonexistent", err, sizeof err);
    EXPECT(rc == 0, "'%s' (absolute, basedir ignored): %s", spec, err);
    EXPECT(d.kind == SIM_DIST_EMPIRICAL && d.nvalues == 4,
           "kind %d, %zu values, want 4", (int)d.kind, d.nvalues);
    if (rc == 0 && d.nvalues == 4) {
        static const sim_time want[] = {1000000, 2000000, 3000000, 6000000};
        for (int i = 0; i < 4; i++)
            EXPECT(d.values[i] == want[i], "value %d is %lld, want %lld", i,
                   (long long)d.values[i], (long long)want[i]);
        EXPECT(sim_dist_mean(&d) == 3e6, "mean %g, want 3e6",
               sim_dist_mean(&d));
        EXPECT(!sim_dist_is_zero(&d), "empirical is not zero");
    }

    /* Relative names are taken from basedir, with or without a slash. */
    static const char *dirs[] = {"/tmp", "/tmp/"};
    for (int i = 0; i < 2; i++) {
        sim_dist e;
        snprintf(spec, sizeof spec, "empirical: %s ", base);
        rc = sim_dist_parse(&e, spec, dirs[i], err, sizeof err);
        EXPECT(rc == 0 && e.nvalues == 4, "'%s' in '%s': rc %d, %zu values (%s)",
               spec, dirs[i], rc, e.nvalues, err);
        sim_dist_fini(&e);
    }
    snprintf(spec, sizeof spec, "empirical:%s", base);
    sim_dist e;
    rc = sim_dist_parse(&e, spec, "/nonexistent", err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "/nonexistent/stalesim-dist-") != NULL,
           "relative name not joined to basedir: rc %d, '%s'", rc, err);

    /* Draws are the listed values, each about equally often. */
    if (d.nvalues == 4) check_empirical_draws(&d);

    /* A copy is deep: it outlives the original. */
    sim_dist c;
    EXPECT(sim_dist_copy(&c, &d) == 0, "copy failed");
    EXPECT(c.values != d.values && c.nvalues == d.nvalues,
           "copy shares the table (%p, %p) or size (%zu, %zu)",
           (void *)c.values, (void *)d.values, c.nvalues, d.nvalues);
    sim_dist_fini(&d);
    EXPECT(c.nvalues == 4 && c.values[3] == 6000000, "copy lost its table");
    sim_dist_fini(&c);
    sim_dist_fini(&c); /* fini twice, and of NULL, is harmless */
    sim_dist_fini(NULL);
    EXPECT(c.values == NULL && c.kind == SIM_DIST_CONST, "fini left kind %d",
           (int)c.kind);
    unlink(path);
}

/* An empirical file that cannot be read, and one that grows the table. */
static void test_dist_empirical_files(void) {
    char path[64], spec[128], err[256] = "";
    sim_dist d;
    int rc;
    /* Errors name the file and the physical line. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(
        write_temp(path, sizeof path, "1ms\n# two\n5\n4ms\n"));
    snprintf(spec, sizeof spec, "empirical:%s", path);
    rc = sim_dist_parse(&d, spec, NULL, err, sizeof err);
    char want[256];
    snprintf(want, sizeof want,
             "empirical file '%s' line 3: duration '5' needs a unit", path);
    EXPECT(rc == -1 && strstr(err, want) == err, "got '%s', want '%s...'", err,
           want);
    EXPECT(d.kind == SIM_DIST_CONST && d.values == NULL,
           "failed parse left kind %d", (int)d.kind);
    unlink(path);

    CU_ASSERT_PTR_NOT_NULL_FATAL(
        write_temp(path, sizeof path, "# only comments\n\n  \n"));
    snprintf(spec, sizeof spec, "empirical:%s", path);
    rc = sim_dist_parse(&d, spec, NULL, err, sizeof err);
    snprintf(want, sizeof want, "empirical file '%s' has no durations", path);
    EXPECT(rc == -1 && strcmp(err, want) == 0, "got '%s', want '%s'", err,
           want);
    unlink(path);

    CU_ASSERT_PTR_NOT_NULL_FATAL(write_temp(path, sizeof path, ""));
    snprintf(spec, sizeof spec, "empirical:%s", path);
    rc = sim_dist_parse(&d, spec, NULL, err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "has no durations"), "empty file: '%s'",
           err);
    unlink(path);

    /* A big table grows past the first allocation. */
    char *big = malloc(1000 * 8 + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    big[0] = '\0';
    size_t off = 0;
    for (int i = 1; i <= 1000; i++)
        off += (size_t)sprintf(big + off, "%dus\n", i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(write_temp(path, sizeof path, big));
    free(big);
    snprintf(spec, sizeof spec, "empirical:%s", path);
    rc = sim_dist_parse(&d, spec, NULL, err, sizeof err);
    EXPECT(rc == 0 && d.nvalues == 1000 && d.values[999] == 1000000,
           "rc %d, %zu values (%s)", rc, d.nvalues, err);
    EXPECT(fabs(sim_dist_mean(&d) - 500500.0) < 1e-6, "mean %.17g, want 500500",
           sim_dist_mean(&d));
    sim_dist_fini(&d);
    unlink(path);
}

/* ---- sampling ---------------------------------------------------------- */

static void check_sample_mean(const char *text, double sd) {
    sim_dist d;
    char err[256] = "";
    int rc = sim_dist_parse(&d, text, NULL, err, sizeof err);
    EXPECT(rc == 0, "'%s': %s", text, err);
    if (rc != 0) return;
    gsl_rng *r = new_rng(SEED);
    const int n = 200000;
    double sum = 0.0, lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double v = (double)sim_dist_sample(&d, r);
        sum += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    double mean = sum / n, want = sim_dist_mean(&d);
    double tol = 5.0 * sd / sqrt((double)n) + 1.0; /* + rounding to ns */
    EXPECT(fabs(mean - want) <= tol,
           "'%s': mean of %d draws %.1f ns, analytic %.1f ns, tolerance %.1f",
           text, n, mean, want, tol);
    EXPECT(lo >= 0.0, "'%s': negative draw %g", text, lo);
    if (d.kind == SIM_DIST_UNIFORM)
        EXPECT(lo >= d.p1 && hi <= d.p2, "'%s': draws in [%g, %g]", text, lo,
               hi);
    if (d.kind == SIM_DIST_PARETO)
        EXPECT(lo >= d.p1, "'%s': draw %g below xm", text, lo);
    gsl_rng_free(r);
    sim_dist_fini(&d);
}

static void test_dist_sample_means(void) {
    check_sample_mean("exp:2ms", 2e6);
    check_sample_mean("uniform:1ms,3ms", 2e6 / sqrt(12.0));
    double s2 = 0.5 * 0.5; /* lognormal variance (e^s2 - 1) e^(2 mu + s2) */
    check_sample_mean("lognormal:1ms,0.5", sqrt((exp(s2) - 1) * exp(s2)) * 1e6);
    /* pareto variance xm^2 a / ((a - 1)^2 (a - 2)), finite for a > 2 */
    check_sample_mean("pareto:1ms,3", 1e6 * sqrt(3.0 / (4.0 * 1.0)));
    check_sample_mean("const:5ms", 0.0);
}

/* const never touches the stream; the others do. */
static void test_dist_const_draws_nothing(void) {
    gsl_rng *a = new_rng(SEED), *b = new_rng(SEED);
    sim_dist d;
    char err[256];
    CU_ASSERT_FATAL(sim_dist_parse(&d, "const:5ms", NULL, err, sizeof err) ==
                    0);
    for (int i = 0; i < 1000; i++) {
        sim_time v = sim_dist_sample(&d, a);
        if (v != 5000000) EXPECT(v == 5000000, "const drew %lld", (long long)v);
    }
    unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b);
    EXPECT(x == y, "stream advanced by const draws: %lu != %lu", x, y);

    static const char *drawing[] = {"exp:1ms", "uniform:1ms,1ms",
                                    "lognormal:1ms,0", "pareto:1ms,2"};
    for (size_t i = 0; i < sizeof drawing / sizeof drawing[0]; i++) {
        CU_ASSERT_FATAL(sim_dist_parse(&d, drawing[i], NULL, err,
                                       sizeof err) == 0);
        gsl_rng *c = gsl_rng_clone(a);
        sim_dist_sample(&d, a);
        x = gsl_rng_get(a);
        y = gsl_rng_get(c);
        EXPECT(x != y, "'%s' drew nothing from the stream", drawing[i]);
        gsl_rng_memcpy(a, c);
        gsl_rng_free(c);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
}

/* Heavy tails are clamped to [0, INT64_MAX / 4]; degenerate forms give
 * exact values. */
static void test_dist_sample_range(void) {
    gsl_rng *r = new_rng(SEED);
    sim_dist d;
    char err[256];
    static const char *heavy[] = {"pareto:1ns,0.01", "lognormal:1s,60"};
    for (size_t k = 0; k < 2; k++) {
        CU_ASSERT_FATAL(sim_dist_parse(&d, heavy[k], NULL, err, sizeof err) ==
                        0);
        int capped = 0, out = 0;
        for (int i = 0; i < 10000; i++) {
            sim_time v = sim_dist_sample(&d, r);
            if (v < 0 || v > CAP) out++;
            capped += v == CAP;
        }
        EXPECT(out == 0 && capped > 0, "'%s': %d outside range, %d capped",
               heavy[k], out, capped);
    }
    CU_ASSERT_FATAL(sim_dist_parse(&d, "const:9223372036s", NULL, err,
                                   sizeof err) == 0);
    sim_time v = sim_dist_sample(&d, r);
    EXPECT(v == CAP, "huge const drew %lld, want cap %lld", (long long)v,
           (long long)CAP);

    static const struct {
        const char *text;
        sim_time want;
    } exact[] = {{"uniform:7ms,7ms", 7000000},
                 {"lognormal:3ms,0", 3000000},
                 {"exp:0", 0},
                 {"const:1.5ns", 2}};
    for (size_t k = 0; k < sizeof exact / sizeof exact[0]; k++) {
        CU_ASSERT_FATAL(sim_dist_parse(&d, exact[k].text, NULL, err,
                                       sizeof err) == 0);
        for (int i = 0; i < 100; i++) {
            v = sim_dist_sample(&d, r);
            if (v != exact[k].want) {
                EXPECT(v == exact[k].want, "'%s' drew %lld, want %lld",
                       exact[k].text, (long long)v, (long long)exact[k].want);
                break;
            }
        }
    }
    gsl_rng_free(r);
}

static void test_dist_is_zero(void) {
    static const struct {
        const char *text;
        int zero;
    } cases[] = {{"0", 1},           {"const:0", 1},     {"0ms", 1},
                 {"const:0.4ns", 1}, {"const:1ns", 0},   {"exp:0", 0},
                 {"exp:1ms", 0},     {"uniform:0,0", 0}, {"5ms", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_dist d;
        char err[256] = "";
        int rc = sim_dist_parse(&d, cases[i].text, NULL, err, sizeof err);
        EXPECT(rc == 0 && sim_dist_is_zero(&d) == cases[i].zero,
               "'%s': rc %d, is_zero %d, want %d (%s)", cases[i].text, rc,
               sim_dist_is_zero(&d), cases[i].zero, err);
        sim_dist_fini(&d);
    }
}

/* Sizes and distributions of sizes ([cache] capacity and value_size). */
static void test_sizes(void) {
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {{"0", 0},          {"512B", 512},        {"4KB", 4000},
              {"1.5MB", 1500000}, {"2KiB", 2048},       {"1.5GiB", 1610612736},
              {"64MB", 64000000}, {"1e3B", 1000},       {" 7TB ", 7000000000000}};
    char err[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t b = 0;
        int rc = sim_size_parse(ok[i].text, &b, err, sizeof err);
        EXPECT(rc == 0 && b == ok[i].bytes, "'%s': %s %llu, want %llu",
               ok[i].text, rc ? err : "ok", (unsigned long long)b,
               (unsigned long long)ok[i].bytes);
    }
    static const struct {
        const char *text, *why;
    } bad[] = {{"5", "needs a unit"},       {"-1KB", "negative"},
               {"3kb", "unknown unit 'kb'"}, {"2ms", "unknown unit 'ms'"},
               {"1e20TB", "too large"},      {"", "empty"},
               {"4 KB", "unknown unit ' KB'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t b = 0;
        err[0] = 0;
        int rc = sim_size_parse(bad[i].text, &b, err, sizeof err);
        EXPECT(rc != 0 && strstr(err, bad[i].why), "'%s': [%s], want [%s]",
               bad[i].text, rc ? err : "accepted", bad[i].why);
    }
    char buf[32];
    sim_size_format(64000000, buf, sizeof buf);
    EXPECT(strcmp(buf, "64MB") == 0, "64000000 -> %s", buf);
    sim_size_format(1536, buf, sizeof buf);
    EXPECT(strcmp(buf, "1536B") == 0, "1536 -> %s", buf);

    sim_dist d;
    EXPECT(sim_dist_parse_size(&d, "lognormal:2KB,0.5", ".", err,
                               sizeof err) == 0 &&
           d.kind == SIM_DIST_LOGNORMAL && d.p1 == 2000 && d.p2 == 0.5,
           "lognormal sizes: %s", err);
    sim_dist_fini(&d);
    EXPECT(sim_dist_parse_size(&d, "1KiB", ".", err, sizeof err) == 0 &&
           d.kind == SIM_DIST_CONST && d.p1 == 1024, "a bare size: %s", err);
    sim_dist_fini(&d);
    EXPECT(sim_dist_parse_size(&d, "uniform:4KB,1KB", ".", err,
                               sizeof err) != 0 &&
           strstr(err, "A (4KB) is greater than B (1KB)"), "[%s]", err);
    EXPECT(sim_dist_parse_size(&d, "exp:5ms", ".", err, sizeof err) != 0 &&
           strstr(err, "unknown unit 'ms'"), "[%s]", err);
    EXPECT(sim_dist_parse(&d, "exp:5KB", ".", err, sizeof err) != 0,
           "a duration took a size");
}

static CU_TestInfo tests[] = {
    {"sizes", test_sizes},
    {"duration parse", test_duration_parse},
    {"duration errors", test_duration_errors},
    {"duration format", test_duration_format},
    {"duration round trip", test_duration_roundtrip},
    {"printed durations parse back (min, whole hours)", test_printed_durations_parse},
    {"rate parse", test_rate_parse},
    {"dist parse forms", test_dist_parse_forms},
    {"dist parse errors", test_dist_parse_errors},
    {"dist empirical", test_dist_empirical},
    {"dist empirical files", test_dist_empirical_files},
    {"dist sample means", test_dist_sample_means},
    {"dist const draws nothing", test_dist_const_draws_nothing},
    {"dist sample range", test_dist_sample_range},
    {"dist is_zero", test_dist_is_zero},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("dist", NULL, NULL, tests)
