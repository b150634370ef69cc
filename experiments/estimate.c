/* Memory and event estimates before a run (estimate.h). */
#include "experiments/estimate.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/workload.h"
#include "models/world.h"
#include "sim/errf.h"
#include "sim/queue.h"

/* Mean ns of a distribution, 0 when infinite or undefined (a heavy tail
 * is then not counted: the estimate stays finite). */
static double mean_ns(const sim_dist *d) {
    double m = sim_dist_mean(d);
    return isfinite(m) && m > 0 ? m : 0;
}

/* Sets e's blamed key when `bytes` is its largest term so far; fmt formats
 * a and b (two doubles: a format that shows one leaves b out, as printf
 * ignores extra arguments; never "%.0s" to skip one, which reads a double
 * as a pointer). */
static void blame(estimate *e, const char *key, double bytes, const char *fmt,
                  double a, double b) {
    if (bytes <= e->key_bytes) return;
    e->key = key;
    e->key_bytes = bytes;
    snprintf(e->key_text, sizeof e->key_text, fmt, a, b);
}

void estimate_scenario(const scenario *sc, estimate *e) {
    memset(e, 0, sizeof *e);
    e->key = "workload.keys";
    double duration = sim_time_to_s(sc->run.duration);
    double reads = sc->workload.reads, writes = sc->workload.writes;
    double keys = sc->workload.keys, zipf_keys = 0;
    if (sc->families.n > 0) {
        reads = writes = 0;
        keys = scenario_total_keys(sc);
        for (int f = 0; f < sc->families.n; f++) {
            scenario_family_range r;
            scenario_family_resolve(sc, f, &r);
            reads += r.reads;
            writes += r.writes;
            if (r.zipf_s > 0 && r.nkeys > 1) zipf_keys += r.nkeys;
        }
    } else if (sc->workload.zipf_s > 0 && keys > 1) {
        zipf_keys = keys;
    }
    reads += writes * sc->workload.read_after_write;
    double requests = (reads + writes) * duration;
    if (sc->workload.trace[0]) {
        uint32_t tkeys = 0;
        size_t n = workload_trace_shared_ops(sc->trace_shared, &tkeys);
        requests = (double)n;
        /* The writes' share of a trace is unknown here: count them all. */
        writes = duration > 0 ? (double)n / duration : 0;
        reads = 0;
        zipf_keys = 0;
        e->shared_bytes = 1.5 * (double)n * sizeof(workload_op);
        blame(e, "workload.trace", e->shared_bytes, "%.3g requests",
              (double)n, 0);
        if (tkeys) keys = tkeys;
    }
    e->requests = requests;
    /* Each write also reaches every replica and, over the bus, every
     * local instance: one event each. */
    e->events = requests * ESTIMATE_EVENTS_PER_REQUEST +
                writes * duration *
                    ((double)sc->db.replicas +
                     (sc->local.bus != SCENARIO_BUS_NONE ? sc->local.instances : 0));

    /* Keys the replication touches (the expected distinct keys among
     * `requests` uniform draws; Zipf touches fewer). */
    double touched = keys > 0 ? keys * -expm1(-requests / keys) : 0;
    double per_key = ESTIMATE_KEY_BYTES;
    double locals = sc->local.instances * ESTIMATE_LOCAL_KEY_BYTES;
    double repl = sc->db.replicas * ESTIMATE_REPLICA_KEY_BYTES;
    double key_bytes = touched * per_key + zipf_keys * ESTIMATE_ZIPF_KEY_BYTES;
    blame(e, "workload.keys", key_bytes,
          zipf_keys > 0 ? "%.3g keys, %.3g of them zipf" : "%.3g keys",
          keys, zipf_keys);
    blame(e, "local.instances", touched * locals,
          "%.0f instances over %.3g keys", (double)sc->local.instances,
          touched);
    blame(e, "db.replicas", touched * repl, "%.0f replicas over %.3g keys",
          (double)sc->db.replicas, touched);

    /* Every commit's time is kept. */
    double commits = writes * duration * ESTIMATE_COMMIT_BYTES;
    blame(e, "workload.writes", commits, "%.3g/s over %.3g s", writes,
          duration);

    /* Requests in flight (Little's law): the rate times the time a request
     * lasts, at most the sum of every mean latency. */
    double lasts = mean_ns(&sc->cache.get_latency) +
                   mean_ns(&sc->cache.set_latency) +
                   mean_ns(&sc->cache.del_latency) +
                   mean_ns(&sc->cache.response_latency) +
                   mean_ns(&sc->db.read_latency) +
                   mean_ns(&sc->db.write_latency) +
                   mean_ns(&sc->db.read_response) +
                   mean_ns(&sc->db.write_response);
    double rate = reads + writes;
    if (sc->workload.trace[0]) rate = duration > 0 ? requests / duration : 0;
    double inflight = rate * lasts / 1e9;
    double inflight_bytes =
        inflight * ((double)sizeof(request) + 3.0 * sizeof(sim_event));
    blame(e, reads >= writes ? "workload.reads" : "workload.writes",
          inflight_bytes, "%.3g/s, %.3g requests in flight", rate, inflight);

    e->reserve_bytes = keys * (ESTIMATE_KEY_RESERVE_BYTES +
                               4.0 * (sc->local.instances + sc->db.replicas));
    e->world_bytes = ESTIMATE_BASE_BYTES + touched * (per_key + locals + repl) +
                     zipf_keys * ESTIMATE_ZIPF_KEY_BYTES + commits +
                     inflight_bytes;
}

double estimate_machine_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 0;
}

int estimate_parse_size(const char *text, double *bytes) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v) || v <= 0 || isspace((unsigned char)*text))
        return -1;
    double unit = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': unit = 1024.0; end++; break;
    case 'M': unit = 1024.0 * 1024; end++; break;
    case 'G': unit = 1024.0 * 1024 * 1024; end++; break;
    case 'T': unit = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (unit > 1 && (*end == 'i' || *end == 'I')) end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return -1;
    *bytes = v * unit;
    return *bytes >= 1 && isfinite(*bytes) ? 0 : -1;
}

void estimate_format_bytes(double bytes, char *buf, size_t len) {
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB",
                                       "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        u++;
    }
    if (bytes >= 1e4) snprintf(buf, len, "%.3g %s", bytes, unit[u]);
    else snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int estimate_check(const scenario *sc, const estimate *e, int workers,
                   double extra, double limit, const char *what, char *err,
                   size_t errlen) {
    if (workers < 1) workers = 1;
    double need = e->world_bytes * workers + e->shared_bytes + extra;
    double have = limit > 0 ? limit : estimate_machine_bytes();
    if (have > 0 && e->reserve_bytes > have && need <= have) {
        char r[32], h[32];
        estimate_format_bytes(e->reserve_bytes, r, sizeof r);
        estimate_format_bytes(have, h, sizeof h);
        sim_errf(err, errlen, "%s: key 'workload.keys' (%.3g keys): its "
                 "per-key tables take about %s of address space, more than "
                 "%s%s%s; lower it", sc->path,
                 (double)(sc->families.n ? scenario_total_keys(sc)
                                         : sc->workload.keys),
                 r, what ? what : "this machine's memory (",
                 what ? "" : h, what ? "" : ")");
        return -1;
    }
    if (have <= 0 || need <= have) return 0;
    char n[32], h[32], w[32], against[96], each[96] = "";
    estimate_format_bytes(need, n, sizeof n);
    estimate_format_bytes(have, h, sizeof h);
    estimate_format_bytes(e->world_bytes, w, sizeof w);
    if (what)
        snprintf(against, sizeof against, "%s", what);
    else
        snprintf(against, sizeof against, "this machine's memory (%s)", h);
    int grid = extra > e->world_bytes * workers + e->shared_bytes;
    if (grid)
        snprintf(each, sizeof each, ", most of it the grid's points and "
                 "planned runs");
    else if (workers > 1)
        snprintf(each, sizeof each, " (%s a replication, %d at once)", w,
                 workers);
    sim_errf(err, errlen,
             "%s: %s '%s' (%s): the run needs about %s of memory%s, more "
             "than %s; lower it",
             sc->path, grid ? "flag" : "key", grid ? "--vary" : e->key,
             grid ? "its points x replications" : e->key_text, n, each,
             against);
    return -1;
}

int estimate_warn_long(const scenario *sc, double events, double runs,
                       int workers, FILE *out) {
    if (workers < 1) workers = 1;
    double par = runs < workers ? (runs > 1 ? runs : 1) : workers;
    double secs = events / ESTIMATE_EVENTS_PER_SECOND / par;
    if (!(secs > ESTIMATE_LONG_SECONDS) || !out) return 0;
    const char *unit = "hours";
    double t = secs / 3600;
    if (t >= 48) {
        t /= 24;
        unit = "days";
        if (t >= 730) {
            t /= 365;
            unit = "years";
        }
    }
    fprintf(out, "stalesim: warning: %s: about %.3g events over %.3g "
            "replication%s (%.3g requests each): this will take about %.3g "
            "%s on %d worker%s; Ctrl-C stops it\n",
            sc->path, events, runs, runs == 1 ? "" : "s",
            runs > 0 ? events / runs / ESTIMATE_EVENTS_PER_REQUEST : 0, t,
            unit, (int)par, par == 1 ? "" : "s");
    return 1;
}
