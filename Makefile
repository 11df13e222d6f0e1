# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlb: `make` builds everything, `make test` installs, builds and runs every
# test, `make demo` shows traffic balanced in a namespace lab.

BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PREFIX    ?= /usr/local
DESTDIR   ?=

PKGS      := libbpf yaml-0.1 json-c libmnl openssl libsystemd libmicrohttpd
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
             -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz -lpthread
# xlb_build_info{version=...}: the git description when built from a checkout.
XLB_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
CFLAGS    += -DXLB_VERSION='"$(XLB_VERSION)"'
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -Wall -Werror -fno-strict-aliasing -target bpf -mcpu=v3 \
              -I/usr/include/x86_64-linux-gnu -Iinclude -I$(BUILD)

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard include/xlb/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PKT_SRCS  := $(wildcard tests/bpf/test_*.c)
PKT_BINS  := $(PKT_SRCS:tests/bpf/%.c=$(BUILD)/tests/%)

# Source checks that run in the unit tier like the tests: no include circles in src/.
CHECK_BINS := $(BUILD)/tests/test_include_cycles

BINS      := $(BUILD)/xlbd $(BUILD)/xlbctl $(BUILD)/xlb-rs
BPF_OBJS  := $(BUILD)/xlb.bpf.o $(BUILD)/xdp_pass.bpf.o $(BUILD)/xlb_rs.bpf.o

.PHONY: all deps test test-unit test-bpf test-lab demo install clean format
all: $(BINS) $(BPF_OBJS) $(UNIT_BINS) $(PKT_BINS) $(CHECK_BINS)

deps:
	@scripts/deps.sh

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libxlb.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/libxlb-san.a: $(SAN_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/xlbd: $(BUILD)/obj/src/main.o $(BUILD)/libxlb.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# xlbctl: the CLI split in tools/xlbctl*.c, with the daemon's library: doctor reads configs
# with its parser, and a request is checked with xlbd's own code (ctl_request.c).
XLBCTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/xlbctl*.c))
$(BUILD)/xlbctl: $(XLBCTL_OBJS) $(BUILD)/libxlb.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# xlbctl import (keepalived.conf, ipvsadm rules -> xlb.yaml): tools/xlb_import_*.c.
IMPORT_OBJS := $(patsubst %.c,%.o,$(wildcard tools/xlb_import_*.c))
$(BUILD)/xlbctl: $(IMPORT_OBJS:%=$(BUILD)/obj/%)

$(BUILD)/tests/test_import: tests/unit/test_import.c $(IMPORT_OBJS:%=$(BUILD)/san/%) $(BUILD)/libxlb-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itools $(filter %.c %.o %.a,$^) -o $@ $(LDLIBS) -lcmocka

# xlb-rs, the real-server helper: its own BPF skeleton, the CLI split in tools/xlb_rs_*.c.
RS_OBJS   := $(patsubst %.c,%.o,$(wildcard tools/xlb_rs_*.c))
$(BUILD)/obj/tools/xlb-rs.o $(RS_OBJS:%=$(BUILD)/obj/%) $(RS_OBJS:%=$(BUILD)/san/%): $(BUILD)/xlb_rs.skel.h

$(BUILD)/xlb-rs: $(BUILD)/obj/tools/xlb-rs.o $(RS_OBJS:%=$(BUILD)/obj/%) $(BUILD)/obj/src/addr.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_pkt_rs: tests/bpf/test_pkt_rs.c tests/bpf/pktbuild.h $(RS_OBJS:%=$(BUILD)/san/%) $(BUILD)/san/src/addr.o $(BUILD)/xlb_rs.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itools $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcmocka

# xlb-rs's state directory checks: unit tests of tools/xlb_rs_*.c, no BPF load.
$(BUILD)/tests/test_rs_state: tests/unit/test_rs_state.c $(RS_OBJS:%=$(BUILD)/san/%) $(BUILD)/san/src/addr.o $(BUILD)/xlb_rs.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itools $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/test_include_cycles: scripts/include_cycles.py
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec python3 %s %s\n' "$(abspath $<)" "$(abspath src)" > $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

# Tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libxlb-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/bpf/%.c tests/bpf/pktbuild.h tests/bpf/map_reset.h $(BUILD)/libxlb-san.a $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(filter %.c %.a,$^) -o $@ $(LDLIBS) -lcmocka

# Bench-only BPF programs (bench/bpf/) and their skeletons, in $(BUILD)/bench/.
BENCH_BPF_HDRS := $(wildcard bench/bpf/*.h)
$(BUILD)/bench/%.bpf.o: bench/bpf/%.bpf.c $(BENCH_BPF_HDRS) $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Ibench/bpf -c $< -o $@

# bench-pkt: the XDP program's ns/packet per forwarding method against a
# MAC-swap floor (and, with `bench/run_pkt_cost.sh sched`, per scheduler);
# bench-pps: forwarded packets per second through veths. Both need root;
# QUICK=1 is the short CI variant. See docs/BENCHMARKS.md.
.PHONY: bench-pkt bench-pps
bench-pkt: $(BUILD)/bench/pkt_cost
	@BUILD=$(BUILD) QUICK=$(QUICK) bench/run_pkt_cost.sh

$(BUILD)/bench/pkt_cost: bench/pkt_cost.c tests/bpf/pktbuild.h $(BENCH_BPF_HDRS) $(BUILD)/libxlb.a $(BUILD)/xlb.skel.h $(BUILD)/bench/pkt_cost.bpf.o $(BUILD)/bench/pkt_cost.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/bench -Ibench/bpf $(filter %.c %.a,$^) -o $@ $(LDLIBS)

bench-pps: $(BUILD)/bench/pps_gen $(BUILD)/bench/pps.bpf.o $(BUILD)/xlbd $(BUILD)/xlbctl
	@BUILD=$(BUILD) QUICK=$(QUICK) bench/run_pps.sh

$(BUILD)/bench/pps_gen: bench/pps_gen.c $(BENCH_BPF_HDRS) $(BUILD)/bench/pps.bpf.o $(BUILD)/bench/pps.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/bench -Ibench/bpf $(filter %.c,$^) -o $@ $(LDLIBS)

# bench: the BMT (bench/bmt.sh: HTTP req/s and latency through xlb's methods,
# xlb proxy, HAProxy, nginx stream and nftables against no LB, in a namespace
# lab; tables and charts in $(OUT), default bench/results/bmt-DATE), then
# bench-pkt and bench-pps. bench-quick: the short variant of all three (CI:
# tests/lab/test_bench_quick.sh). Need root. See docs/BENCHMARKS.md.
.PHONY: bench bench-quick bench-bmt
bench-bmt: $(BUILD)/xlbd $(BUILD)/xlbctl $(BUILD)/xlb-rs $(BUILD)/xdp_pass.bpf.o
	@BUILD=$(BUILD) QUICK=$(QUICK) OUT=$(OUT) bench/bmt.sh

bench:
	@$(MAKE) --no-print-directory bench-bmt
	@$(MAKE) --no-print-directory bench-pkt
	@$(MAKE) --no-print-directory bench-pps

bench-quick:
	@$(MAKE) --no-print-directory bench-bmt QUICK=1
	@$(MAKE) --no-print-directory bench-pkt QUICK=1
	@$(MAKE) --no-print-directory bench-pps QUICK=1

test: deps
	@$(MAKE) --no-print-directory all fuzz-build
	@tests/run.sh all

test-unit test-bpf test-lab: all
	@tests/run.sh $(@:test-%=%)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

install: all
	install -D -m 0755 $(BUILD)/xlbd $(DESTDIR)$(PREFIX)/sbin/xlbd
	install -D -m 0755 $(BUILD)/xlbctl $(DESTDIR)$(PREFIX)/sbin/xlbctl
	install -D -m 0755 $(BUILD)/xlb-rs $(DESTDIR)$(PREFIX)/sbin/xlb-rs
	install -D -m 0644 man/xlbd.8 $(DESTDIR)$(PREFIX)/share/man/man8/xlbd.8
	install -D -m 0644 man/xlbctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/xlbctl.8
	install -D -m 0644 man/xlb-rs.8 $(DESTDIR)$(PREFIX)/share/man/man8/xlb-rs.8
	install -D -m 0644 man/xlb.yaml.5 $(DESTDIR)$(PREFIX)/share/man/man5/xlb.yaml.5
	install -D -m 0644 etc/xlbd.service $(DESTDIR)/etc/systemd/system/xlbd.service
	test -e $(DESTDIR)/etc/xlb/xlb.yaml || \
		install -D -m 0644 etc/xlb.yaml $(DESTDIR)/etc/xlb/xlb.yaml

format:
	clang-format -i $(wildcard src/*.[ch] src/*/*.[ch] tools/*.c bpf/*.[ch] include/xlb/*.h tests/*/*.[ch])

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzzing (tests/fuzz/README.md): libFuzzer harnesses built with clang over an
# instrumented copy of the library. `make fuzz` runs each for FUZZ_SECONDS
# (FUZZ=NAME... picks some); `make test` runs them all for a short budget
# (tests/lab/test_fuzz_short.sh). fuzz_pkt needs root (BPF_PROG_TEST_RUN).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
# clang 14 warns about { NULL } sentinels that gcc takes (-Wmissing-field-initializers).
FUZZ_CFLAGS  := $(CFLAGS) -Wno-missing-field-initializers -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/obj/%.o: %.c $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/libxlb-fuzz.a: $(FUZZ_OBJS)
	$(AR) rcs $@ $^

# fuzz_config: the loader's open() goes to the harness (fuzz_config.c says why).
FUZZ_SANDBOXED := $(BUILD)/fuzz/obj/src/config.o $(BUILD)/fuzz/obj/src/ha/ha_config.o
$(BUILD)/fuzz/sandboxed/%.o: $(BUILD)/fuzz/obj/%.o
	@mkdir -p $(@D)
	objcopy --redefine-sym open=fuzz_config_open $< $@
$(BUILD)/fuzz/fuzz_config: $(FUZZ_SANDBOXED:$(BUILD)/fuzz/obj/%=$(BUILD)/fuzz/sandboxed/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(BUILD)/libxlb-fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/bpf $(filter %.c %.o,$^) $(filter %.a,$^) \
		-o $@ $(LDLIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@BUILD=$(BUILD) tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FUZZ)
