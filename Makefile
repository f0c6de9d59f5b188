# Lockstep - plain Makefile, see README.md.
#
#   make            build bin/ programs into $(BUILD)/bin
#   make check      install missing packages, build with ASan+UBSan, run all
#   make demo       install missing packages, build, run the demo
#   make bench      build optimised, run the benchmarks against references
#   make conformance [CASES=DIR]   run Rego conformance cases
#   make fuzz [FUZZ_SECONDS=N]     build the libFuzzer harnesses of
#                   tests/fuzz/ with clang, run each N s (default 60)
#
# Sources are found by wildcard: common/**.c is libcommon, server/*.c and
# agent/*.c (except their main files) are libserver and libagent, and every
# tests/unit/test_*.c is one cmocka program.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
CFLAGS ?= -O2 -g
BUILD ?= build
SAN ?=
WERROR ?=

PKGS := libgit2 libsodium libarchive libmicrohttpd libcurl jansson libpcre2-8 yaml-0.1 \
	libcrypto gnutls sqlite3 zlib
WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
	-Wformat=2 -Wundef

ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif
# Decision batches are gzip: the agent compresses them with libdeflate
# (agent/decupload.c); the server inflates a whole single member with
# libdeflate and anything else with zlib, a stream with a cap
# (server/decisions.c).
PKGS += zlib nettle libdeflate

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Iinclude -Icommon \
	-MMD -MP $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm -ldl

COMMON_SRC := $(wildcard common/*.c common/rego/*.c common/rego/builtins/*.c)
SERVER_MAINS := server/main.c server/lockstep.c server/lockstep_lite.c
SERVER_SRC := $(filter-out $(SERVER_MAINS),$(wildcard server/*.c))
AGENT_SRC := $(filter-out agent/main.c,$(wildcard agent/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_LIB := $(BUILD)/libcommon.a
SERVER_LIB := $(BUILD)/libserver.a
AGENT_LIB := $(BUILD)/libagent.a
ALL_LIBS := $(SERVER_LIB) $(AGENT_LIB) $(COMMON_LIB)
PROGS := $(BUILD)/bin/lockstep $(BUILD)/bin/lockstep-ops \
	$(BUILD)/bin/lockstep-server $(BUILD)/bin/lockstep-agent
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
AUDIT_TOOL_BINS := $(BUILD)/tests/tools/audit_seed
CONF_BIN := $(BUILD)/tests/conformance-runner

# bench/rego_bench.c counts the Rego arena's chunks by wrapping its entry
# points; the wrap is in this program's link line only.
BENCH_BINS := $(BUILD)/bench/rego-bench $(BUILD)/bench/proctime
BENCH_WRAP := -Wl,--wrap=ls_arena_alloc,--wrap=ls_arena_strndup \
	-Wl,--wrap=ls_arena_free

.PHONY: all tests check demo bench benchprogs conformance deps format \
	lint install clean fuzz fuzz-build
all: $(PROGS)
TOOL_BINS := $(BUILD)/tools/ev-load
tests: $(UNIT_BINS) $(TOOL_BINS) $(AUDIT_TOOL_BINS) \
	$(if $(wildcard tests/conformance/runner.c),$(CONF_BIN))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(SERVER_LIB): $(call obj,$(SERVER_SRC))
$(AGENT_LIB): $(call obj,$(AGENT_SRC))
$(ALL_LIBS):
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# `lockstep` runs the policy commands with the engine's libraries only and
# execs lockstep-ops (everything) for the rest: pre-commit and CI start it
# per commit, and the network and git stacks cost most of a start.  Those
# libraries are linked from Debian's static archives (LITE_STATIC=0 for
# the shared ones): each shared one costs its mapping and relocation at
# every start (bench/doors.sh).  The price: rebuild lockstep when Debian
# updates libsodium, PCRE2, jansson or libyaml; the server, agent and
# lockstep-ops keep the shared ones.  libcrypto is not linked at all: the
# crypto builtins load it on their first call (common/rego/builtins/
# ossl.h).  Packed relative relocations (DT_RELR, where the linker has
# them) keep the program PIE at a tenth of the relocation table.
LITE_PKGS := yaml-0.1 jansson libpcre2-8 libsodium nettle
LITE_STATIC ?= 1
ifeq ($(LITE_STATIC),1)
LITE_LIBS = -Wl,-Bstatic $(shell pkg-config --libs --static $(LITE_PKGS) \
	2>/dev/null | sed 's/-pthread//g; s/-ldl//g') -Wl,-Bdynamic -lpthread -lm -ldl
else
LITE_LIBS = $(shell pkg-config --libs $(LITE_PKGS) 2>/dev/null) -lpthread -lm -ldl
endif
LITE_RELR := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - \
	-o /dev/null -Wl,-z,pack-relative-relocs 2>/dev/null && \
	echo -Wl,-z,pack-relative-relocs)
$(BUILD)/bin/lockstep: $(call obj,server/lockstep_lite.c) $(SERVER_LIB) \
	$(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(LITE_RELR) -Wl,--as-needed -o $@ $< \
		$(SERVER_LIB) $(COMMON_LIB) $(LITE_LIBS)
$(BUILD)/bin/lockstep-ops: $(call obj,server/lockstep.c) $(ALL_LIBS)
$(BUILD)/bin/lockstep-server: $(call obj,server/main.c) $(ALL_LIBS)
$(BUILD)/bin/lockstep-agent: $(call obj,agent/main.c) $(ALL_LIBS)
# --as-needed: each program depends on the libraries it calls (the agent
# neither on libcurl nor on libarchive), whatever the toolchain's default.
$(filter-out $(BUILD)/bin/lockstep,$(PROGS)):
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $< $(ALL_LIBS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS) -lcmocka

# tests/tools/audit_seed.c: decision records for the audit tests and
# bench, appended through the evidence library, linked like the unit tests.
$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS)

$(BUILD)/tools/ev-load: $(call obj,tests/tools/ev_load.c) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS)

$(CONF_BIN): $(call obj,tests/conformance/runner.c) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS)

$(BUILD)/bench/rego-bench: $(call obj,bench/rego_bench.c) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(BENCH_WRAP) -o $@ $< $(ALL_LIBS) $(LIBS)
# bench/proctime.c times whole processes; libc only, so it is also the
# reference program the doors' figures are set beside.
$(BUILD)/bench/proctime: $(call obj,bench/proctime.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $<
benchprogs: $(BENCH_BINS) $(TOOL_BINS) $(AUDIT_TOOL_BINS)

deps:
	@deploy/install-deps.sh

# The sanitizer build and every test: unit, integration, conformance.
# Builds use every core (JOBS=1 to build one file at a time).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	$(MAKE) -j$(JOBS) SAN=1 all tests
	@if tests/fuzz/have-fuzzer.sh $(FUZZ_CC); then \
		$(MAKE) -j$(JOBS) fuzz-build; fi
	tests/run-all.sh build/san

demo: deps
	$(MAKE) -j$(JOBS) all
	deploy/demo.sh $(BUILD)/bin

bench:
	@deploy/install-deps.sh --bench
	$(MAKE) -j$(JOBS) all benchprogs CFLAGS="-O2 -g -DNDEBUG"
	bench/run.sh $(BUILD)/bin

CASES ?= ../shared/rego-conformance
conformance: deps
	$(MAKE) $(CONF_BIN)
	$(CONF_BIN) $(CASES)

# libFuzzer harnesses (tests/fuzz/*.c), built with clang into build/fuzz/
# with their own library objects in build/fuzz/obj, never mixed with the
# gcc ones: the library is instrumented for coverage (fuzzer-no-link), the
# harness links the fuzzer runtime.  tests/fuzz/run.sh runs them.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FUZZ_CFLAGS = $(WARN) -Wno-format-nonliteral -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-D_GNU_SOURCE -DLS_FUZZ -Iinclude -Icommon -Iserver -Iagent -MMD -MP \
	$(PKG_CFLAGS)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB := $(FUZZ_BUILD)/liblockstep.a
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(COMMON_SRC) \
	$(SERVER_SRC) $(AGENT_SRC))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^
$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LIBS)
fuzz-build: $(FUZZ_BINS)
fuzz: deps
	$(MAKE) fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

SOURCES = $(shell find include common server agent tests -name '*.[ch]')
format:
	clang-format -i $(SOURCES)
LINT_JOBS ?= 2
lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 -Iinclude -Icommon \
		--suppress=missingIncludeSystem --inline-suppr -j$(LINT_JOBS) \
		common server agent
	find common server agent tests bench -name '*.c' | \
		xargs -P$(LINT_JOBS) -n8 sh -c 'clang-tidy --quiet "$$@" -- \
		-std=c11 -D_GNU_SOURCE -Iinclude -Icommon $(PKG_CFLAGS)' lint

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
