# svcnft: Kubernetes Services as nftables rules.
#
#   make deps      install the Debian packages the build and the tests need (root)
#   make           build ./svcnft
#   make check     every test tier: unit, golden, kernel (root), traffic (root), agent (root)
#   make asan      the same unit and golden tiers under AddressSanitizer + UBSan
#   make fuzz      build the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan
#   make fuzz-smoke   each fuzz target for a few seconds over its seed corpus (CI)
#   make golden-update   rewrite golden/*/expected.nft from the current compiler (review the diff)
#   make install   install the binary under $(PREFIX)

PREFIX ?= /usr/local
CC ?= cc
BUILD ?= build

PKGS := libnftnl libmnl yaml-0.1 libcjson libnetfilter_conntrack libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wno-unused-parameter
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -I. $(PKG_CFLAGS) -D_GNU_SOURCE
override LDLIBS += $(PKG_LIBS)

# One folder per pipeline stage; everything but cli/ goes into the library the
# tests link against.
LIB_DIRS := lib model input compiler rules netlink reconcile kube agent
LIB_SRCS := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS := $(sort $(wildcard cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LIBA := $(BUILD)/libsvcnft.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

all: svcnft

svcnft: $(CLI_OBJS) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDLIBS) $$(pkg-config --libs cmocka)

# The API client's test command, run by tests/apiserver/run.sh.
$(BUILD)/tests/kube_watch: tests/apiserver/kube_watch.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDLIBS)

# One reconcile/ rc driven through manifest directories, run by tests/kernel/run.sh.
$(BUILD)/tests/rc_steps: tests/kernel/rc_steps.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDLIBS)

# The HTTP surface's scripted server, run by tests/http/run.sh.
$(BUILD)/tests/http_serve: tests/http/http_serve.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDLIBS)

# svcnft's kubeconfig reader on deploy/'s kubeconfig, run by tests/deploy/run.sh.
$(BUILD)/tests/kubeconfig_check: tests/deploy/kubeconfig_check.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# The data-plane probe links nothing of svcnft's: the harness drives the
# svcnft binary and nft, so it works whatever the internals become.
$(BUILD)/bench/connect: bench/dataplane/connect.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# One table for the sizes and mixes in BENCH_ARGS (bench/run.sh --help), e.g.
#   make bench BENCH_ARGS="--sizes 1000,10000 --mix clusterip"
bench: $(BENCH_BINS) $(BUILD)/bench/connect svcnft
	@./bench/run.sh $(BENCH_ARGS)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d) $(BUILD)/tests/rc_steps.d $(BUILD)/tests/kube_watch.d $(BUILD)/tests/http_serve.d \
	$(BUILD)/tests/kubeconfig_check.d $(FUZZ_BINS:=.d)

deps:
	./scripts/install-deps.sh

unit: $(UNIT_BINS)
	@./tests/run-unit.sh $(UNIT_BINS)

golden: svcnft
	@./tests/golden.sh

golden-update: svcnft
	@./tests/golden.sh --update

kernel: svcnft $(BUILD)/tests/rc_steps
	@./tests/kernel/run.sh

traffic: svcnft
	@./tests/traffic/run.sh

# `svcnft run` end to end against the test API server (root: namespaces)
agent: svcnft
	@./tests/agent/run.sh

# The README's test command. Each tier prints its own "N passed, N failed" line;
# run-tiers.sh adds them up and fails if any tier failed.
check: svcnft $(UNIT_BINS) $(BUILD)/tests/kube_watch $(BUILD)/tests/http_serve \
	$(BUILD)/tests/kubeconfig_check $(BUILD)/tests/rc_steps
	@./tests/run-tiers.sh

# Unit, golden and agent tiers with AddressSanitizer and UndefinedBehaviorSanitizer,
# in a build directory of their own so the normal build is untouched. The agent
# tier fails on any sanitizer report, leaks included (tests/agent/run.sh).
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" SVCNFT_BIN=build-asan/svcnft build-asan/svcnft-bin unit-asan

build-asan/svcnft-bin: $(CLI_OBJS) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit-asan: $(UNIT_BINS) build-asan/svcnft-bin
	@./tests/run-unit.sh $(UNIT_BINS)
	@SVCNFT=build-asan/svcnft-bin ./tests/golden.sh
	@SVCNFT=build-asan/svcnft-bin ./tests/agent/run.sh

# The agent of tests/agent/cases/01-lifecycle under valgrind memcheck (the
# normal build: no sanitizer in the way): an error or a definite leak makes
# the agent exit 99 where the case wants 0 after SIGTERM; valgrind's report
# is in the agent's log, which the case prints when it fails. The
# suppressions (netlink sends only) say why each one is there.
valgrind: svcnft
	@CASES=01-lifecycle SVCNFT_AGENT_WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --suppressions=$(CURDIR)/tests/agent/valgrind.supp" \
		./tests/agent/run.sh

# libFuzzer targets, one per reader (tests/fuzz/run.sh says which corpus
# each one starts from). The library is built again with clang in a folder
# of its own, instrumented for coverage (fuzzer-no-link) and sanitizers;
# clang warns where gcc does not, so warnings are not errors there (gcc's
# build keeps -Werror).
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" WARN="$(filter-out -Werror,$(WARN))" \
		fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(LIBA) $(LDLIBS)

# FUZZ_SECONDS per target (default 5: the whole smoke stays near a minute).
fuzz-smoke: fuzz
	@./tests/fuzz/run.sh --seconds $${FUZZ_SECONDS:-5}

install: svcnft
	install -D -m 0755 svcnft $(DESTDIR)$(PREFIX)/bin/svcnft

format:
	clang-format -i $(LIB_SRCS) $(CLI_SRCS) $(UNIT_SRCS) $(wildcard */*.h)

clean:
	rm -rf $(BUILD) build-asan build-fuzz svcnft

.PHONY: all deps unit golden golden-update kernel traffic agent check asan unit-asan valgrind fuzz fuzz-bins \
	fuzz-smoke install format clean bench
