/* The registry of measures (models/measures.h): names, units, labels and
 * docs of the metrics, distributions and per-family figures. */
#include "models/world.h"

static const struct {
    const char *name, *unit, *label, *brief, *doc;
    int shown, scale;
} metric_info[WORLD_METRIC_COUNT] = {
#define WORLD_METRIC_INFO(id, name, unit, shown, scale, label, brief, doc)    \
    {name, unit, label, brief, doc, shown, scale},
    WORLD_METRICS(WORLD_METRIC_INFO)
#undef WORLD_METRIC_INFO
};

static const struct {
    const char *name, *doc;
} dist_info[WORLD_DIST_COUNT] = {
#define WORLD_DIST_INFO(id, name, doc) {name, doc},
    WORLD_DISTS(WORLD_DIST_INFO)
#undef WORLD_DIST_INFO
};

static const char *const family_figure_names[WORLD_FIGURE_COUNT] = {
#define WORLD_FIGURE_NAME(id, name, doc) name,
    WORLD_FAMILY_FIGURES(WORLD_FIGURE_NAME)
#undef WORLD_FIGURE_NAME
};

const world_dist world_family_dist[WORLD_FDIST_COUNT] = {
#define WORLD_FAMILY_DIST(id, ...) WORLD_DIST_##id,
    WORLD_DISTS(WORLD_FAMILY_DIST)
#undef WORLD_FAMILY_DIST
};

const char *world_family_figure_name(world_family_figure f) {
    return family_figure_names[f];
}

const char *world_metric_name(world_metric m) { return metric_info[m].name; }
const char *world_metric_doc(world_metric m) { return metric_info[m].doc; }
const char *world_metric_unit(world_metric m) { return metric_info[m].unit; }
const char *world_metric_label(world_metric m) { return metric_info[m].label; }
const char *world_metric_brief(world_metric m) {
    return metric_info[m].brief ? metric_info[m].brief : metric_info[m].name;
}
int world_metric_shown(world_metric m) { return metric_info[m].shown; }
int world_metric_scale(world_metric m) { return metric_info[m].scale; }
const char *world_dist_name(world_dist d) { return dist_info[d].name; }
const char *world_dist_doc(world_dist d) { return dist_info[d].doc; }
