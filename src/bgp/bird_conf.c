// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Renders the BIRD 2 config of bird_conf.h. */
#include "bgp/bird_conf.h"

#include <errno.h>
#include <string.h>

void bird_peer_name(const struct bgp_peer_config *p, char *buf, size_t size)
{
	char a[NET_ADDR_STRLEN];

	net_addr_str(&p->addr, a, sizeof(a));
	for (char *c = a; *c; c++)
		if (*c == '.' || *c == ':')
			*c = '_';
	snprintf(buf, size, "xlb_%s", a);
}

static void bird_conf_vips(FILE *f, const char *name, int family, const struct net_addr *vips,
			   size_t nvips)
{
	char a[NET_ADDR_STRLEN];

	fprintf(f, "protocol static %s {\n\t%s;\n", name, family == AF_INET ? "ipv4" : "ipv6");
	for (size_t i = 0; i < nvips; i++)
		if (vips[i].family == family)
			fprintf(f, "\troute %s/%d blackhole;\n", net_addr_str(&vips[i], a, sizeof(a)),
				family == AF_INET ? 32 : 128);
	fprintf(f, "}\n\n");
}

static void bird_conf_peer(FILE *f, const struct bgp_config *bc, const struct bgp_peer_config *p)
{
	char name[64], a[NET_ADDR_STRLEN];
	bool v4 = p->addr.family == AF_INET;

	bird_peer_name(p, name, sizeof(name));
	fprintf(f, "protocol bgp %s {\n", name);
	if (p->local.family)
		fprintf(f, "\tlocal %s as %u;\n", net_addr_str(&p->local, a, sizeof(a)), bc->asn);
	else
		fprintf(f, "\tlocal as %u;\n", bc->asn);
	fprintf(f, "\tneighbor %s port %u as %u;\n", net_addr_str(&p->addr, a, sizeof(a)), p->port,
		p->asn);
	if (p->multihop)
		fprintf(f, "\tmultihop %u;\n", p->multihop);
	fprintf(f, "\thold time %u;\n\tkeepalive time %u;\n", bc->hold_s, bc->hold_s / 3);
	/* Up fast after a start, retried fast: a balancer that can serve should be in use. */
	fprintf(f, "\tconnect delay time 1;\n\tconnect retry time 3;\n\terror wait time 1, 10;\n");
	/* A router that kept our routes while we are gone would send flows into nothing. */
	fprintf(f, "\tgraceful restart off;\n");
	if (bc->bfd)
		fprintf(f, "\tbfd on;\n");
	if (p->password[0])
		fprintf(f, "\tpassword \"%s\";\n", p->password);
	fprintf(f, "\t%s {\n\t\timport none;\n\t\texport where proto = \"%s\";\n\t};\n}\n\n",
		v4 ? "ipv4" : "ipv6", v4 ? "xlb_vips4" : "xlb_vips6");
}

int bird_conf_write(FILE *f, const struct bgp_config *bc, const struct net_addr *vips,
		    size_t nvips, const char *source)
{
	char a[NET_ADDR_STRLEN];

	fprintf(f, "# Written by xlbd from the bgp: block of %s; rewritten on every change.\n\n",
		source);
	if (bc->router_id.family)
		fprintf(f, "router id %s;\n", net_addr_str(&bc->router_id, a, sizeof(a)));
	/* One word per field in `show protocols`, which xlbd reads. */
	fprintf(f, "timeformat protocol \"%%s\";\n");
	fprintf(f, "log stderr { info, remote, warning, error, auth, fatal, bug };\n\n");
	fprintf(f, "protocol device xlb_device {\n}\n\n");
	if (bc->bfd) {
		fprintf(f, "protocol bfd xlb_bfd {\n");
		fprintf(f, "\tinterface \"*\" {\n\t\tmin rx interval %u ms;\n\t\tmin tx interval %u "
			   "ms;\n\t\tmultiplier %u;\n\t};\n",
			bc->bfd_interval_ms, bc->bfd_interval_ms, bc->bfd_multiplier);
		fprintf(f, "\tmultihop {\n\t\tmin rx interval %u ms;\n\t\tmin tx interval %u "
			   "ms;\n\t\tmultiplier %u;\n\t};\n}\n\n",
			bc->bfd_interval_ms, bc->bfd_interval_ms, bc->bfd_multiplier);
	}
	bird_conf_vips(f, "xlb_vips4", AF_INET, vips, nvips);
	bird_conf_vips(f, "xlb_vips6", AF_INET6, vips, nvips);
	for (size_t i = 0; i < bc->npeers; i++)
		bird_conf_peer(f, bc, &bc->peers[i]);
	return ferror(f) ? -EIO : 0;
}
