// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark helper (not a test) for bench/run_pps.sh: a packet generator and
 * the two other ends of the packets-per-second bench, all XDP programs of
 * bench/bpf/pps.bpf.c (docs/BENCHMARKS.md, "Packets per second").
 *
 *   pps_gen sink IFACE
 *       attaches pps_sink to IFACE (driver mode) and prints the id of its
 *       per-CPU counter map. The attachment stays after this exits.
 *   pps_gen fwd IFACE TO_IFACE DST_MAC
 *       attaches pps_fwd to IFACE: MACs := (TO_IFACE's, DST_MAC), redirect
 *       to TO_IFACE. The ceiling, in place of xlb.
 *   pps_gen fwd-lookup IFACE TO_IFACE DST_MAC FLOWS_PIN
 *       the same after one lookup in xlb's "flows" map pinned at FLOWS_PIN
 *       (packets of no flow are dropped): the lookup ceiling.
 *   pps_gen count MAP_ID
 *       prints what a sink counted so far: packets, and of them IPIP.
 *   pps_gen send IFACE DST_MAC SRC_IP DST_IP DST_PORT [options]
 *       generates TCP ACKs from SRC_IP to DST_IP:DST_PORT with BPF_PROG_RUN
 *       in live-frames mode: the kernel runs pps_gen on frames of its own
 *       page pool as if IFACE had received them, and pps_gen's XDP_TX sends
 *       each out of IFACE to its veth peer. The source port goes through
 *       -f FLOWS values. Every -s SECONDS (-n rounds) prints one line
 *       "round <r> seconds <t> sent <n> sent_pps <x> sink <n> sink_pps <x>",
 *       sink being the delta of the counter map -m ID (pps_gen sink).
 *   pps_gen flood IFACE DST_MAC DST_IP DST_PORT SECONDS [syn|ack]
 *       a flood from many sources for tests/lab/test_flow_pressure.sh: TCP
 *       SYNs (or mid-stream ACKs, to see what a flood into the established
 *       table does), each chunk of FLOOD_PORTS (32768) frames from one
 *       random address of 198.18.0.0/15 (RFC 2544 benchmark space: nothing
 *       in the lab routes to it, so replies die at the first routing
 *       lookup) and source ports 1024 .. 1024 + FLOOD_PORTS - 1: each frame
 *       is a flow of its own. Prints one line: "sent N frames in T s, P pps,
 *       A source addresses, syn|ack". IFACE's veth peer needs an XDP program.
 *
 * Run each inside the namespace of its interface (ip netns exec): the
 * program looks interfaces up in its own namespace. Needs root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "pps.h"
#include "pps.skel.h"

/* BPF_PROG_RUN repetitions per system call: about 50 ms at 5 Mpps, so rounds end on time. */
#define SEND_CHUNK (1u << 18)

static void die(const char *what, int err)
{
	fprintf(stderr, "pps_gen: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static unsigned int ifindex_of(const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (!i)
		die(name, errno);
	return i;
}

static void parse_mac(const char *s, uint8_t mac[6])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5]) != 6)
		die(s, EINVAL);
}

static void mac_of(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket", errno);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die(ifname, errno);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

static struct pps_bpf *open_with(struct bpf_program *(*only)(struct pps_bpf *))
{
	struct pps_bpf *skel = pps_bpf__open();
	struct bpf_program *prog;

	if (!skel)
		die("opening pps.bpf.o's skeleton", errno);
	/* load only the program this command needs */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == only(skel));
	return skel;
}

static struct bpf_program *prog_sink(struct pps_bpf *s)
{
	return s->progs.pps_sink;
}

static struct bpf_program *prog_fwd(struct pps_bpf *s)
{
	return s->progs.pps_fwd;
}

static struct bpf_program *prog_fwd_lookup(struct pps_bpf *s)
{
	return s->progs.pps_fwd_lookup;
}

static struct bpf_program *prog_gen(struct pps_bpf *s)
{
	return s->progs.pps_gen;
}

static void attach(struct bpf_program *prog, unsigned int ifindex, const char *ifname)
{
	int err = bpf_xdp_attach((int)ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL);

	if (err)
		die(ifname, err);
}

static int cmd_sink(int argc, char **argv)
{
	struct pps_bpf *skel;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (argc != 2)
		return 2;
	skel = open_with(prog_sink);
	if (pps_bpf__load(skel))
		die("loading pps_sink", errno);
	attach(skel->progs.pps_sink, ifindex_of(argv[1]), argv[1]);
	if (bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.sink_count), &info, &len))
		die("sink_count map info", errno);
	printf("%u\n", info.id);
	pps_bpf__destroy(skel); /* the attachment keeps the program and its map */
	return 0;
}

/* fwd, or with FLOWS_PIN (fwd-lookup) the same after a lookup in that map. */
static int cmd_fwd(int argc, char **argv, bool lookup)
{
	struct pps_bpf *skel;
	struct bpf_program *prog;
	uint32_t zero = 0, to;

	if (argc != (lookup ? 5 : 4))
		return 2;
	skel = open_with(lookup ? prog_fwd_lookup : prog_fwd);
	prog = lookup ? skel->progs.pps_fwd_lookup : skel->progs.pps_fwd;
	if (lookup) {
		int fd = bpf_obj_get(argv[4]);

		if (fd < 0 || bpf_map__reuse_fd(skel->maps.flows, fd))
			die(argv[4], errno);
		close(fd);
	}
	to = ifindex_of(argv[2]);
	if (pps_bpf__load(skel))
		die("loading the forwarder", errno);
	parse_mac(argv[3], skel->bss->fwd_dst_mac);
	mac_of(argv[2], skel->bss->fwd_src_mac);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.fwd_port), &zero, &to, BPF_ANY))
		die("fwd_port", errno);
	attach(prog, ifindex_of(argv[1]), argv[1]);
	pps_bpf__destroy(skel);
	return 0;
}

/* RFC 1071 sum of 16-bit big-endian words, not yet folded. */
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

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/*
 * Ethernet + IPv4 + TCP with @flags (TCP_ACK or TCP_SYN), sequence number
 * @seq and IP id @ipid, checksums filled in: what a client's stack would
 * send. pps_gen adjusts both checksums as it changes the source port.
 */
static void build_frame(uint8_t f[PPS_FRAME_LEN], const uint8_t dst_mac[6],
			const uint8_t src_mac[6], uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint8_t flags, uint32_t seq, uint16_t ipid)
{
	uint8_t *ip = f + 14, *tcp = f + 34;
	uint32_t sum;

	memset(f, 0, PPS_FRAME_LEN);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, PPS_FRAME_LEN - 14);
	put16(ip + 4, ipid);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put16(tcp + 4, seq >> 16);
	put16(tcp + 6, seq & 0xffff);
	if (flags != TCP_SYN)
		put16(tcp + 10, 0x2000); /* an ACK acknowledges something */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 64240);
	sum = IPPROTO_TCP + 20;
	sum = csum_add(sum, ip + 12, 8);
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, 20)));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The sum over CPUs of the sink's counter @key, or 0 without a map. */
static uint64_t sink_read_key(int map_fd, int ncpus, uint32_t key)
{
	uint64_t v[512], sum = 0;

	if (map_fd < 0)
		return 0;
	if (ncpus > 512 || bpf_map_lookup_elem(map_fd, &key, v))
		die("reading the sink counter", errno);
	for (int c = 0; c < ncpus; c++)
		sum += v[c];
	return sum;
}

static uint64_t sink_read(int map_fd, int ncpus)
{
	return sink_read_key(map_fd, ncpus, 0);
}

/* pps_gen count MAP_ID: "<packets> <of them IPIP>" counted so far by a sink. */
static int cmd_count(int argc, char **argv)
{
	int fd, ncpus = libbpf_num_possible_cpus();

	if (argc != 2)
		return 2;
	fd = bpf_map_get_fd_by_id((uint32_t)strtoul(argv[1], NULL, 10));
	if (fd < 0)
		die("sink counter map", errno);
	printf("%" PRIu64 " %" PRIu64 "\n", sink_read_key(fd, ncpus, 0), sink_read_key(fd, ncpus, 1));
	close(fd);
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct pps_bpf *skel;
	uint8_t dst_mac[6], src_mac[6], frame[PPS_FRAME_LEN];
	uint32_t saddr, daddr, flows = 65536, batch = 64, rounds = 5, map_id = 0;
	double seconds = 5;
	int opt, map_fd = -1, ncpus = libbpf_num_possible_cpus();
	unsigned int ifindex;
	struct xdp_md ctx = { .data_end = PPS_FRAME_LEN };

	while ((opt = getopt(argc, argv, "f:b:s:n:m:")) != -1) {
		switch (opt) {
		case 'f':
			flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'n':
			rounds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			map_id = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 5 || flows < 1 || flows > 65536 || seconds <= 0 || !rounds)
		return 2;
	ifindex = ifindex_of(argv[optind]);
	parse_mac(argv[optind + 1], dst_mac);
	mac_of(argv[optind], src_mac);
	if (inet_pton(AF_INET, argv[optind + 2], &saddr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 3], &daddr) != 1)
		die("address", EINVAL);
	build_frame(frame, dst_mac, src_mac, saddr, daddr, 1024, (uint16_t)atoi(argv[optind + 4]),
		    TCP_ACK, 0x10000000, 0);
	if (map_id && (map_fd = bpf_map_get_fd_by_id(map_id)) < 0)
		die("sink counter map", errno);

	skel = open_with(prog_gen);
	if (pps_bpf__load(skel))
		die("loading pps_gen", errno);
	memcpy(skel->bss->gen_frame, frame, sizeof(frame));
	skel->data->gen_flows = flows;
	ctx.ingress_ifindex = ifindex;

	for (uint32_t r = 1; r <= rounds; r++) {
		uint64_t sent = 0, sink0 = sink_read(map_fd, ncpus), sink1;
		double t0 = now_s(), t;

		do {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
				    .data_size_in = sizeof(frame), .ctx_in = &ctx,
				    .ctx_size_in = sizeof(ctx), .repeat = SEND_CHUNK,
				    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = batch);

			if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pps_gen), &opts))
				die("BPF_PROG_RUN (live frames)", errno);
			sent += SEND_CHUNK;
			t = now_s() - t0;
		} while (t < seconds);
		/* let the last batch reach the sink: the queues are short, 10 ms is plenty */
		usleep(10000);
		sink1 = sink_read(map_fd, ncpus);
		printf("round %u seconds %.3f sent %" PRIu64 " sent_pps %.0f sink %" PRIu64
		       " sink_pps %.0f\n",
		       r, t, sent, sent / t, sink1 - sink0, (sink1 - sink0) / t);
		fflush(stdout);
	}
	pps_bpf__destroy(skel);
	if (map_fd >= 0)
		close(map_fd);
	return 0;
}

#define FLOOD_PORTS 32768u

/* pps_gen flood IFACE DST_MAC DST_IP DST_PORT SECONDS [syn|ack] (the header comment). */
static int cmd_flood(int argc, char **argv)
{
	uint8_t dst_mac[6], src_mac[6], flags = TCP_SYN;
	uint32_t daddr, nsrc = 0;
	struct xdp_md ctx = { .data_end = PPS_FRAME_LEN };
	uint64_t sent = 0;
	struct pps_bpf *skel;
	double seconds, t0, t;

	if (argc < 6 || argc > 7 || (seconds = atof(argv[5])) <= 0)
		return 2;
	if (argc == 7 && !strcmp(argv[6], "ack"))
		flags = TCP_ACK;
	else if (argc == 7 && strcmp(argv[6], "syn"))
		return 2;
	ctx.ingress_ifindex = ifindex_of(argv[1]);
	parse_mac(argv[2], dst_mac);
	mac_of(argv[1], src_mac);
	if (inet_pton(AF_INET, argv[3], &daddr) != 1)
		die("address", EINVAL);
	srandom((unsigned int)(getpid() ^ (unsigned int)(now_s() * 1e6)));

	skel = open_with(prog_gen);
	if (pps_bpf__load(skel))
		die("loading pps_gen", errno);
	skel->data->gen_flows = FLOOD_PORTS;
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = skel->bss->gen_frame,
			    .data_size_in = PPS_FRAME_LEN, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = FLOOD_PORTS, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = 64);
		/* a new source: 198.18.0.0/15; the template is in the program's mmapped .bss */
		uint32_t saddr = htonl(0xc6120000u | ((uint32_t)random() & 0x1ffff));

		build_frame(skel->bss->gen_frame, dst_mac, src_mac, saddr, daddr, 1024,
			    (uint16_t)atoi(argv[4]), flags, (uint32_t)random(), (uint16_t)random());
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pps_gen), &opts))
			die("BPF_PROG_RUN (live frames)", errno);
		sent += FLOOD_PORTS;
		nsrc++;
		t = now_s() - t0;
	} while (t < seconds);
	printf("sent %" PRIu64 " frames in %.2f s, %.0f pps, %u source addresses, %s\n", sent, t,
	       sent / t, nsrc, flags == TCP_SYN ? "syn" : "ack");
	pps_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 2 && !strcmp(argv[1], "sink"))
		rc = cmd_sink(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "fwd"))
		rc = cmd_fwd(argc - 1, argv + 1, false);
	else if (argc >= 2 && !strcmp(argv[1], "fwd-lookup"))
		rc = cmd_fwd(argc - 1, argv + 1, true);
	else if (argc >= 2 && !strcmp(argv[1], "send"))
		rc = cmd_send(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "count"))
		rc = cmd_count(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "flood"))
		rc = cmd_flood(argc - 1, argv + 1);
	if (rc == 2)
		fprintf(stderr,
			"usage: pps_gen sink IFACE\n"
			"       pps_gen fwd IFACE TO_IFACE DST_MAC\n"
			"       pps_gen fwd-lookup IFACE TO_IFACE DST_MAC FLOWS_PIN\n"
			"       pps_gen count SINK_MAP_ID\n"
			"       pps_gen send IFACE DST_MAC SRC_IP DST_IP DST_PORT"
			" [-f FLOWS] [-b BATCH] [-s SECONDS] [-n ROUNDS] [-m SINK_MAP_ID]\n"
			"       pps_gen flood IFACE DST_MAC DST_IP DST_PORT SECONDS [syn|ack]\n");
	return rc;
}
