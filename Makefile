# stalesim build.  `make` builds ./stalesim; `make test` runs the CUnit suites;
# `make demo` runs a scenario, a sweep and its design review (demo/review.md);
# `make bench` prints speed and memory figures.
# Every target that builds first runs `deps`, which apt-installs missing Debian packages.

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := gsl sqlite3 cunit inih hiredis libpq jansson
DEBS    := libgsl-dev libsqlite3-dev libcunit1-dev libinih-dev gnuplot-nox pkg-config \
           redis-server libhiredis-dev postgresql libpq-dev libjansson-dev \
           sqlite3 openmpi-bin libopenmpi-dev
# `make fuzz` only: afl++ (it brings clang, which afl-clang-fast drives).
FUZZ_DEBS := afl++

# MPI=1 (default): compiled by OpenMPI's mpicc with the MPI transport of
# sweeps (mpirun -n N stalesim sweep ...).  MPI=0: plain $(CC), no MPI.
# Switching rebuilds every object (the stamp file below).
MPI     ?= 1
ifeq ($(MPI),1)
CC      := mpicc
MPI_DEFS := -DSTALESIM_MPI
endif

OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes
# HAVE_INLINE: GSL's generator calls (gsl_rng_get, _uniform, _uniform_int) inline.
DEFS    := -D_POSIX_C_SOURCE=200809L -DHAVE_INLINE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = $(OPT) $(WARN) $(DEFS) $(MPI_DEFS) -pthread -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LIBS_ALL   = $(PKG_LIBS) -lm -pthread $(EXTRA_LDFLAGS)

BUILD   ?= build
LIB_SRC := $(wildcard sim/*.c models/*.c plots/*.c emulate/*.c) \
           $(filter-out experiments/main.c,$(wildcard experiments/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(filter-out tests/bench.c tests/ziggurat_gen.c,$(wildcard tests/*.c)) \
            tests/fuzz/harness.c tests/fuzz/memvfs.c
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps test test-asan demo bench validate install clean docs fuzz fuzz-deps \
        ziggurat-tables

all: deps stalesim

# Installs what is missing, once; a no-op when everything is present.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root or install:$$missing" >&2; exit 2; fi; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	    >/dev/null || { echo "apt-get install failed:$$missing" >&2; exit 2; }; \
	fi

stalesim: $(BUILD)/experiments/main.o $(BUILD)/libstalesim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BUILD)/libstalesim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Objects of the other MPI setting are rebuilt.
MPI_STAMP := $(BUILD)/.mpi-$(MPI)
$(MPI_STAMP):
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/.mpi-*
	@touch $@

$(BUILD)/%.o: %.c $(wildcard sim/*.h models/*.h experiments/*.h plots/*.h emulate/*.h tests/*.h tests/fuzz/*.h) $(MPI_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libstalesim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# The CLI tests call ./stalesim, so it is built first.
test: deps stalesim $(BUILD)/run_tests
	$(BUILD)/run_tests

# Sanitizer build of the same suites, in its own build directory.
test-asan: deps
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build-asan/run_tests stalesim-asan
	STALESIM=./stalesim-asan build-asan/run_tests

stalesim-asan: $(BUILD)/experiments/main.o $(BUILD)/libstalesim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# Fuzzing (docs/hardening.md): the harnesses of tests/fuzz/ run by libFuzzer
# (default; build-fuzz-lf/, clang -fsanitize=fuzzer, in-process) or by afl++
# (FUZZ_ENGINE=afl; build-fuzz/, afl-clang-fast, persistent mode), each for
# FUZZ_SECONDS, one after the other, under nice -n FUZZ_NICE; a table of
# executions, crashes and hangs per harness at the end (exit 1 if any).
# FUZZ=NAMES picks harnesses; FUZZ_RUNS=N also stops each after about N
# executions.  The corpus in BUILD/out/ is kept, so a second run goes on.
FUZZ_SECONDS ?= 60
FUZZ ?= scenario vary twitter csv db runjson
FUZZ_ENGINE ?= libfuzzer
FUZZ_NICE ?= 19
FUZZ_RUNS ?=
FUZZ_OBJ = $(BUILD)/tests/fuzz/harness.o $(BUILD)/tests/fuzz/memvfs.o $(BUILD)/libstalesim.a
fuzz-deps:
	@dpkg -s $(FUZZ_DEBS) >/dev/null 2>&1 || $(MAKE) deps DEBS="$(FUZZ_DEBS)"

fuzz: deps fuzz-deps stalesim
ifeq ($(FUZZ_ENGINE),afl)
	$(MAKE) BUILD=build-fuzz CC=afl-clang-fast MPI=0 EXTRA_CFLAGS=-Wno-error \
	  build-fuzz/fuzz-afl
	FUZZ_NICE=$(FUZZ_NICE) FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh afl build-fuzz $(FUZZ_SECONDS) $(FUZZ)
else
	$(MAKE) BUILD=build-fuzz-lf CC=clang MPI=0 \
	  EXTRA_CFLAGS="-Wno-error -fsanitize=fuzzer-no-link" build-fuzz-lf/fuzz-lf
	FUZZ_NICE=$(FUZZ_NICE) FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh libfuzzer build-fuzz-lf $(FUZZ_SECONDS) $(FUZZ)
endif

$(BUILD)/fuzz-lf: $(BUILD)/tests/fuzz/libfuzzer_main.o $(FUZZ_OBJ)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(LIBS_ALL)

$(BUILD)/fuzz-afl: $(BUILD)/tests/fuzz/afl_main.o $(FUZZ_OBJ)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# The demo: the account-limits scenario run once, then a small sweep of it
# (3 patterns x 2 TTLs x 5 replications of 10 simulated minutes) and its
# design review, demo/review.md with its plots beside it.  Two of the plots
# are copied to docs/ for the README (committed; demo/ is not).  About 20 s
# on 2 cores (15 s of it the single run).
DEMO_DB := demo/stalesim.db
demo: deps stalesim
	./stalesim run experiments/scenarios/account-limits.ini
	@mkdir -p demo docs
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	./stalesim sweep experiments/scenarios/account-limits.ini \
	  --vary cache.pattern=cache-aside,ttl-only,write-through \
	  --vary cache.ttl=30s,300s --set run.duration=10m --reps 5 --db $(DEMO_DB)
	./stalesim report $(DEMO_DB) -o demo/review.md
	cp demo/review-window-cdf.png docs/window-cdf.png
	cp demo/review-tradeoff.png docs/tradeoff.png

$(BUILD)/stalesim-bench: $(BUILD)/tests/bench.o $(BUILD)/libstalesim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# The exponential sampler's constant tables (sim/ziggurat.h), written from
# their derivation; suite "ziggurat" checks that the committed file matches.
$(BUILD)/ziggurat-gen: $(BUILD)/tests/ziggurat_gen.o $(BUILD)/sim/ziggurat_derive.o
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

ziggurat-tables: $(BUILD)/ziggurat-gen
	$(BUILD)/ziggurat-gen > sim/ziggurat_layers.c

# The sweep lines run ./stalesim (and mpirun when present).
bench: deps stalesim $(BUILD)/stalesim-bench
	$(BUILD)/stalesim-bench

# Long statistical validations: tight closed-form checks with many replications.
validate: deps stalesim $(BUILD)/run_tests
	STALESIM_VALIDATE=1 $(BUILD)/run_tests

# The catalog keeps its layout so that scenarios find their trace fixtures.
SHARE = $(DESTDIR)$(PREFIX)/share/stalesim
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/experiments/scenarios \
	  $(SHARE)/tests/fixtures
	install -m 755 stalesim $(DESTDIR)$(PREFIX)/bin/stalesim
	install -m 644 experiments/scenarios/*.ini $(SHARE)/experiments/scenarios/
	install -m 644 tests/fixtures/*.trace tests/fixtures/*.csv $(SHARE)/tests/fixtures/
	@echo "installed $(DESTDIR)$(PREFIX)/bin/stalesim"
	@if [ -z "$(DESTDIR)" ]; then case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	  *) echo "note: $(PREFIX)/bin is not on PATH: add it, or run ./stalesim from here" >&2 ;; \
	  esac; fi

# The references the program knows, regenerated (a test checks they match).
docs: stalesim
	{ sed '/^<!-- generated/q' docs/keys.md; ./stalesim keys; } > docs/keys.md.new
	mv docs/keys.md.new docs/keys.md

clean:
	rm -rf build build-asan build-fuzz stalesim stalesim-asan
