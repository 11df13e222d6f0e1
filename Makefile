# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlb: `make` builds everything, `make test` installs, builds and runs every
# test, `make demo` shows traffic balanced in a namespace lab.

BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PREFIX    ?= /usr/local
DESTDIR   ?=

PKGS      := libbpf yaml-0.1 json-c libmnl openssl libsystemd
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
             -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -Wall -Werror -fno-strict-aliasing -target bpf -mcpu=v3 \
              -I/usr/include/x86_64-linux-gnu -Iinclude -I$(BUILD)

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
BPF_HDRS  := $(wildcard bpf/*.h) include/xlb/xlb_types.h include/xlb/xlb_rs.h
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PKT_SRCS  := $(wildcard tests/bpf/test_*.c)
PKT_BINS  := $(PKT_SRCS:tests/bpf/%.c=$(BUILD)/tests/%)

BINS      := $(BUILD)/xlbd $(BUILD)/xlbctl $(BUILD)/xlb-rs
BPF_OBJS  := $(BUILD)/xlb.bpf.o $(BUILD)/xdp_pass.bpf.o $(BUILD)/xlb_rs.bpf.o

.PHONY: all deps test test-unit test-bpf test-lab demo install clean format
all: $(BINS) $(BPF_OBJS) $(UNIT_BINS) $(PKT_BINS)

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

$(BUILD)/xlbctl: $(BUILD)/obj/tools/xlbctl.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# xlb-rs, the real-server helper: its own BPF skeleton, the CLI split in tools/xlb_rs_*.c.
RS_OBJS   := $(patsubst %.c,%.o,$(wildcard tools/xlb_rs_*.c))
$(BUILD)/obj/tools/xlb-rs.o $(RS_OBJS:%=$(BUILD)/obj/%) $(RS_OBJS:%=$(BUILD)/san/%): $(BUILD)/xlb_rs.skel.h

$(BUILD)/xlb-rs: $(BUILD)/obj/tools/xlb-rs.o $(RS_OBJS:%=$(BUILD)/obj/%) $(BUILD)/obj/src/addr.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_pkt_rs: tests/bpf/test_pkt_rs.c tests/bpf/pktbuild.h $(RS_OBJS:%=$(BUILD)/san/%) $(BUILD)/san/src/addr.o $(BUILD)/xlb_rs.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itools $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcmocka

# Tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libxlb-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/bpf/%.c tests/bpf/pktbuild.h $(BUILD)/libxlb-san.a $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(filter %.c %.a,$^) -o $@ $(LDLIBS) -lcmocka

# bench-pkt: the XDP program's ns/packet, new flow (SYN) vs established, per
# scheduler (bench/pkt_cost.c, docs/BENCHMARKS.md). Needs root.
.PHONY: bench-pkt
bench-pkt: $(BUILD)/bench/pkt_cost
	@BUILD=$(BUILD) bench/run_pkt_cost.sh

$(BUILD)/bench/pkt_cost: bench/pkt_cost.c tests/bpf/pktbuild.h $(BUILD)/libxlb.a $(BUILD)/xlb.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(filter %.c %.a,$^) -o $@ $(LDLIBS)

test: deps
	@$(MAKE) --no-print-directory all
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
	install -D -m 0644 etc/xlbd.service $(DESTDIR)/etc/systemd/system/xlbd.service
	test -e $(DESTDIR)/etc/xlb/xlb.yaml || \
		install -D -m 0644 etc/xlb.yaml $(DESTDIR)/etc/xlb/xlb.yaml

format:
	clang-format -i $(wildcard src/*.[ch] src/*/*.[ch] tools/*.c bpf/*.[ch] include/xlb/*.h tests/*/*.[ch])

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
