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

.PHONY: all deps run test unit e2e bench soak clean
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

clean:
	rm -rf build build-san $(BIN) .kennis-build

-include $(wildcard $(BUILD)/*.d)
