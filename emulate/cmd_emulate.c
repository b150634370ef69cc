/* `stalesim emulate`: the command line of the emulator (emulate.h). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulate/emulate.h"
#include "emulate/servers.h"
#include "emulate/validate.h"
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/output.h"
#include "sim/fileio.h"

enum {
    EMU_OPT_DURATION = 1, EMU_OPT_SCALE, EMU_OPT_REAL_LATENCY, EMU_OPT_REDIS,
    EMU_OPT_POSTGRES, EMU_OPT_HISTORY, EMU_OPT_VALIDATE, EMU_OPT_FORMAT
};

static const cli_opt emulate_opts[] = {
    {EMU_OPT_DURATION, "--duration", NULL, "D", 0,
     "real time per replication (default run.duration)"},
    {EMU_OPT_SCALE, "--scale", NULL, "F", 0,
     "multiply the read and write rates by F"},
    {EMU_OPT_REAL_LATENCY, "--real-latency", NULL, NULL, 0,
     "add no scenario latency (the servers' own only)"},
    {EMU_OPT_REDIS, "--redis", NULL, "URL", 0,
     "use this Redis (redis://HOST[:PORT][/DB] or\n"
     "unix:PATH); only keys stalesim:emu:* are touched"},
    {EMU_OPT_POSTGRES, "--postgres", NULL, "CONNINFO", 0,
     "use this PostgreSQL (libpq conninfo or URI); only\n"
     "the table stalesim_kv is touched"},
    {EMU_OPT_HISTORY, "--history", NULL, "FILE", 0,
     "replication 0's operations as JSON lines"},
    {EMU_OPT_VALIDATE, "--validate", NULL, NULL, 0,
     "then simulate the scenario with the measured\n"
     "latencies and print predicted against measured"},
    {EMU_OPT_FORMAT, "--format", NULL, "F", 0, "text (default), json or csv"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_emulate_spec = {
    "emulate", "SCENARIO.ini", NULL, 1, emulate_opts,
    "Runs the scenario's workload in real time against a real Redis and\n"
    "a real PostgreSQL and judges what they returned with the same\n"
    "oracle as `run`: stale reads, windows, causes, with the measured\n"
    "latency of every operation.  By default it starts private servers\n"
    "in a temporary directory and removes them afterwards (also after\n"
    "Ctrl-C or an error).  One replication unless the scenario or\n"
    "--reps asks for more.\n",
    NULL};

/* The one mutable global: a signal handler must reach it. */
static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

/* Index of a key in the scenario's key table, or -1. */
static int key_index(const char *section, const char *name) {
    for (size_t i = 0; i < scenario_key_count(); i++)
        if (strcmp(scenario_key_section(i), section) == 0 &&
            strcmp(scenario_key_name(i), name) == 0)
            return (int)i;
    return -1;
}

typedef struct flags {
    const char *file, *format, *history, *duration, *redis, *postgres;
    double scale;
    int real_latency, validate;
} flags;

/* Returns 0, 1 after printing the help, or -1 after an error. */
static int parse_flags(int argc, char **argv, flags *fl, cli_overrides *sets) {
    cli_args args;
    cli_args_init(&args, &cmd_emulate_spec, argc, argv, sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        switch (id) {
        case CLI_HELP: cli_usage(stdout, &cmd_emulate_spec); return 1;
        case CLI_ERROR: return -1;
        case EMU_OPT_REAL_LATENCY: fl->real_latency = 1; break;
        case EMU_OPT_VALIDATE: fl->validate = 1; break;
        case EMU_OPT_FORMAT: fl->format = v; break;
        case EMU_OPT_HISTORY: fl->history = v; break;
        case EMU_OPT_DURATION: fl->duration = v; break;
        case EMU_OPT_REDIS: fl->redis = v; break;
        case EMU_OPT_POSTGRES: fl->postgres = v; break;
        case EMU_OPT_SCALE: {
            char *end;
            fl->scale = strtod(v, &end);
            if (end == v || *end || !(fl->scale > 0) || fl->scale > 1e6) {
                cli_fail(CLI_EXIT_INPUT, "--scale: '%s' is not a factor > 0", v);
                return -1;
            }
            break;
        }
        default: /* CLI_OPERAND */
            if (fl->file) {
                cli_fail_extra(&cmd_emulate_spec, "scenario file", fl->file, v);
                return -1;
            }
            fl->file = v;
        }
    }
    if (!fl->file) {
        cli_fail(CLI_EXIT_INPUT, "emulate: a scenario file is needed "
                             "(stalesim emulate --help)");
        return -1;
    }
    return 0;
}

/* --duration, --scale and the one-replication default, over the loaded
 * scenario.  Returns 0 or an exit code. */
static int adjust(scenario *sc, const flags *fl, const cli_overrides *sets) {
    char err[1024], set[128];
    int reps_given = sc->line[key_index("run", "reps")] != 0;
    for (int i = 0; sets && i < sets->n; i++)
        if (strncmp(sets->item[i].text, "run.reps=", 9) == 0) reps_given = 1;
    if (!reps_given && scenario_set(sc, "run.reps=1", err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    if (fl->duration) {
        snprintf(set, sizeof set, "run.duration=%s", fl->duration);
        if (scenario_set(sc, set, err, sizeof err) != 0)
            return cli_fail(CLI_EXIT_INPUT, "--duration: '%s': %s", fl->duration,
                            strstr(err, "': ") ? strstr(err, "': ") + 3 : err);
    }
    if (fl->scale > 0) {
        snprintf(set, sizeof set, "workload.reads=%.17g/s",
                 sc->workload.reads * fl->scale);
        int bad = scenario_set(sc, set, err, sizeof err) != 0;
        snprintf(set, sizeof set, "workload.writes=%.17g/s",
                 sc->workload.writes * fl->scale);
        bad = bad || scenario_set(sc, set, err, sizeof err) != 0;
        if (bad) return cli_fail(CLI_EXIT_INPUT, "--scale: %s", err);
    }
    if (scenario_validate(sc, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    if (emu_check_scenario(sc, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s: %s", sc->path, err);
    return CLI_EXIT_OK;
}

/* The measured latencies as output.c prints them. */
static void attach_measured(emu_result *r) {
    static const char *const names[EMU_OP_COUNT][EMU_PART_COUNT] = {
        {"get_request", "get_response", "get"},
        {"set_request", "set_response", "set"},
        {"del_request", "del_response", "del"},
        {"db_read_request", "db_read_response", "db_read"},
        {"db_write_request", "db_write_response", "db_write"}};
    static const emu_part order[3] = {EMU_TOTAL, EMU_REQUEST, EMU_RESPONSE};
    run_summary *s = r->sum;
    s->nmeasured = 0;
    for (int k = 0; k < EMU_OP_COUNT; k++)
        for (int p = 0; p < 3; p++) {
            s->measured_name[s->nmeasured] = names[k][order[p]];
            s->measured[s->nmeasured++] = &r->latency[k][order[p]];
        }
}

/* The private servers for what --redis and --postgres do not name; their
 * addresses into target. */
static int start_servers(const scenario *sc, const flags *fl,
                         emu_target *target, emu_servers **servers) {
    char err[1024];
    unsigned threads = sc->workload.clients < EMU_MAX_THREADS
                           ? sc->workload.clients
                           : EMU_MAX_THREADS;
    *servers = emu_servers_start(!fl->redis, !fl->postgres, threads, err,
                                 sizeof err);
    if (!*servers) return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (!fl->redis)
        snprintf(target->redis, sizeof target->redis, "unix:%s",
                 emu_servers_redis_socket(*servers));
    if (!fl->postgres)
        snprintf(target->pg, sizeof target->pg, "%s",
                 emu_servers_pg_conninfo(*servers));
    return CLI_EXIT_OK;
}

/* The run's summary (or --validate's comparison) on stdout, with its notes. */
static int print_result(const scenario *sc, const flags *fl,
                        output_format format, emu_result *res) {
    char err[1024];
    attach_measured(res);
    if (res->clock_conflicts && format == OUTPUT_FORMAT_TEXT)
        fprintf(stderr, "stalesim: note: %llu facts the clocks could not "
                        "order (see docs/emulate.md)\n",
                (unsigned long long)res->clock_conflicts);
    if (fl->validate) {
        if (emu_validate(sc, res, format, stdout, err, sizeof err) != 0)
            return cli_fail(CLI_EXIT_RUNTIME, "--validate: %s", err);
    } else if (output_summary(stdout, format, sc, res->sum) != 0) {
        return cli_fail(CLI_EXIT_RUNTIME, "writing the results: %s",
                        strerror(errno));
    }
    if (res->late_starts && format == OUTPUT_FORMAT_TEXT)
        printf("%llu requests started more than 1 ms after their arrival "
               "(%llu client threads)\n",
               (unsigned long long)res->late_starts,
               (unsigned long long)res->threads);
    return CLI_EXIT_OK;
}

int cmd_emulate(int argc, char **argv) {
    flags fl = {0};
    fl.format = "text";
    cli_overrides sets = {0};
    scenario sc;
    memset(&sc, 0, sizeof sc);
    emu_servers *servers = NULL;
    emu_result *res = NULL;
    FILE *hist = NULL; /* histf.f while it is being written */
    sim_outfile histf;
    memset(&histf, 0, sizeof histf);
    char err[1024];
    struct sigaction sa, old_int, old_term;
    int caught = 0;
    int code = parse_flags(argc, argv, &fl, &sets);
    if (code != 0) {
        code = code > 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
        goto out;
    }
    output_format format;
    if (output_parse_format(fl.format, &format) != 0) {
        code = cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text, json or csv",
                        fl.format);
        goto out;
    }
    emu_options opt;
    memset(&opt, 0, sizeof opt);
    if (fl.redis && emu_parse_redis(fl.redis, &opt.target, err, sizeof err)) {
        code = cli_fail(CLI_EXIT_INPUT, "%s", err);
        goto out;
    }
    if (fl.postgres) snprintf(opt.target.pg, sizeof opt.target.pg, "%s", fl.postgres);
    code = cli_load_scenario(&sc, fl.file, &sets);
    if (code != CLI_EXIT_OK) goto out;
    if ((code = adjust(&sc, &fl, &sets)) != CLI_EXIT_OK) goto out;
    /* Written under a temporary name, renamed only once whole. */
    char why[256];
    if (fl.history &&
        (code = cli_open_output(&histf, "--history", fl.history)) != CLI_EXIT_OK)
        goto out;
    hist = histf.f;
    stop_flag = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    caught = 1;
    code = CLI_EXIT_RUNTIME;
    if ((!fl.redis || !fl.postgres) &&
        start_servers(&sc, &fl, &opt.target, &servers) != CLI_EXIT_OK)
        goto out;
    opt.real_latency = fl.real_latency;
    opt.progress = isatty(STDERR_FILENO) ? stderr : NULL;
    opt.history = hist;
    opt.stop = &stop_flag;
    int rc = stop_flag ? 1 : emu_run(&sc, &opt, &res, err, sizeof err);
    emu_servers_stop(servers); /* before printing: nothing left running */
    servers = NULL;
    if (rc > 0 || stop_flag) {
        cli_fail(CLI_EXIT_RUNTIME, "interrupted; the private servers are stopped "
                               "and removed");
        goto out;
    }
    if (rc < 0) {
        cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    if (hist) {
        hist = NULL;
        if (sim_outfile_commit(&histf, why, sizeof why) != 0) {
            cli_fail(CLI_EXIT_RUNTIME, "--history: writing '%s' failed: %s",
                     fl.history, why);
            goto out;
        }
    }
    code = print_result(&sc, &fl, format, res);
out:
    emu_servers_stop(servers);
    if (caught) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    sim_outfile_abort(&histf);
    emu_result_destroy(res);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}
