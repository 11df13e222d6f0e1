// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `xlbctl import keepalived|ipvsadm ...`: options, the YAML on stdout, a summary on stderr. */
#include "xlb_import.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static void import_usage(FILE *out)
{
	fprintf(out,
		"Usage: xlbctl import keepalived [--config-id ID] [--interface IF]... FILE\n"
		"       xlbctl import ipvsadm [--interface IF]... [FILE|-]\n"
		"\n"
		"Writes an xlb.yaml for a keepalived.conf (its includes followed) or for the\n"
		"output of ipvsadm-save -n / ipvsadm -Sn (stdin without FILE) to stdout.\n"
		"What xlb has no equivalent for stays in it as a comment saying why; a\n"
		"summary goes to stderr. Check the result with xlbd -t -c FILE.\n"
		"\n"
		"  --interface IF   where xlb's data plane attaches (repeatable); default: the\n"
		"                   VRRP instances' interfaces, else a placeholder eth0\n"
		"  --config-id ID   keepalived's -i: which \"@ID\" lines apply (default: the\n"
		"                   short host name, as keepalived)\n"
		"\n"
		"Mapping: docs/MIGRATION.md\n");
}

static void import_summary(const struct imp_config *cfg)
{
	unsigned commented, info, services = 0, vrrp = 0;
	char keywords[2048];

	imp_count(cfg, &commented, &info);
	imp_summary_keywords(cfg, keywords, sizeof(keywords));
	for (size_t i = 0; i < cfg->nservices; i++)
		services += !cfg->services[i].omitted;
	for (size_t i = 0; i < cfg->nvrrp; i++)
		vrrp += !cfg->vrrp[i].omitted;
	fprintf(stderr,
		"xlbctl import %s %s: %u service%s, %u VRRP instance%s; %u statement%s mapped, "
		"%u kept as comment%s%s%s%s, %u note%s on derived values\n",
		cfg->tool, cfg->source, services, services == 1 ? "" : "s", vrrp,
		vrrp == 1 ? "" : "s", cfg->mapped, cfg->mapped == 1 ? "" : "s", commented,
		commented == 1 ? "" : "s", keywords[0] ? " (" : "", keywords, keywords[0] ? ")" : "",
		info, info == 1 ? "" : "s");
}

int xlb_import_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config-id", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind, *config_id = NULL, *file;
	struct imp_config cfg;
	struct utsname uts;
	char host[sizeof(uts.nodename)] = "";
	char **ifaces = NULL;
	size_t nifaces = 0;
	int opt, rc;

	if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
		import_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	kind = argv[0];
	if (strcmp(kind, "keepalived") && strcmp(kind, "ipvsadm")) {
		fprintf(stderr, "xlbctl import: unknown source '%s' (expected keepalived or ipvsadm)\n",
			kind);
		return 2;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+i:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (!imp_ifname_ok(optarg)) {
				fprintf(stderr, "xlbctl import: bad interface name '%s' (expected 1 to "
						"15 characters without '/', ':' or spaces)\n",
					optarg);
				free(ifaces);
				return 2;
			}
			ifaces = realloc(ifaces, (nifaces + 1) * sizeof(*ifaces));
			if (!ifaces)
				return 1;
			ifaces[nifaces++] = optarg;
			break;
		case 'c':
			config_id = optarg;
			break;
		case 'h':
			import_usage(stdout);
			free(ifaces);
			return 0;
		default:
			import_usage(stderr);
			free(ifaces);
			return 2;
		}
	}
	if (argc - optind > 1 || (!strcmp(kind, "keepalived") && argc - optind != 1)) {
		import_usage(stderr);
		free(ifaces);
		return 2;
	}
	file = optind < argc ? argv[optind] : "-";
	imp_config_init(&cfg, kind, !strcmp(file, "-") ? "stdin" : file);
	for (size_t i = 0; i < nifaces; i++)
		imp_add_iface(&cfg, ifaces[i]);
	cfg.ifaces_given = nifaces > 0;
	free(ifaces);

	if (!strcmp(kind, "keepalived")) {
		struct kad_doc doc;

		/* keepalived's config id defaults to the host name up to its first dot. */
		if (!config_id && uname(&uts) == 0) {
			snprintf(host, sizeof(host), "%s", uts.nodename);
			host[strcspn(host, ".")] = '\0';
			config_id = host;
		}
		rc = kad_read(file, config_id, &doc, stderr);
		if (!rc) {
			rc = kad_map(&doc, &cfg, stderr);
			kad_free(&doc);
		}
	} else if (!strcmp(file, "-")) {
		rc = ipvsadm_import("stdin", stdin, &cfg, stderr);
	} else {
		FILE *in = fopen(file, "re");

		if (!in) {
			fprintf(stderr, "xlbctl import: cannot read %s: %s (expected ipvsadm-save -n output)\n",
				file, strerror(errno));
			imp_config_free(&cfg);
			return 1;
		}
		rc = ipvsadm_import(file, in, &cfg, stderr);
		fclose(in);
	}
	if (rc) {
		fprintf(stderr, "xlbctl import: %s %s: not imported (fix the lines above)\n", kind,
			cfg.source);
		imp_config_free(&cfg);
		return 1;
	}
	imp_write_yaml(&cfg, stdout);
	import_summary(&cfg);
	imp_config_free(&cfg);
	return fflush(stdout) == 0 ? 0 : 1;
}
