# kennis: plain GNU make. `make run` serves a demo wiki, `make test` runs the whole suite.
# make SAN=address,undefined test   builds and tests with sanitizers (objects in build-san/).

CC      ?= cc
PKGS    := libgit2 libcmark-gfm libmicrohttpd sqlite3 libsodium yaml-0.1 libpq libcurl jansson
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2
ifdef WERROR
WARN    += -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions -lpthread -lm

ifdef SAN
BUILD   := build-san
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   := build
SANFLAGS :=
endif

SRCS    := $(wildcard src/*.c)
OBJS    := $(SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/assets.o
LIBOBJS := $(filter-out $(BUILD)/main.o,$(OBJS))
ASSETS  := $(sort $(wildcard templates/*.html templates/*.xml) $(wildcard static/*) $(wildcard starter/*.md starter/*/*.md))
UNIT    := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNIT:tests/unit/%.c=$(BUILD)/%)
BIN     := kennis

ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Isrc -MMD -MP

.PHONY: all deps run test unit e2e bench soak clean fuzz fuzz-build fuzz-smoke
all: $(BIN)

# With SAN set the binary is ./kennis too (rebuilt from build-san/), so tests always run ./kennis.
$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(OBJS) $(PKG_LIBS)
	@echo "$(BUILD)" > .kennis-build

# Relink when switching between sanitized and plain builds.
ifneq ($(shell cat .kennis-build 2>/dev/null),$(BUILD))
.PHONY: $(BIN)
endif

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/assets.c: $(ASSETS) tools/embed.sh | $(BUILD)
	sh tools/embed.sh $(ASSETS) > $@

$(BUILD)/assets.o: $(BUILD)/assets.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c $(LIBOBJS) tests/unit/tap.h
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS) $(PKG_LIBS)

$(BUILD):
	mkdir -p $@

deps:
	@sh tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory $(BIN)
	@test -d data || ./$(BIN) init data
	./$(BIN) serve --data data --listen 127.0.0.1:8080

unit: $(UNITBIN)
	@for t in $(UNITBIN); do echo "# $$t"; ./$$t || exit 1; done

test: deps
	@$(MAKE) --no-print-directory $(BIN) $(UNITBIN)
	prove -j2 --timer $(UNITBIN) $(sort $(wildcard tests/t[0-9]*.sh))

bench: $(BIN)
	@sh bench/run.sh

# The crash test of the suite (tests/t0470-crash.sh) at length: 50 kill -9 under a heavier
# write load (a few minutes). CRASH_KILLS=N make soak for more. The same for the nodes of
# docs/deploy.md: 20 failovers (t0910) and a replica that misses 500 edits (t0920).
soak: $(BIN)
	CRASH_KILLS=$${CRASH_KILLS:-50} CRASH_EDITORS=$${CRASH_EDITORS:-4} prove -v --timer tests/t0470-crash.sh
	FAILOVER_KILLS=$${FAILOVER_KILLS:-20} CATCHUP_EDITS=$${CATCHUP_EDITS:-500} prove -v --timer \
		tests/t0910-failover.sh tests/t0920-catchup.sh

# Fuzzing (docs/security.md#fuzzing): libFuzzer targets tests/fuzz/fuzz_*.c, built with clang,
# ASan and UBSan into build-fuzz/ from the same sources (the gcc build is untouched).
# make fuzz         each target for FUZZ_SECONDS (120), FUZZ_JOBS (2) at a time; new inputs
#                   go to build-fuzz/corpus/T, failing inputs to build-fuzz/T-crash-*
# make fuzz-smoke   each for FUZZ_SMOKE_SECONDS (20): what CI runs (.ci/run)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 120
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_JOBS    ?= 2
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The same warnings as gcc's build, less two clang-only false alarms (a string split over lines
# in a designated initializer; vsnprintf on a va_list's format, which gcc does not flag).
FUZZ_CFLAGS   = $(WARN) -Wno-string-concatenation -Wno-format-nonliteral -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -Isrc -MMD -MP
FUZZ_LIBOBJS := $(filter-out $(FUZZ_BUILD)/main.o,$(SRCS:src/%.c=$(FUZZ_BUILD)/%.o)) $(FUZZ_BUILD)/assets.o
FUZZ_NAMES   := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/%.o: src/%.c | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/assets.c: $(ASSETS) tools/embed.sh | $(FUZZ_BUILD)
	sh tools/embed.sh $(ASSETS) > $@

$(FUZZ_BUILD)/assets.o: $(FUZZ_BUILD)/assets.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# An archive, so each target links only the objects it needs.
$(FUZZ_BUILD)/libkennis.a: $(FUZZ_LIBOBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_LIBOBJS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_BUILD)/libkennis.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libkennis.a $(PKG_LIBS)

$(FUZZ_BUILD):
	mkdir -p $@

fuzz-build: $(FUZZ_BINS)

# FUZZ_TARGETS="render search" runs only those.
FUZZ_TARGETS ?= $(FUZZ_NAMES)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-san $(FUZZ_BUILD) $(BIN) .kennis-build

-include $(wildcard $(BUILD)/*.d)
-include $(wildcard $(FUZZ_BUILD)/*.d)
