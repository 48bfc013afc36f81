# TA-dnsjoin: one plain Makefile.
#   make            build bin/dnsjoin, bin/scpdrive, bin/dnsmasq_log
#   make test       unit + protocol tests (cmocka), app checks
#   make asan       the whole test suite under ASan+UBSan
#   make tsan       the suites that start a thread, under TSan
#   make demo       run the story through scpdrive
#   make bench      throughput and peak RSS (see README.md)
#   make soak       50M events through join and profile (bench/README.md)
#   make deps       install missing build dependencies (root + apt) or say how
#   make small-limits  build/limits/{dnsjoin,dnsmasq_log} with tiny limits (tests/limits)

CC      ?= cc
OPT     ?= -O2
BUILD   ?= build
BIN     ?= bin
SAN     ?=
WARN     = -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
# -iquote: c_src/limits.h must not hide the C library's <limits.h> from the
# headers of the libraries we include (mbedTLS's in the release build).
CPPFLAGS = -iquote c_src -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
# The add-on's version (app.conf [launcher]), which dnsjoin reports in its
# summary message, so the setup page can tell a stale binary.
TA_VERSION := $(shell sed -n 's/^version *= *//p' default/app.conf | head -n 1)
VERSION_FLAGS = -DTA_VERSION='"$(TA_VERSION)"'
CFLAGS   = -std=c11 $(OPT) -g -pthread $(WARN) $(SAN) $(EXTRA_CFLAGS)
LDFLAGS  = -pthread $(SAN) $(EXTRA_LDFLAGS)

# jansson is linked statically so a Splunk host needs no jansson.
JANSSON  = -l:libjansson.a
CURL     = -lcurl
CMOCKA   = -lcmocka

DEB_PKGS = build-essential libjansson-dev libcurl4-openssl-dev libcmocka-dev python3 gzip openssl

# c_src/cmd holds the command front-ends (library) and the three mains.
LIB_SRC  = $(wildcard c_src/util/*.c c_src/scp/*.c c_src/net/*.c \
                      c_src/join/*.c c_src/report/*.c c_src/rest/*.c) \
           $(filter-out %_main.c,$(wildcard c_src/cmd/*.c))
MOD_SRC  = $(wildcard c_src/modinput/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
MOD_OBJ  = $(MOD_SRC:%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/libdnsjoin.a
MODLIB   = $(BUILD)/libmodinput.a

PROGS    = $(BIN)/dnsjoin $(BIN)/scpdrive
ifneq ($(MOD_SRC),)
PROGS   += $(BIN)/dnsmasq_log
endif

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUP = $(wildcard tests/unit/support/*.c)
TEST_SUP_OBJ = $(TEST_SUP:%.c=$(BUILD)/%.o)

.SECONDARY:
.PHONY: all deps test test-build asan tsan demo bench soak clean valgrind small-limits
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MODLIB): $(MOD_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Rebuilt when the version changes (app.conf), so the message never lies.
$(BUILD)/c_src/cmd/join_cmd.o: CPPFLAGS += $(VERSION_FLAGS)
$(BUILD)/c_src/cmd/join_cmd.o: default/app.conf

$(BIN)/dnsjoin: $(BUILD)/c_src/cmd/dnsjoin_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON) $(CURL)

$(BIN)/scpdrive: $(BUILD)/c_src/cmd/scpdrive_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON)

$(BIN)/dnsmasq_log: $(BUILD)/c_src/cmd/dnsmasq_log_main.o $(MODLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON) $(CURL)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -Wno-missing-prototypes \
	    -o $@ $^ $(JANSSON) $(CURL) $(CMOCKA)

# The modular input's suites also link its library (the more specific
# pattern wins).
$(BUILD)/tests/test_dnsmasq_%: tests/unit/test_dnsmasq_%.c $(TEST_SUP_OBJ) $(MODLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -Wno-missing-prototypes \
	    -o $@ $^ $(JANSSON) $(CURL) $(CMOCKA)

# dnsmasq_log with tests/dnsmasq/faultio.c linked in: every read and write
# moves one byte or fails with EINTR/EAGAIN.  A test build only, outside
# $(BIN); tests/dnsmasq/check.sh runs its kill-and-restart check with it.
FAULT_MOD = $(BUILD)/tests/dnsmasq_log_faultio
$(FAULT_MOD): $(BUILD)/c_src/cmd/dnsmasq_log_main.o $(BUILD)/tests/dnsmasq/faultio.o \
              $(MODLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON) $(CURL)

# dnsjoin built with JOIN_HELD_PLAIN_MAX=0, so that every held row is
# packed: tests/unit/test_join.c runs its cases and random streams with it
# too (DNSJOIN_PACKED).  A test build only, outside $(BIN).
PACKED_JOIN = $(BUILD)/tests/dnsjoin_packed
$(BUILD)/tests/packed/join.o: c_src/join/join.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DJOIN_HELD_PLAIN_MAX=0 -MMD -MP -c $< -o $@
$(PACKED_JOIN): $(BUILD)/c_src/cmd/dnsjoin_main.o $(BUILD)/tests/packed/join.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON) $(CURL)

deps:
	@sh tests/deps.sh $(DEB_PKGS)

# Unit tests and protocol tests are all cmocka suites; the protocol suites
# drive $(BIN)/dnsjoin and $(BIN)/scpdrive as separate processes.
# The story generator is test input for the join suites.
$(BUILD)/gen_story: bench/gen_story.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# The commands find their lookups in <app>/lookups, the app being the
# folder above their bin/.  A build outside bin/ (asan, tsan) gets a link to
# the project's lookups there, so it reads what bin/dnsjoin reads.
APP_LOOKUPS =
ifneq ($(BIN),bin)
APP_LOOKUPS = $(dir $(BIN))lookups
$(APP_LOOKUPS):
	@mkdir -p $(dir $@)
	ln -sfn $(CURDIR)/lookups $@
endif

# What the suites run; `make -j2 test-build` builds it on two cores, as
# .ci/run does before `make test`.
TEST_BUILD = $(PROGS) $(UNIT_BIN) $(BUILD)/gen_story $(FAULT_MOD) $(PACKED_JOIN) $(APP_LOOKUPS)
test-build: $(TEST_BUILD)

# Script-level checks run first so the output ends with cmocka's summaries.
test: deps $(TEST_BUILD)
	@DNSMASQ_LOG_FAULTIO=$(FAULT_MOD) sh tests/run_scripts.sh $(BIN)
	@GEN_STORY=$(BUILD)/gen_story DNSJOIN_PACKED=$(PACKED_JOIN) \
	    sh tests/run_unit.sh $(BUILD)/tests $(BIN)

# The real-dnsmasq captures run against one release (trixie) here: make
# test runs both.
asan:
	REAL_SUITES=trixie $(MAKE) BUILD=build/asan BIN=build/asan/bin CC=clang \
	    OPT="-O1 -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" test

# The suites whose commands start a thread (util/worker: the reporting
# commands join on one, dnsprofile counts on another), under ThreadSanitizer;
# the fault suite tries every 7th offset and allocation there (every one in
# make test and make asan).
TSAN_SUITES = test_early_reply test_worker test_profile_order test_profile_reply test_fault_join test_profile
tsan:
	$(MAKE) BUILD=build/tsan BIN=build/tsan/bin CC=clang OPT="-O1" SAN="-fsanitize=thread" \
	    build/tsan/bin/dnsjoin build/tsan/bin/scpdrive build/tsan/gen_story build/tsan/lookups \
	    $(TSAN_SUITES:%=build/tsan/tests/%)
	@GEN_STORY=build/tsan/gen_story TSAN_OPTIONS=halt_on_error=1 DNSJOIN_TEST_STRIDE=7 \
	    sh tests/run_unit.sh build/tsan/tests build/tsan/bin $(TSAN_SUITES)

valgrind: deps $(PROGS) $(UNIT_BIN) $(BUILD)/gen_story $(PACKED_JOIN)
	@GEN_STORY=$(BUILD)/gen_story DNSJOIN_PACKED=$(PACKED_JOIN) VALGRIND=1 \
	    sh tests/run_unit.sh $(BUILD)/tests $(BIN)

# Tiny values for the limits in c_src/limits.h, so that tests/limits can go
# past each one with a few kilobytes of input.  REST_RESPONSE_MAX stays at
# 1 MB because dnsjoin.conf sets it in MB.  scpdrive is not rebuilt: the
# tests drive these binaries with the normal one.
SMALL_LIMITS = -DSCP_HEADER_MAX=40 -DSCP_META_MAX=16384 -DSCP_BODY_MAX=262144 \
               -DSCP_REPLY_MAX=131072 -DCSV_FIELD_MAX=1000 -DCSV_COLS_MAX=50 \
               -DCSV_ROWS_MAX=50 -DCSV_NAME_MAX=64 -DCOLS_INTERN_MAX=200 \
               -DARGS_COUNT_MAX=8 -DARG_LEN_MAX=256 -DJOIN_RECORDS_MAX=50 \
               -DJOIN_ANSWERS_PER_IP_MAX=10 \
               -DREPORT_SERIES_MAX=20 -DREPORT_BINS_MAX=100 \
               -DREPORT_CONVERSATIONS_MAX=50 -DREPORT_HOURSET_BYTES_MAX=64 \
               -DMODINPUT_XML_MAX=4096 \
               -DDNSMASQ_LINE_MAX=200 -DDNSMASQ_INFLIGHT_MAX=20 \
               -DDNSMASQ_ANSWERS_MAX=5 -DREST_RESPONSE_MAX=1048576 \
               -DREST_URL_MAX=512 -DPDNS_RECORDS_MAX=50
# Objects depend on their sources, not on flags: a changed SMALL_LIMITS
# starts the build over.
small-limits:
	@mkdir -p build/limits/obj
	@echo '$(SMALL_LIMITS)' | cmp -s - build/limits/obj/.flags || \
	    { rm -rf build/limits; mkdir -p build/limits/obj; echo '$(SMALL_LIMITS)' > build/limits/obj/.flags; }
	$(MAKE) BUILD=build/limits/obj BIN=build/limits EXTRA_CFLAGS="$(SMALL_LIMITS)" \
	    build/limits/dnsjoin build/limits/dnsmasq_log

demo: deps $(PROGS)
	@sh tests/demo.sh $(BIN)

bench: deps $(PROGS) static-x86_64
	@STATIC_BIN=build/static/x86_64/release sh bench/run.sh $(BIN)

# Not a test: 50M events through join and profile (SOAK_EVENTS to change).
soak: deps $(PROGS)
	@sh bench/soak.sh $(BIN)

clean:
	rm -rf build dist $(BIN)/dnsjoin $(BIN)/scpdrive $(BIN)/dnsmasq_log

-include $(wildcard $(BUILD)/c_src/*/*.d $(BUILD)/tests/unit/support/*.d $(BUILD)/tests/dnsmasq/*.d \
                    $(BUILD)/tests/packed/*.d)

-include tests/app/app.mk
-include tests/release/release.mk

# --- hardening: fuzzing and static analysis (tests/fuzz, tests/lint) ------
FUZZ_SECONDS ?= 10
.PHONY: fuzz fuzz-replay lint
# every fuzz target under libFuzzer (clang, ASan+UBSan), FUZZ_SECONDS each
fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)
# the targets built with $(CC) and the replay driver, over corpora + regressions
fuzz-replay:
	$(MAKE) -f tests/fuzz/fuzz.mk CC=$(CC) replay
	@for s in tests/fuzz/fuzz_*.c; do t=$$(basename $$s .c); \
	    build/fuzz/replay/replay_$$t tests/fuzz/corpus/$$t \
	        $$(test -d tests/fuzz/regressions/$$t && echo tests/fuzz/regressions/$$t) || exit 1; \
	done
# clang-tidy and cppcheck over c_src/ (configuration: .clang-tidy, tests/lint/)
lint:
	sh tests/lint/run.sh
