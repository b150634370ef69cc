/* Durations, rates and latency distributions parsed from scenario text.
 *
 * Durations are converted to integer ns with exact decimal arithmetic, not
 * through a double: "1.5ms" is exactly 1500000 ns, "0.1s" exactly 100000000 ns,
 * and every value up to INT64_MAX ns (about 292 years) is reachable, so
 * formatting a duration and parsing it back gives the same ns.  The scanner
 * accepts only [+]DIGITS[.DIGITS][e[+-]DIGITS] (no hex, no "inf", no locale
 * decimal comma), so the syntax is the same on every machine.
 *
 * Parsing functions work on (pointer, length) spans so that the parts of
 * "uniform:1ms, 5ms" and the lines of an empirical file are parsed in place.
 * Errors are outside faults: they return -1 with a one-line reason that quotes
 * the offending text (control characters replaced, long text cut), never the
 * scenario file or key, which the caller adds.
 *
 * Samples are rounded to the nearest ns and clamped to [0, SIM_DIST_CAP]
 * (INT64_MAX / 4, about 73 years), so `now + sample` never overflows even
 * for heavy tails such as pareto with a small alpha. */
#include "sim/dist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/check.h"
#include "sim/fileio.h"
#include "sim/errf.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

/* Largest sample, ns: leaves room to add a sample to any clock reading. */
#define SIM_DIST_CAP (INT64_MAX / 4)

/* Significant digits kept by the scanner; later digits lie more than 20
 * decimal places below a ns for any duration that fits in int64. */
#define DEC_MAX_DIGITS 40

/* Error texts quote at most this many characters of the input. */
#define QUOTE_MAX 48

#define UNIT_LIST "ns, us, ms, s, m, h"
#define KIND_LIST "const, exp, uniform, lognormal, pareto, empirical"

/* ---- messages ---------------------------------------------------------- */

/* A printable copy of s[0..len) for quoting in a one-line message: control
 * characters become '?', and text past QUOTE_MAX characters becomes "...". */
typedef struct quoted {
    char s[QUOTE_MAX + 4];
} quoted;

static quoted quote(const char *s, size_t len) {
    quoted q;
    size_t n = len < QUOTE_MAX ? len : QUOTE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        q.s[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (len > QUOTE_MAX) {
        memcpy(q.s + n, "...", 3);
        n += 3;
    }
    q.s[n] = '\0';
    return q;
}

/* ---- spans ------------------------------------------------------------- */

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Narrows [*s, *s + *len) to exclude leading and trailing whitespace. */
static void trim(const char **s, size_t *len) {
    while (*len > 0 && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1])) (*len)--;
}

static int span_eq(const char *s, size_t len, const char *word) {
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* 1 if s[0..len) begins, after an optional sign, with "inf" or "nan" in any
 * case: strtod's spellings of non-finite values, named in the message. */
static int looks_nonfinite(const char *s, size_t len) {
    size_t i = (len > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (len - i < 3) return 0;
    char w[3];
    for (int k = 0; k < 3; k++) w[k] = (char)(s[i + k] | 0x20);
    return memcmp(w, "inf", 3) == 0 || memcmp(w, "nan", 3) == 0;
}

/* ---- decimal numbers --------------------------------------------------- */

/* A scanned non-negative decimal: value = D * 10^exp10, where D is the
 * integer spelled by digits[0..ndigits) (no leading or trailing zeros; zero
 * has ndigits == 0). */
typedef struct decimal {
    char digits[DEC_MAX_DIGITS];
    int ndigits;
    long exp10;
} decimal;

/* Scans [+]DIGITS[.DIGITS][(e|E)[+-]DIGITS] (either digit run may be empty,
 * not both) at the start of s[0..len).  Returns the number of characters
 * consumed, or 0 when there is no number.  An 'e' not followed by exponent
 * digits is left unconsumed (it would start a unit).  A leading '-' is not
 * accepted: callers report negatives themselves. */
static size_t scan_decimal(const char *s, size_t len, decimal *dec) {
    size_t p = 0;
    int seen = 0;
    dec->ndigits = 0;
    dec->exp10 = 0;
    if (p < len && s[p] == '+') p++;
    for (; p < len && is_digit(s[p]); p++) {
        seen = 1;
        if (dec->ndigits == 0 && s[p] == '0') continue;
        if (dec->ndigits < DEC_MAX_DIGITS)
            dec->digits[dec->ndigits++] = s[p];
        else
            dec->exp10++; /* dropped integer digit: scale up */
    }
    if (p < len && s[p] == '.') {
        p++;
        for (; p < len && is_digit(s[p]); p++) {
            seen = 1;
            if (dec->ndigits == 0 && s[p] == '0') {
                dec->exp10--;
            } else if (dec->ndigits < DEC_MAX_DIGITS) {
                dec->digits[dec->ndigits++] = s[p];
                dec->exp10--;
            }
        }
    }
    if (!seen) return 0;
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        int neg = 0;
        if (q < len && (s[q] == '+' || s[q] == '-')) neg = s[q++] == '-';
        if (q < len && is_digit(s[q])) {
            long e = 0;
            for (; q < len && is_digit(s[q]); q++)
                if (e < 1000000) e = e * 10 + (s[q] - '0');
            dec->exp10 += neg ? -e : e;
            p = q;
        }
    }
    while (dec->ndigits > 0 && dec->digits[dec->ndigits - 1] == '0') {
        dec->ndigits--;
        dec->exp10++;
    }
    if (dec->ndigits == 0) dec->exp10 = 0;
    return p;
}

/* The decimal as the nearest double (via strtod on a form with no decimal
 * point, so the locale cannot matter).  May be +inf on overflow. */
static double decimal_to_double(const decimal *dec) {
    if (dec->ndigits == 0) return 0.0;
    char buf[DEC_MAX_DIGITS + 32];
    snprintf(buf, sizeof buf, "%.*se%ld", dec->ndigits, dec->digits,
             dec->exp10);
    return strtod(buf, NULL);
}

/* round(D * 10^(exp10 + pow10) * mult) as ns, halves rounded up.  Returns 0,
 * or -1 when the result exceeds INT64_MAX.  mult <= 36.  Fraction digits past
 * the 17th below a ns are ignored. */
static int decimal_to_ns(const decimal *dec, int pow10, uint64_t mult,
                         sim_time *out) {
    enum { FRAC_DIGITS = 17 };
    const uint64_t frac_one = 100000000000000000u; /* 10^FRAC_DIGITS */
    if (dec->ndigits == 0) {
        *out = 0;
        return 0;
    }
    long e = dec->exp10 + pow10;
    long intdigits = dec->ndigits + e; /* digits left of the ns point */
    if (intdigits > 19) return -1;     /* >= 10^19 > INT64_MAX */
    uint64_t ip = 0, fp = 0;
    for (long k = 0; k < intdigits; k++)
        ip = ip * 10 + (uint64_t)(k < dec->ndigits ? dec->digits[k] - '0' : 0);
    for (long j = 0; j < FRAC_DIGITS; j++) {
        long k = intdigits + j;
        fp = fp * 10 +
             (uint64_t)(k >= 0 && k < dec->ndigits ? dec->digits[k] - '0' : 0);
    }
    if (ip > (uint64_t)INT64_MAX / mult) return -1;
    uint64_t fm = fp * mult; /* < 36 * 10^17, fits */
    uint64_t total = ip * mult + fm / frac_one;
    if (2 * (fm % frac_one) >= frac_one) total++;
    if (total > (uint64_t)INT64_MAX) return -1;
    *out = (sim_time)total;
    return 0;
}

/* ---- durations --------------------------------------------------------- */

typedef struct time_unit {
    const char *name;
    int pow10;     /* ns per unit = mult * 10^pow10 */
    uint64_t mult;
    sim_time ns;
} time_unit;

static const time_unit time_units[] = {
    {"ns", 0, 1, SIM_NS},   {"us", 3, 1, SIM_US},  {"ms", 6, 1, SIM_MS},
    {"s", 9, 1, SIM_S},     {"m", 10, 6, SIM_MIN}, {"h", 11, 36, SIM_HOUR},
    {"min", 10, 6, SIM_MIN}, /* what plot_fmt_duration prints: read back */
};
#define NTIME_UNITS (sizeof time_units / sizeof time_units[0])

static const time_unit *find_unit(const char *s, size_t len) {
    for (size_t i = 0; i < NTIME_UNITS; i++)
        if (span_eq(s, len, time_units[i].name)) return &time_units[i];
    return NULL;
}

/* Parses a duration in s[0..len) (surrounding whitespace allowed).  `what`
 * names the value in messages ("duration", "mean", ...).  *out is written
 * only on success. */
static int parse_duration_span(const char *s, size_t len, const char *what,
                               sim_time *out, char *err, size_t errlen) {
    trim(&s, &len);
    quoted q = quote(s, len);
    if (len == 0) {
        sim_errf(err, errlen, "%s is empty (expected a number and a unit: %s)",
             what, UNIT_LIST);
        return -1;
    }
    if (looks_nonfinite(s, len)) {
        sim_errf(err, errlen, "%s '%s' is not a finite number", what, q.s);
        return -1;
    }
    if (s[0] == '-') {
        sim_errf(err, errlen, "%s '%s' is negative", what, q.s);
        return -1;
    }
    decimal dec;
    size_t p = scan_decimal(s, len, &dec);
    if (p == 0) {
        sim_errf(err, errlen,
             "%s '%s' is not a number with a unit (e.g. 5ms; units %s)", what,
             q.s, UNIT_LIST);
        return -1;
    }
    if (p == len) {
        if (dec.ndigits == 0) { /* a bare zero needs no unit */
            *out = 0;
            return 0;
        }
        sim_errf(err, errlen, "%s '%s' needs a unit (%s)", what, q.s, UNIT_LIST);
        return -1;
    }
    size_t u = p;
    while (u < len && is_alpha(s[u])) u++;
    if (u == p) {
        size_t v = p;
        while (v < len && is_space(s[v])) v++;
        if (v > p && v < len && is_alpha(s[v]))
            sim_errf(err, errlen, "%s '%s' has a space before its unit", what,
                 q.s);
        else
            sim_errf(err, errlen, "%s '%s' has unexpected text '%s' after the "
                 "number", what, q.s, quote(s + p, len - p).s);
        return -1;
    }
    const time_unit *unit = find_unit(s + p, u - p);
    if (!unit) {
        sim_errf(err, errlen, "%s '%s' has unknown unit '%s' (units: %s)", what,
             q.s, quote(s + p, u - p).s, UNIT_LIST);
        return -1;
    }
    if (u != len) {
        sim_errf(err, errlen, "%s '%s' has unexpected text '%s' after the unit",
             what, q.s, quote(s + u, len - u).s);
        return -1;
    }
    if (decimal_to_ns(&dec, unit->pow10, unit->mult, out) != 0) {
        sim_errf(err, errlen,
             "%s '%s' is too large (the limit is 9223372036.854775807s, "
             "about 292 years)", what, q.s);
        return -1;
    }
    return 0;
}

int sim_duration_parse(const char *text, sim_time *out, char *err,
                       size_t errlen) {
    if (!text) text = "";
    return parse_duration_span(text, strlen(text), "duration", out, err,
                               errlen);
}

/* Rule: 0 is "0".  A whole number of hours prints in h ("2h"); otherwise a
 * whole number of minutes of at least an hour prints in m ("90m"); anything
 * else prints in the largest of s, ms, us, ns in which it is >= 1, as an exact
 * decimal with trailing zeros dropped ("300s", "1.5ms", "1.000000001s").
 * Minutes below an hour stay in seconds ("300s", not "5m").  The text is
 * exact, so sim_duration_parse gives back the same ns.  Negative values get a
 * leading '-'.  Truncates to fit `len` and always NUL-terminates (len > 0). */
void sim_duration_format(sim_time t, char *buf, size_t len) {
    if (!buf || len == 0) return;
    const char *sign = t < 0 ? "-" : "";
    uint64_t mag = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
    if (mag == 0) {
        snprintf(buf, len, "0");
        return;
    }
    if (mag % (uint64_t)SIM_HOUR == 0) {
        snprintf(buf, len, "%s%" PRIu64 "h", sign, mag / (uint64_t)SIM_HOUR);
        return;
    }
    if (mag >= (uint64_t)SIM_HOUR && mag % (uint64_t)SIM_MIN == 0) {
        snprintf(buf, len, "%s%" PRIu64 "m", sign, mag / (uint64_t)SIM_MIN);
        return;
    }
    static const struct {
        const char *name;
        uint64_t ns;
        int digits;
    } dec_units[] = {{"s", 1000000000u, 9}, {"ms", 1000000u, 6},
                     {"us", 1000u, 3},      {"ns", 1u, 0}};
    size_t k = 0;
    while (mag < dec_units[k].ns) k++;
    uint64_t ip = mag / dec_units[k].ns, fp = mag % dec_units[k].ns;
    if (fp == 0) {
        snprintf(buf, len, "%s%" PRIu64 "%s", sign, ip, dec_units[k].name);
        return;
    }
    char frac[16];
    snprintf(frac, sizeof frac, "%0*" PRIu64, dec_units[k].digits, fp);
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0') frac[--n] = '\0';
    snprintf(buf, len, "%s%" PRIu64 ".%s%s", sign, ip, frac,
             dec_units[k].name);
}

/* ---- sizes -------------------------------------------------------------- */

typedef struct size_unit {
    const char *name;
    double bytes;
} size_unit;

static const size_unit size_units[] = {
    {"B", 1.0},          {"KB", 1e3},           {"MB", 1e6},
    {"GB", 1e9},         {"TB", 1e12},          {"KiB", 1024.0},
    {"MiB", 1048576.0},  {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
};
#define NSIZE_UNITS (sizeof size_units / sizeof size_units[0])
#define SIZE_UNIT_LIST "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"
/* Largest size, bytes: exact in a double and far above any cache. */
#define SIZE_MAX_BYTES 9007199254740992.0 /* 2^53 */

/* Parses a size in s[0..len) (a number and a unit; a bare 0 is 0 bytes),
 * rounded to whole bytes.  *out is written only on success. */
static int parse_size_span(const char *s, size_t len, const char *what,
                           double *out, char *err, size_t errlen) {
    trim(&s, &len);
    quoted q = quote(s, len);
    if (len == 0) {
        sim_errf(err, errlen, "%s is empty (expected a number and a unit: %s)",
                 what, SIZE_UNIT_LIST);
        return -1;
    }
    if (looks_nonfinite(s, len)) {
        sim_errf(err, errlen, "%s '%s' is not a finite number", what, q.s);
        return -1;
    }
    if (s[0] == '-') {
        sim_errf(err, errlen, "%s '%s' is negative", what, q.s);
        return -1;
    }
    decimal dec;
    size_t p = scan_decimal(s, len, &dec);
    if (p == 0) {
        sim_errf(err, errlen, "%s '%s' is not a size (e.g. 4KB; units %s)",
                 what, q.s, SIZE_UNIT_LIST);
        return -1;
    }
    if (p == len) {
        if (dec.ndigits == 0) {
            *out = 0;
            return 0;
        }
        sim_errf(err, errlen, "%s '%s' needs a unit (%s)", what, q.s,
                 SIZE_UNIT_LIST);
        return -1;
    }
    const size_unit *unit = NULL;
    for (size_t i = 0; i < NSIZE_UNITS; i++)
        if (span_eq(s + p, len - p, size_units[i].name)) unit = &size_units[i];
    if (!unit) {
        sim_errf(err, errlen, "%s '%s' has unknown unit '%s' (units: %s)", what,
                 q.s, quote(s + p, len - p).s, SIZE_UNIT_LIST);
        return -1;
    }
    double v = round(decimal_to_double(&dec) * unit->bytes);
    if (!(v <= SIZE_MAX_BYTES)) {
        sim_errf(err, errlen, "%s '%s' is too large (at most 8PiB)", what, q.s);
        return -1;
    }
    *out = v;
    return 0;
}

int sim_size_parse(const char *text, uint64_t *bytes, char *err,
                   size_t errlen) {
    if (!text) text = "";
    double v;
    if (parse_size_span(text, strlen(text), "size", &v, err, errlen) != 0)
        return -1;
    *bytes = (uint64_t)v;
    return 0;
}

void sim_size_format(uint64_t bytes, char *buf, size_t len) {
    if (!buf || len == 0) return;
    static const struct {
        const char *name;
        uint64_t bytes;
    } u[] = {{"TB", 1000000000000u}, {"GB", 1000000000u}, {"MB", 1000000u},
             {"KB", 1000u}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (bytes >= u[i].bytes && bytes % u[i].bytes == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", bytes / u[i].bytes, u[i].name);
            return;
        }
    snprintf(buf, len, "%" PRIu64 "B", bytes);
}

/* ---- rates ------------------------------------------------------------- */

#define RATE_FORMS "N/s, N/ms, N/m, N/h; also N/us, N/ns"

int sim_rate_parse(const char *text, double *per_s, char *err, size_t errlen) {
    const char *s = text ? text : "";
    size_t len = strlen(s);
    trim(&s, &len);
    quoted q = quote(s, len);
    if (len == 0) {
        sim_errf(err, errlen, "rate is empty (expected %s)", RATE_FORMS);
        return -1;
    }
    if (looks_nonfinite(s, len)) {
        sim_errf(err, errlen, "rate '%s' is not a finite number", q.s);
        return -1;
    }
    if (s[0] == '-') {
        sim_errf(err, errlen, "rate '%s' is negative", q.s);
        return -1;
    }
    decimal dec;
    size_t p = scan_decimal(s, len, &dec);
    if (p == 0) {
        sim_errf(err, errlen, "rate '%s' is not a number per unit (%s)", q.s,
             RATE_FORMS);
        return -1;
    }
    if (p == len) {
        sim_errf(err, errlen, "rate '%s' needs a unit (%s)", q.s, RATE_FORMS);
        return -1;
    }
    if (s[p] != '/') {
        sim_errf(err, errlen, "rate '%s' has unexpected text '%s' after the "
             "number (expected %s)", q.s, quote(s + p, len - p).s, RATE_FORMS);
        return -1;
    }
    const time_unit *unit = find_unit(s + p + 1, len - p - 1);
    if (!unit) {
        sim_errf(err, errlen, "rate '%s' has unknown unit '%s' (expected %s)", q.s,
             quote(s + p + 1, len - p - 1).s, RATE_FORMS);
        return -1;
    }
    double v = decimal_to_double(&dec) * ((double)SIM_S / (double)unit->ns);
    if (!isfinite(v)) {
        sim_errf(err, errlen, "rate '%s' is too large", q.s);
        return -1;
    }
    *per_s = v;
    return 0;
}

/* ---- distributions ----------------------------------------------------- */

/* Parses a non-negative unitless number ("0.5", "2e-3") in s[0..len). */
static int parse_number_span(const char *s, size_t len, const char *what,
                             double *out, char *err, size_t errlen) {
    trim(&s, &len);
    quoted q = quote(s, len);
    if (len == 0) {
        sim_errf(err, errlen, "%s is empty (expected a number)", what);
        return -1;
    }
    if (looks_nonfinite(s, len)) {
        sim_errf(err, errlen, "%s '%s' is not a finite number", what, q.s);
        return -1;
    }
    if (s[0] == '-') {
        sim_errf(err, errlen, "%s '%s' is negative", what, q.s);
        return -1;
    }
    decimal dec;
    size_t p = scan_decimal(s, len, &dec);
    if (p == 0) {
        sim_errf(err, errlen, "%s '%s' is not a number", what, q.s);
        return -1;
    }
    if (p != len) {
        if (find_unit(s + p, len - p))
            sim_errf(err, errlen, "%s '%s' is unitless; drop the unit", what, q.s);
        else
            sim_errf(err, errlen, "%s '%s' has unexpected text '%s' after the "
                 "number", what, q.s, quote(s + p, len - p).s);
        return -1;
    }
    double v = decimal_to_double(&dec);
    if (!isfinite(v)) {
        sim_errf(err, errlen, "%s '%s' is too large", what, q.s);
        return -1;
    }
    *out = v;
    return 0;
}

typedef struct dist_kind_info {
    const char *name;
    sim_dist_kind kind;
    int nargs;         /* comma-separated arguments; empirical takes the rest */
    const char *form;  /* for messages */
    const char *arg1;  /* names in messages */
    const char *arg2;
    int arg2_unitless; /* lognormal sigma, pareto alpha */
} dist_kind_info;

static const dist_kind_info dist_kinds[] = {
    {"const", SIM_DIST_CONST, 1, "const:D", "value", NULL, 0},
    {"exp", SIM_DIST_EXP, 1, "exp:MEAN", "mean", NULL, 0},
    {"uniform", SIM_DIST_UNIFORM, 2, "uniform:A,B", "A", "B", 0},
    {"lognormal", SIM_DIST_LOGNORMAL, 2, "lognormal:MEDIAN,SIGMA", "median",
     "sigma", 1},
    {"pareto", SIM_DIST_PARETO, 2, "pareto:XM,ALPHA", "xm", "alpha", 1},
    {"empirical", SIM_DIST_EMPIRICAL, 1, "empirical:FILE", "file", NULL, 0},
};
#define NDIST_KINDS (sizeof dist_kinds / sizeof dist_kinds[0])

static void set_const_zero(sim_dist *d) {
    d->kind = SIM_DIST_CONST;
    d->p1 = 0.0;
    d->p2 = 0.0;
    d->values = NULL;
    d->nvalues = 0;
}

/* A duration (ns) or, with `sizes`, a size (bytes) in s[0..len). */
static int parse_quantity(int sizes, const char *s, size_t len,
                          const char *what, double *out, char *err,
                          size_t errlen) {
    if (sizes) return parse_size_span(s, len, what, out, err, errlen);
    sim_time t;
    if (parse_duration_span(s, len, what, &t, err, errlen) != 0) return -1;
    *out = (double)t;
    return 0;
}

/* Reads the durations of an empirical file into d.  `name` is the file as
 * written, `basedir` the directory a relative name is taken from. */
static int parse_empirical(sim_dist *d, const char *name, size_t namelen,
                           const char *basedir, int sizes, char *err,
                           size_t errlen) {
    int rc = -1;
    char *path = NULL, *line = NULL;
    size_t linecap = 0, cap = 0, n = 0;
    sim_time *values = NULL;
    FILE *f = NULL;

    size_t baselen = (basedir && name[0] != '/') ? strlen(basedir) : 0;
    path = malloc(baselen + 1 + namelen + 1);
    if (!path) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    path[0] = '\0';
    if (baselen > 0) {
        memcpy(path, basedir, baselen);
        if (basedir[baselen - 1] != '/') path[baselen++] = '/';
    }
    memcpy(path + baselen, name, namelen);
    path[baselen + namelen] = '\0';
    quoted qp = quote(path, strlen(path));

    char whyopen[128];
    f = sim_file_open_regular(path, whyopen, sizeof whyopen);
    if (!f) {
        sim_errf(err, errlen, "cannot open empirical file '%s': %s", qp.s,
             whyopen);
        goto out;
    }
    unsigned long lineno = 0;
    for (;;) {
        errno = 0;
        ssize_t got = sim_file_getline(&line, &linecap, f,
                                       SIM_DIST_EMPIRICAL_LINE_MAX);
        if (got == -2) {
            sim_errf(err, errlen, "empirical file '%s' line %lu: longer than %d "
                 "bytes (one duration per line)", qp.s, lineno + 1,
                 SIM_DIST_EMPIRICAL_LINE_MAX);
            goto out;
        }
        if (got < 0) break;
        lineno++;
        if (memchr(line, '\0', (size_t)got)) {
            sim_errf(err, errlen, "empirical file '%s' line %lu: a NUL byte (one "
                 "duration per line)", qp.s, lineno);
            goto out;
        }
        const char *s = line;
        size_t len = (size_t)got;
        trim(&s, &len);
        if (len == 0 || s[0] == '#') continue;
        double q;
        char why[256];
        if (parse_quantity(sizes, s, len, sizes ? "size" : "duration", &q, why,
                           sizeof why) != 0) {
            sim_errf(err, errlen, "empirical file '%s' line %lu: %s", qp.s, lineno,
                 why);
            goto out;
        }
        if (n == SIM_DIST_EMPIRICAL_MAX_VALUES) {
            sim_errf(err, errlen, "empirical file '%s': more than %d durations",
                 qp.s, SIM_DIST_EMPIRICAL_MAX_VALUES);
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            sim_time *nv = ncap > SIZE_MAX / sizeof *nv
                               ? NULL
                               : realloc(values, ncap * sizeof *nv);
            if (!nv) {
                sim_errf(err, errlen, "out of memory reading empirical file '%s'",
                     qp.s);
                goto out;
            }
            values = nv;
            cap = ncap;
        }
        values[n++] = (sim_time)q;
    }
    if (ferror(f)) {
        sim_errf(err, errlen, "cannot read empirical file '%s': %s", qp.s,
             strerror(errno ? errno : EIO));
        goto out;
    }
    if (n == 0) {
        sim_errf(err, errlen, "empirical file '%s' has no durations", qp.s);
        goto out;
    }
    d->kind = SIM_DIST_EMPIRICAL;
    d->values = values;
    d->nvalues = n;
    values = NULL;
    rc = 0;
out:
    if (f) fclose(f);
    free(line);
    free(values);
    free(path);
    return rc;
}

/* Parses argument `what` of `kind` from s[0..len) into *v, as a duration in
 * ns or, when unitless, a plain number. */
static int parse_arg(const dist_kind_info *k, const char *what, int unitless,
                     int sizes, const char *s, size_t len, double *v,
                     char *err, size_t errlen) {
    char why[256];
    if (unitless) {
        if (parse_number_span(s, len, what, v, why, sizeof why) == 0) return 0;
    } else if (parse_quantity(sizes, s, len, what, v, why, sizeof why) == 0) {
        return 0;
    }
    sim_errf(err, errlen, "%s: %s", k->name, why);
    return -1;
}

/* sim_dist_parse over durations, or with `sizes` over sizes in bytes. */
static int dist_parse(sim_dist *d, const char *text, const char *basedir,
                      int sizes, char *err, size_t errlen) {
    const char *plain = sizes ? "a size such as 4KB" : "a duration such as 5ms";
    set_const_zero(d);
    const char *s = text ? text : "";
    size_t len = strlen(s);
    trim(&s, &len);
    if (len == 0) {
        sim_errf(err, errlen, "distribution is empty (expected KIND:ARGS with "
             "KIND one of %s, or %s)", KIND_LIST, plain);
        return -1;
    }
    const char *colon = memchr(s, ':', len);
    if (!colon) {
        if (is_alpha(s[0])) { /* a word: a kind without arguments, or junk */
            for (size_t i = 0; i < NDIST_KINDS; i++)
                if (span_eq(s, len, dist_kinds[i].name)) {
                    sim_errf(err, errlen, "distribution '%s' needs arguments: %s",
                         dist_kinds[i].name, dist_kinds[i].form);
                    return -1;
                }
            sim_errf(err, errlen, "unknown distribution '%s' (known: %s, or "
                 "%s)", quote(s, len).s, KIND_LIST, plain);
            return -1;
        }
        double v;
        if (parse_quantity(sizes, s, len, sizes ? "size" : "duration", &v, err,
                           errlen) != 0)
            return -1;
        d->p1 = v;
        return 0;
    }

    const char *ks = s, *as = colon + 1;
    size_t klen = (size_t)(colon - s), alen = len - klen - 1;
    trim(&ks, &klen);
    trim(&as, &alen);
    const dist_kind_info *k = NULL;
    for (size_t i = 0; i < NDIST_KINDS; i++)
        if (span_eq(ks, klen, dist_kinds[i].name)) k = &dist_kinds[i];
    if (!k) {
        sim_errf(err, errlen, "unknown distribution kind '%s' (known: %s, or "
             "%s)", quote(ks, klen).s, KIND_LIST, plain);
        return -1;
    }
    if (k->kind == SIM_DIST_EMPIRICAL) {
        if (alen == 0) {
            sim_errf(err, errlen, "empirical needs a file name: %s", k->form);
            return -1;
        }
        if (parse_empirical(d, as, alen, basedir, sizes, err, errlen) != 0) {
            set_const_zero(d);
            return -1;
        }
        return 0;
    }

    int nargs = 1;
    for (size_t i = 0; i < alen; i++) nargs += as[i] == ',';
    if (nargs != k->nargs) {
        sim_errf(err, errlen, "%s takes %d argument%s (%s), got %d", k->name,
             k->nargs, k->nargs == 1 ? "" : "s", k->form, nargs);
        return -1;
    }
    const char *comma = k->nargs == 2 ? memchr(as, ',', alen) : as + alen;
    double p1 = 0.0, p2 = 0.0;
    if (parse_arg(k, k->arg1, 0, sizes, as, (size_t)(comma - as), &p1, err,
                  errlen) != 0)
        return -1;
    if (k->nargs == 2 &&
        parse_arg(k, k->arg2, k->arg2_unitless, sizes, comma + 1,
                  alen - (size_t)(comma - as) - 1, &p2, err, errlen) != 0)
        return -1;

    switch (k->kind) {
    case SIM_DIST_UNIFORM:
        if (p1 > p2) {
            char a[32], b[32];
            if (sizes) {
                sim_size_format((uint64_t)p1, a, sizeof a);
                sim_size_format((uint64_t)p2, b, sizeof b);
            } else {
                sim_duration_format((sim_time)p1, a, sizeof a);
                sim_duration_format((sim_time)p2, b, sizeof b);
            }
            sim_errf(err, errlen, "uniform: A (%s) is greater than B (%s)", a, b);
            return -1;
        }
        break;
    case SIM_DIST_LOGNORMAL:
        if (p1 <= 0.0) {
            sim_errf(err, errlen, "lognormal: median must be > 0");
            return -1;
        }
        break;
    case SIM_DIST_PARETO:
        if (p1 <= 0.0) {
            sim_errf(err, errlen, "pareto: xm must be > 0");
            return -1;
        }
        if (p2 <= 0.0) {
            sim_errf(err, errlen, "pareto: alpha must be > 0");
            return -1;
        }
        break;
    default:
        break;
    }
    d->kind = k->kind;
    d->p1 = p1;
    d->p2 = p2;
    return 0;
}

int sim_dist_parse(sim_dist *d, const char *text, const char *basedir,
                   char *err, size_t errlen) {
    return dist_parse(d, text, basedir, 0, err, errlen);
}

int sim_dist_parse_size(sim_dist *d, const char *text, const char *basedir,
                        char *err, size_t errlen) {
    return dist_parse(d, text, basedir, 1, err, errlen);
}

int sim_dist_copy(sim_dist *dst, const sim_dist *src) {
    sim_dist tmp = *src;
    if (src->nvalues > 0) {
        tmp.values = malloc(src->nvalues * sizeof *tmp.values);
        if (!tmp.values) {
            set_const_zero(dst);
            return -1;
        }
        memcpy(tmp.values, src->values, src->nvalues * sizeof *tmp.values);
    } else {
        tmp.values = NULL;
    }
    *dst = tmp;
    return 0;
}

void sim_dist_fini(sim_dist *d) {
    if (!d) return;
    free(d->values);
    set_const_zero(d);
}

/* x ns rounded to the nearest ns and clamped to [0, SIM_DIST_CAP]. */
static sim_time to_sample(double x) {
    SIM_CHECK(!isnan(x), "sample is NaN");
    if (x <= 0.0) return 0;
    if (x >= (double)SIM_DIST_CAP) return SIM_DIST_CAP;
    /* llround for 0 < x < 2^63 without the library call: x - trunc(x) is
     * exact for doubles, so this rounds half away from zero exactly as
     * llround does. */
    sim_time t = (sim_time)x;
    return x - (double)t >= 0.5 ? t + 1 : t;
}

sim_time sim_dist_sample(const sim_dist *d, gsl_rng *r) {
    switch (d->kind) {
    case SIM_DIST_CONST:
        return to_sample(d->p1);
    case SIM_DIST_EXP:
        return to_sample(sim_exponential(r, d->p1));
    case SIM_DIST_UNIFORM:
        return to_sample(d->p1 + (d->p2 - d->p1) * sim_rng_uniform(r));
    case SIM_DIST_LOGNORMAL:
        return to_sample(gsl_ran_lognormal(r, log(d->p1), d->p2));
    case SIM_DIST_PARETO:
        return to_sample(gsl_ran_pareto(r, d->p2, d->p1));
    case SIM_DIST_EMPIRICAL: {
        SIM_CHECK(d->nvalues > 0, "empirical distribution has no values");
        sim_time v = d->values[sim_rng_uniform_int(r, d->nvalues)];
        return v > SIM_DIST_CAP ? SIM_DIST_CAP : v;
    }
    }
    SIM_CHECK(0, "unknown distribution kind %d", (int)d->kind);
    return 0;
}

double sim_dist_mean(const sim_dist *d) {
    switch (d->kind) {
    case SIM_DIST_CONST:
    case SIM_DIST_EXP:
        return d->p1;
    case SIM_DIST_UNIFORM:
        return 0.5 * (d->p1 + d->p2);
    case SIM_DIST_LOGNORMAL:
        return d->p1 * exp(0.5 * d->p2 * d->p2);
    case SIM_DIST_PARETO:
        return d->p2 <= 1.0 ? INFINITY : d->p2 * d->p1 / (d->p2 - 1.0);
    case SIM_DIST_EMPIRICAL: {
        double sum = 0.0;
        for (size_t i = 0; i < d->nvalues; i++) sum += (double)d->values[i];
        return d->nvalues ? sum / (double)d->nvalues : 0.0;
    }
    }
    SIM_CHECK(0, "unknown distribution kind %d", (int)d->kind);
    return 0.0;
}

/* Only const:0 counts: an exp, uniform or empirical whose draws all happen to
 * be 0 still consumes random numbers, and callers that skip sampling when
 * this returns 1 must not change what the stream produces. */
int sim_dist_is_zero(const sim_dist *d) {
    return d->kind == SIM_DIST_CONST && d->p1 == 0.0;
}
