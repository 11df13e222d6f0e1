// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A SYN flood from many sources for tests/lab/test_flow_pressure.sh, at the
 * rate of the live-frames generator: it loads the pps_gen program of
 * bench/bpf/pps.bpf.c (build/bench/pps.bpf.o, the program bench/pps_gen.c
 * runs) and drives it with BPF_PROG_RUN in live-frames mode, as pps_gen does,
 * but with a TCP SYN template instead of pps_gen's ACK (an ACK to an unknown
 * flow is a mid-stream pickup, which goes to xlb's established flow table:
 * not a SYN flood), and with a new source address for every chunk.
 *
 *   syn_flood PPS_BPF_O IFACE DST_MAC DST_IP DST_PORT SECONDS [FLAGS]
 *
 * Every chunk of PORTS (32768) frames comes from one random address of
 * 198.18.0.0/15 (RFC 2544 benchmark space: nothing in the lab routes to it,
 * so replies to it die at the first routing lookup), source ports
 * 1024 .. 1024 + PORTS - 1: each frame is a flow of its own. FLAGS is "syn"
 * (default) or "ack" (pps_gen's mid-stream ACKs from the same sources; to
 * see what a flood into the established table does). Prints one line:
 * "sent N frames in T s, P pps, A source addresses, FLAGS".
 *
 * Run it in IFACE's namespace; IFACE's veth peer must have an XDP program
 * (frames sent with XDP_TX arrive there only then). Needs root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#define FRAME_LEN 54 /* bench/bpf/pps.h: PPS_FRAME_LEN */
#define PORTS 32768u
#define BASE_PORT 1024

static void die(const char *what, int err)
{
	fprintf(stderr, "syn_flood: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = v >> 8;
	at[1] = v & 0xff;
}

/* Ethernet + IPv4 + TCP with both checksums: pps_gen adjusts them as it changes the port. */
static void build_frame(uint8_t f[FRAME_LEN], const uint8_t dst_mac[6], const uint8_t src_mac[6],
			uint32_t saddr, uint32_t daddr, uint16_t dport, uint8_t flags)
{
	uint8_t *ip = f + 14, *tcp = f + 34;
	uint32_t sum, seq = (uint32_t)random();

	memset(f, 0, FRAME_LEN);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, FRAME_LEN - 14);
	put16(ip + 4, (uint16_t)random());
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(tcp, BASE_PORT);
	put16(tcp + 2, dport);
	put16(tcp + 4, seq >> 16);
	put16(tcp + 6, seq & 0xffff);
	if (flags != 0x02)
		put16(tcp + 10, 0x2000); /* an ACK acknowledges something */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 64240);
	sum = IPPROTO_TCP + 20;
	sum = csum_add(sum, ip + 12, 8);
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, 20)));
}

/* Offset of global variable @name in the data section @sec (".bss", ".data"). */
static size_t var_offset(struct bpf_object *obj, const char *sec, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *t;
	const struct btf_var_secinfo *vs;
	int id;

	if (!btf)
		die("pps.bpf.o has no BTF", EINVAL);
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0)
		die(sec, ENOENT);
	t = btf__type_by_id(btf, (uint32_t)id);
	vs = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return vs->offset;
	}
	die(name, ENOENT);
	return 0;
}

static struct bpf_map *map_ending(struct bpf_object *obj, const char *suffix)
{
	struct bpf_map *map;
	size_t n = strlen(suffix);

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (len >= n && !strcmp(name + len - n, suffix))
			return map;
	}
	die(suffix, ENOENT);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint8_t dst_mac[6], src_mac[6], frame[FRAME_LEN], *bss, *data;
	uint32_t daddr, saddr, nsrc = 0;
	uint8_t flags = 0x02;
	uint64_t sent = 0;
	struct bpf_object *obj;
	struct bpf_program *gen, *prog;
	struct bpf_map *bss_map, *data_map;
	size_t bss_sz, data_sz, frame_off, flows_off;
	struct ifreq ifr = { 0 };
	struct xdp_md ctx = { .data_end = FRAME_LEN };
	double seconds, t0, t;
	int fd, zero = 0;
	const void *init;

	if (argc < 7 || argc > 8 ||
	    sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst_mac[0], &dst_mac[1], &dst_mac[2],
		   &dst_mac[3], &dst_mac[4], &dst_mac[5]) != 6 ||
	    inet_pton(AF_INET, argv[4], &daddr) != 1 || (seconds = atof(argv[6])) <= 0) {
		fprintf(stderr,
			"usage: syn_flood PPS_BPF_O IFACE DST_MAC DST_IP DST_PORT SECONDS [syn|ack]\n");
		return 2;
	}
	if (argc == 8 && !strcmp(argv[7], "ack"))
		flags = 0x10;
	else if (argc == 8 && strcmp(argv[7], "syn"))
		die(argv[7], EINVAL);
	ctx.ingress_ifindex = if_nametoindex(argv[2]);
	if (!ctx.ingress_ifindex)
		die(argv[2], errno);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[2]);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die(argv[2], errno);
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	srandom((unsigned int)(getpid() ^ (unsigned int)(now_s() * 1e6)));

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		die(argv[1], errno);
	gen = bpf_object__find_program_by_name(obj, "pps_gen");
	if (!gen)
		die("program pps_gen", ENOENT);
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, prog == gen);
	bss_map = map_ending(obj, ".bss");
	data_map = map_ending(obj, ".data");
	frame_off = var_offset(obj, ".bss", "gen_frame");
	flows_off = var_offset(obj, ".data", "gen_flows");
	init = bpf_map__initial_value(bss_map, &bss_sz);
	bss = calloc(1, bss_sz);
	if (!init || !bss || frame_off + FRAME_LEN > bss_sz)
		die(".bss", EINVAL);
	memcpy(bss, init, bss_sz);
	init = bpf_map__initial_value(data_map, &data_sz);
	data = calloc(1, data_sz);
	if (!init || !data || flows_off + 4 > data_sz)
		die(".data", EINVAL);
	memcpy(data, init, data_sz);
	*(uint32_t *)(data + flows_off) = PORTS;
	if (bpf_map__set_initial_value(data_map, data, data_sz))
		die("setting gen_flows", errno);
	if (bpf_object__load(obj))
		die("loading pps_gen", errno);

	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = PORTS,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		/* a new source: 198.18.0.0/15 */
		saddr = htonl(0xc6120000u | ((uint32_t)random() & 0x1ffff));
		build_frame(frame, dst_mac, src_mac, saddr, daddr, (uint16_t)atoi(argv[5]), flags);
		memcpy(bss + frame_off, frame, FRAME_LEN);
		if (bpf_map_update_elem(bpf_map__fd(bss_map), &zero, bss, BPF_ANY))
			die("writing the frame template", errno);
		if (bpf_prog_test_run_opts(bpf_program__fd(gen), &opts))
			die("BPF_PROG_RUN (live frames)", errno);
		sent += PORTS;
		nsrc++;
		t = now_s() - t0;
	} while (t < seconds);
	printf("sent %llu frames in %.2f s, %.0f pps, %u source addresses, %s\n",
	       (unsigned long long)sent, t, sent / t, nsrc, flags == 0x02 ? "syn" : "ack");
	bpf_object__close(obj);
	free(bss);
	free(data);
	return 0;
}
