/* Checks the rare-event suites share (tests/testing_rare.h). */
#include "tests/testing_rare.h"

#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>

#include "models/rare.h"
#include "tests/testing.h"

void testing_rare_scenario(scenario *sc, const char *path,
                           const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    int ok = scenario_load(sc, path, err, sizeof err) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = !sets[i] || scenario_set(sc, sets[i], err, sizeof err) == 0;
    ok = ok && scenario_validate(sc, err, sizeof err) == 0;
    if (!ok) fprintf(stderr, "\n    %s: %s\n", path, err);
    CU_ASSERT_FATAL(ok);
}

void testing_rare_runs(scenario *sc, double boost, run_summary **plain,
                       run_summary **rare) {
    char err[256];
    *plain = run_scenario(sc, err, sizeof err);
    CU_ASSERT_FATAL(*plain != NULL);
    sc->rare_boost = boost > 0 ? boost : rare_auto_boost(sc);
    *rare = run_scenario(sc, err, sizeof err);
    CU_ASSERT_FATAL(*rare != NULL);
}

void testing_rare_truth(const char *what, const run_summary *s, double truth) {
    run_stat st = run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION);
    printf("\n    %s: --rare %.6g +- %.3g, true %.6g (%llu boosted faults, "
           "boost %g)\n", what, st.mean, st.ci95, truth,
           (unsigned long long)s->rare_faults, s->rare_boost);
    EXPECT(fabs(st.mean - truth) <= st.ci95, "%s: true %.6g outside %.6g +- "
           "%.3g", what, truth, st.mean, st.ci95);
    EXPECT(st.ci95 < 0.25 * truth, "%s: +- %.3g of %.6g", what, st.ci95,
           truth);
    EXPECT(s->rare_faults > 500, "%s: %llu boosted faults", what,
           (unsigned long long)s->rare_faults);
}

void testing_rare_agree(const char *what, world_metric m,
                        const run_summary *plain, const run_summary *rare) {
    run_stat a = run_summary_stat(plain, m), b = run_summary_stat(rare, m);
    printf("\n    %s, %s: plain %.6g +- %.3g, --rare %.6g +- %.3g (boost %g, "
           "%llu boosted faults)\n", what, world_metric_name(m), a.mean,
           a.ci95, b.mean, b.ci95, rare->rare_boost,
           (unsigned long long)rare->rare_faults);
    EXPECT(fabs(a.mean - b.mean) <= sqrt(a.ci95 * a.ci95 + b.ci95 * b.ci95),
           "%s %s: plain %.6g +- %.3g, rare %.6g +- %.3g", what,
           world_metric_name(m), a.mean, a.ci95, b.mean, b.ci95);
}
