/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlbctl import: keepalived.conf and ipvsadm rules into an xlb.yaml.
 *
 * Two readers (keepalived: xlb_import_kad_*.c, ipvsadm: xlb_import_ipvsadm.c)
 * fill one model (struct imp_config, xlb_import_model.c) that holds only
 * what xlb accepts plus notes: every input concept xlb has no equivalent for
 * becomes a note kept as a YAML comment where it came from, so nothing is
 * dropped silently. xlb_import_yaml.c writes the model.
 */
#ifndef XLB_IMPORT_H
#define XLB_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ha/ha_config.h"
#include "health/health_config.h"

/* ---------------------------------------------------------------- notes */

enum imp_note_kind {
	IMP_NOTE_COMMENTED, /* an input concept xlb does not carry over: counted */
	IMP_NOTE_INFO,	    /* how a value was derived or approximated */
};

struct imp_note {
	enum imp_note_kind kind;
	char *where; /* "FILE:LINE" or "" */
	char *what;  /* the keyword, for the summary */
	char *text;
};

struct imp_notes {
	struct imp_note *v;
	size_t n, cap;
};

/* ---------------------------------------------------------------- model */

#define IMP_ADDR_MAX 64 /* an address as text */

struct imp_health {
	bool set;
	uint8_t kind; /* enum health_kind */
	uint8_t on_failure;
	uint8_t rise, fall;
	uint16_t port, expect_status;
	uint32_t interval_ms, timeout_ms;
	char path[HEALTH_PATH_MAX];
	char host[HEALTH_HOST_MAX];
	char expect_body[HEALTH_MATCH_MAX];
	char send[HEALTH_SEND_MAX];
	char expect[HEALTH_MATCH_MAX];
	char dns_name[HEALTH_DNS_NAME_MAX];
	char command[HEALTH_COMMAND_MAX];
	struct imp_notes notes;
};

struct imp_real {
	char addr[IMP_ADDR_MAX];
	uint16_t port; /* 0: the service's */
	uint32_t weight;
	char check_addr[IMP_ADDR_MAX]; /* "": the real's */
	uint16_t check_port;	       /* 0: the health block's */
	struct imp_notes notes;
};

struct imp_service {
	bool omitted; /* left out entirely: only its notes are written */
	char name[CONFIG_NAME_MAX];
	char vip[IMP_ADDR_MAX];
	int family; /* AF_INET / AF_INET6 */
	uint16_t port;
	bool udp;
	const char *method;	/* "dr", "tun", "gue", "nat" */
	const char *scheduler;	/* xlb's name */
	bool flag_port, flag_fallback;
	uint32_t persistence_ms;
	uint16_t gue_port; /* 0: xlb's default */
	struct imp_real *reals;
	size_t nreals, cap;
	struct imp_health health;
	bool has_sorry;
	char sorry_addr[IMP_ADDR_MAX];
	uint16_t sorry_port; /* 0: the service's */
	uint32_t quorum; /* 0: none */
	struct imp_notes notes;
};

struct imp_vrrp {
	bool omitted; /* left out entirely: only its notes are written */
	char name[CONFIG_NAME_MAX];
	char iface[IF_NAMESIZE];
	int family;
	uint8_t vrid, priority;
	uint32_t advert_ms;
	bool preempt;
	uint32_t preempt_delay_ms;
	char addrs[HA_VRRP_ADDRS_MAX][IMP_ADDR_MAX];
	size_t naddrs;
	char peers[HA_PEERS_MAX][IMP_ADDR_MAX];
	size_t npeers;
	struct {
		char name[IF_NAMESIZE];
		int weight; /* 0: FAULT while down */
	} tracks[HA_TRACK_MAX]; /* track_interface */
	size_t ntracks;
	struct imp_notes notes;
};

struct imp_config {
	const char *tool;   /* "keepalived" / "ipvsadm": prefix of its comments */
	const char *source; /* the input file */
	char **ifaces;
	size_t nifaces;
	bool ifaces_given; /* --interface */
	struct imp_service *services;
	size_t nservices, svc_cap;
	struct imp_vrrp *vrrp;
	size_t nvrrp, vrrp_cap;
	struct imp_notes notes;	  /* top level, in input order */
	struct imp_notes trailer; /* services or instances left out entirely */
	unsigned mapped;	  /* input statements carried over */
};

void imp_config_init(struct imp_config *cfg, const char *tool, const char *source);
void imp_config_free(struct imp_config *cfg);

/* Notes: @where may be NULL; the text is printf-formatted. */
void imp_note(struct imp_notes *notes, enum imp_note_kind kind, const char *where,
	      const char *what, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct imp_service *imp_add_service(struct imp_config *cfg);
void imp_drop_last_service(struct imp_config *cfg);
struct imp_real *imp_add_real(struct imp_service *svc);
struct imp_vrrp *imp_add_vrrp(struct imp_config *cfg);
int imp_add_iface(struct imp_config *cfg, const char *name);

/* An address literal (no prefix, no scope) into canonical text; family or 0. */
int imp_addr_canon(const char *s, char *out, size_t size);
/* "1.5" seconds (keepalived's timers: up to 6 decimals) into ms, rounded up; false if bad. */
bool imp_parse_seconds(const char *s, uint64_t *ms);
bool imp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The kernel's rules for an interface name. */
bool imp_ifname_ok(const char *s);
/* A service / instance name xlb accepts, made from @base (bad characters become '_'). */
void imp_make_name(char *out, size_t size, const char *base);
/* A service name unique in @cfg. */
void imp_unique_service_name(struct imp_config *cfg, struct imp_service *svc, const char *base);
/* True if another service has the same VIP, port and protocol; names it in @who. */
bool imp_service_duplicate(const struct imp_config *cfg, const struct imp_service *svc,
			   char *who, size_t size);
/* "2s", "1500ms": what xlb's duration keys take. */
const char *imp_duration(uint32_t ms, char *buf, size_t size);
/* xlb's name of a health check kind ("http"). */
const char *imp_health_kind_name(unsigned kind);
/* The xlb scheduler for an IPVS one, or NULL. */
const char *imp_scheduler(const char *ipvs);

/* Counts notes by kind over the whole model; @top gets the keywords of commented ones. */
void imp_count(const struct imp_config *cfg, unsigned *commented, unsigned *info);
/* "authentication 2, digest 4": commented notes per keyword, for the summary. */
void imp_summary_keywords(const struct imp_config *cfg, char *buf, size_t size);

/* ---------------------------------------------------------------- keepalived reader */

/* One statement: the words of a line, and a block if a '{' followed. */
struct kad_node {
	char **words;
	size_t nwords;
	const char *file; /* owned by struct kad_doc */
	int line;
	bool block;
	struct kad_node *kids;
	size_t nkids;
};

struct kad_doc {
	struct kad_node root; /* words empty; kids: the top-level statements */
	char **files;	      /* every file read, in order; nodes point into it */
	size_t nfiles;
	struct imp_notes skipped; /* conditional (@id) lines of other config ids */
};

/* Bounds: a keepalived.conf is a few pages; anything beyond these is the wrong file. */
#define KAD_FILE_MAX (4u << 20)
#define KAD_FILES_MAX 256
#define KAD_INCLUDE_DEPTH_MAX 8
#define KAD_NESTING_MAX 16
#define KAD_WORDS_MAX 256
#define KAD_DEFS_MAX 256

/*
 * Reads @path and what it includes into @doc. @config_id selects "@ID"
 * lines as keepalived's -i does (NULL: none match). On error prints
 * "FILE:LINE: what (expected ...)" to @err and returns -1.
 */
int kad_read(const char *path, const char *config_id, struct kad_doc *doc, FILE *err);
/* The same from text in memory (@name in messages); includes are relative to the cwd. */
int kad_read_text(const char *name, const char *text, const char *config_id, struct kad_doc *doc,
		  FILE *err);
void kad_free(struct kad_doc *doc);
/* "FILE:LINE" of a node. */
const char *kad_where(const struct kad_node *n, char *buf, size_t size);

/* Maps a keepalived tree into @cfg; -1 (message on @err) on input keepalived rejects. */
int kad_map(const struct kad_doc *doc, struct imp_config *cfg, FILE *err);
/* The two halves of kad_map (xlb_import_kad_lvs.c, xlb_import_kad_vrrp.c). */
struct kad_ctx {
	struct imp_config *cfg;
	FILE *err;
	int errors;
	int vrrp_version; /* global_defs vrrp_version, 2 if not given */
	char default_iface[IF_NAMESIZE];
	const struct kad_node *groups[256]; /* virtual_server_group blocks */
	size_t ngroups;
};
void kad_err(struct kad_ctx *k, const struct kad_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kad_comment(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void kad_info(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* kad_comment counted under @what rather than the statement's keyword (for the summary). */
void kad_comment_as(struct kad_ctx *k, struct imp_notes *notes, const struct kad_node *n,
		    const char *what, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The statement as written ("virtual_server 10.0.0.1 80"), shortened for a comment. */
const char *kad_text(const struct kad_node *n, char *buf, size_t size);
void kad_map_virtual_server(struct kad_ctx *k, const struct kad_node *n);

/* Values a checker inherits from its real_server and virtual_server; UINT64_MAX: not given. */
struct kad_check_defaults {
	uint64_t delay_loop_ms, timeout_ms, retry;
	const char *virtualhost; /* NULL: none */
};

/* One keepalived checker as an xlb health check. */
struct kad_check {
	bool mapped; /* false: nothing xlb can check (the notes say why) */
	struct imp_health h; /* notes unused */
	char check_addr[IMP_ADDR_MAX]; /* "": the real's address */
	uint16_t check_port;	       /* 0: the real's port */
};

/* Is @kw a checker block (TCP_CHECK, HTTP_GET, ...)? */
bool kad_is_checker(const char *kw);
/* Maps checker block @n of the real at @real_addr; notes about its keys go to @notes. */
void kad_check_parse(struct kad_ctx *k, const struct kad_node *n,
		     const struct kad_check_defaults *d, const char *real_addr,
		     struct imp_notes *notes, struct kad_check *out);
/* NULL if two checks differ in nothing but where they go, else the first key that differs. */
const char *kad_check_diff(const struct kad_check *a, const struct kad_check *b);
void kad_map_vrrp_instance(struct kad_ctx *k, const struct kad_node *n);

/* ---------------------------------------------------------------- ipvsadm reader */

/* Reads ipvsadm-save -n / ipvsadm -Sn output from @in (@name in messages). */
int ipvsadm_import(const char *name, FILE *in, struct imp_config *cfg, FILE *err);

/* ---------------------------------------------------------------- output */

/* The YAML; interfaces derived or placeholder if none were given. */
void imp_write_yaml(struct imp_config *cfg, FILE *out);

/* `xlbctl import ...`: argv after "import". */
int xlb_import_main(int argc, char **argv);

#endif
