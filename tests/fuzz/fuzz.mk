# Fuzz targets: build rules shared by run.sh (libFuzzer) and check.sh /
# `make fuzz-replay` (the standalone replay driver, any C11 compiler).
#
#   make -f tests/fuzz/fuzz.mk replay  [CC=cc]     build/fuzz/replay/replay_<target>
#   make -f tests/fuzz/fuzz.mk fuzzers CC=clang    build/fuzz/libfuzzer/<target>
#
# The library sources are compiled here on their own (not taken from the
# main build) so that the fuzzers get coverage instrumentation and the
# replay build does not depend on which BUILD directory `make` used.

CC      ?= cc
FUZZ_BUILD ?= build/fuzz
WARN     = -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
CPPFLAGS = -Ic_src -Itests/fuzz -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
LIBS     = -l:libjansson.a -lcurl -pthread

LIB_SRC  = $(wildcard c_src/util/*.c c_src/scp/*.c c_src/net/*.c \
                      c_src/join/*.c c_src/report/*.c c_src/rest/*.c) \
           $(filter-out %_main.c,$(wildcard c_src/cmd/*.c)) \
           $(wildcard c_src/modinput/*.c)
TARGETS  = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

# Replay: plain build, optimised a little, with the input against a guard
# page (replay_main.c).  REPLAY_SAN may add sanitizers (check.sh tries ASan).
RB       = $(FUZZ_BUILD)/replay
REPLAY_SAN ?=
R_CFLAGS = -std=c11 -O1 -g $(WARN) $(REPLAY_SAN)
R_OBJ    = $(LIB_SRC:%.c=$(RB)/%.o)

# libFuzzer: coverage on every object, ASan + UBSan, UB aborts.
FB       = $(FUZZ_BUILD)/libfuzzer
F_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=all
F_CFLAGS = -std=c11 -O1 -g -fno-omit-frame-pointer $(WARN) $(F_SAN) -fsanitize=fuzzer-no-link
F_OBJ    = $(LIB_SRC:%.c=$(FB)/%.o)

.PHONY: replay fuzzers
.SECONDARY:
replay: $(TARGETS:%=$(RB)/replay_%)
fuzzers: $(TARGETS:%=$(FB)/%)

$(RB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(R_CFLAGS) -MMD -MP -c $< -o $@

$(RB)/libfz.a: $(R_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(RB)/replay_%: $(RB)/tests/fuzz/%.o $(RB)/tests/fuzz/replay_main.o $(RB)/libfz.a
	$(CC) $(REPLAY_SAN) -o $@ $^ $(LIBS)

$(FB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(F_CFLAGS) -MMD -MP -c $< -o $@

$(FB)/libfz.a: $(F_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/fuzz_%: $(FB)/tests/fuzz/fuzz_%.o $(FB)/libfz.a
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

-include $(wildcard $(RB)/*/*/*.d $(RB)/*/*/*/*.d $(FB)/*/*/*.d $(FB)/*/*/*/*.d)
