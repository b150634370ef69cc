/* The boost of importance sampling: boosted probabilities and the automatic
 * choice (models/rare.h, docs/rare-events.md). */
#include "models/rare.h"

#include <math.h>
#include <string.h>

#include "models/pattern.h"
#include "sim/dist.h"

double rare_prob(double p, double boost) {
    if (boost <= 1 || p <= 0) return p;
    double q = boost * p;
    if (q > RARE_P_MAX) q = RARE_P_MAX;
    return q > p ? q : p;
}

/* min(b rate, share_max / mean_duration_s), never below rate. */
static double rate_capped(double rate, double mean_duration_s, double boost,
                          double share_max) {
    if (boost <= 1 || rate <= 0 || !(mean_duration_s > 0) ||
        !(mean_duration_s < INFINITY))
        return rate;
    double q = boost * rate, cap = share_max / mean_duration_s;
    if (q > cap) q = cap;
    return q > rate ? q : rate;
}

double rare_rate(double rate, double mean_duration_s, double boost) {
    return rate_capped(rate, mean_duration_s, boost, RARE_P_MAX);
}

double rare_outage_share(const scenario *sc) {
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    if (sc->cache.outage_rate <= 0 || !p ||
        (p->flags & (PATTERN_OWN_FAILURES | PATTERN_NO_CACHE)))
        return 0;
    /* Local caches: instances alone over the DB never meet the shared
     * cache; a read an outage fails fills no local copy, where without the
     * outage it would have filled one that later local hits would serve,
     * which no mark records. */
    if (sc->local.instances > 0 &&
        (sc->local.tier == SCENARIO_TIER_ALONE ||
         sc->cache.outage_fallback == SCENARIO_FALLBACK_FAIL))
        return 0;
    double d = sim_dist_mean(&sc->cache.outage_duration) / 1e9;
    if (!(d > 0)) return 0; /* outages of no time only empty the cache */
    double q = sc->cache.outage_rate * d;
    return q < 1 ? q : 1; /* also a heavy tail's infinite mean */
}

double rare_outage_rate(const scenario *sc, double boost) {
    return rate_capped(sc->cache.outage_rate,
                       sim_dist_mean(&sc->cache.outage_duration) / 1e9, boost,
                       RARE_DOWN_MAX);
}

double rare_offline_share(const scenario *sc) {
    if (sc->local.instances == 0 || sc->local.bus != SCENARIO_BUS_PUBSUB ||
        sc->local.reconnect_rate <= 0)
        return 0;
    double p = sc->local.reconnect_rate *
               (sim_dist_mean(&sc->local.reconnect_duration) / 1e9);
    return p < 1 ? p : 1; /* also a heavy tail's infinite mean */
}

/* The largest boosted fault probability of one view (no families). */
static double view_max(const scenario *sc) {
    double m = sc->faults.del_fail;
    if (sc->faults.del_timeout > m) m = sc->faults.del_timeout;
    if (sc->faults.crash_after_commit > m) m = sc->faults.crash_after_commit;
    /* set_fail is boosted on writers' update-SETs only. */
    if ((sc->cache.invalidation == SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE ||
         strcmp(sc->cache.pattern, "write-through") == 0) &&
        sc->faults.set_fail > m)
        m = sc->faults.set_fail;
    if (sc->local.instances > 0 && sc->local.bus == SCENARIO_BUS_PUBSUB &&
        sc->local.bus_loss > m)
        m = sc->local.bus_loss;
    double offline = rare_offline_share(sc);
    if (offline > m) m = offline;
    double down = rare_outage_share(sc);
    if (down > m) m = down;
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    double own = p && p->rare_share ? p->rare_share(sc) : 0;
    if (own > m) m = own;
    return m;
}

double rare_max_fault_prob(const scenario *sc) {
    double m = view_max(sc);
    for (int f = 0; f < sc->families.n; f++) {
        scenario view;
        char err[256];
        if (scenario_family_view(sc, f, &view, err, sizeof err) != 0)
            continue; /* validated before: only memory can fail here */
        double v = view_max(&view);
        if (v > m) m = v;
        scenario_fini(&view);
    }
    return m;
}

double rare_auto_boost(const scenario *sc) {
    double m = rare_max_fault_prob(sc);
    if (m <= 0) return 1;
    double b = RARE_AUTO_SHARE / m;
    return b > 1 ? b : 1;
}
