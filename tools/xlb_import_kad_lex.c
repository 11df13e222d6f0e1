// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * keepalived.conf into a tree of statements, read the way keepalived's
 * lib/parser.c reads it: '!' and '#' start a comment outside quotes, "..."
 * is one word, '{' and '}' split a line, "include GLOB" (relative to the
 * including file) is followed where it stands, "@ID" lines apply only for
 * config id ID, and "$NAME=value" definitions are substituted. What this
 * reader does not do (multi-line definitions, ~SEQ, ~LST) is an error
 * naming the line rather than a silent misreading.
 */
#include "xlb_import.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KAD_LINE_MAX 65536

enum kad_item_type { KI_WORDS, KI_OPEN, KI_CLOSE };

struct kad_item {
	enum kad_item_type type;
	char **words;
	size_t nwords;
	const char *file;
	int line;
};

struct kad_def {
	char *name, *value;
};

struct kad_lexer {
	struct kad_doc *doc;
	FILE *err;
	const char *config_id;
	struct kad_item *items;
	size_t nitems, cap;
	struct kad_def defs[KAD_DEFS_MAX];
	size_t ndefs;
	int failed;
};

static void *kad_alloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "xlbctl import: out of memory\n");
		exit(1);
	}
	return q;
}

static char *kad_strndup(const char *s, size_t n)
{
	char *d = kad_alloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void __attribute__((format(printf, 4, 5)))
lex_err(struct kad_lexer *L, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(L->err, "%s:%d: ", file, line);
	else
		fprintf(L->err, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(L->err, fmt, ap);
	va_end(ap);
	fputc('\n', L->err);
	L->failed = 1;
}

const char *kad_where(const struct kad_node *n, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%d", n->file ? n->file : "?", n->line);
	return buf;
}

/* keepalived's decomment(): strip comments outside quotes, "\#" and "\!" are literal. */
static void lex_decomment(char *s)
{
	bool quote = false;
	char *p = s;
	size_t len;

	while ((p = strpbrk(p, "!#\"\\"))) {
		if (*p == '"') {
			quote = !quote;
			p++;
		} else if (*p == '\\') {
			if (!p[1])
				break;
			if (!quote && (p[1] == '#' || p[1] == '!'))
				memmove(p, p + 1, strlen(p + 1) + 1);
			p++;
			if (*p)
				p++;
		} else if (!quote) {
			*p = '\0';
			break;
		} else {
			p++;
		}
	}
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
}

static const char *lex_def_lookup(struct kad_lexer *L, const char *name, size_t len)
{
	for (size_t i = 0; i < L->ndefs; i++)
		if (strlen(L->defs[i].name) == len && !strncmp(L->defs[i].name, name, len))
			return L->defs[i].value;
	return NULL;
}

static bool lex_name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* "$NAME=value": true if @s is a definition (stored); -1 on error. */
static int lex_definition(struct kad_lexer *L, const char *file, int line, const char *s)
{
	const char *p = s + 1, *name = p;
	size_t nlen;

	if (!lex_name_char(*p, true))
		return 0;
	while (lex_name_char(*p, false))
		p++;
	nlen = (size_t)(p - name);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] && p[strlen(p) - 1] == '\\') {
		lex_err(L, file, line,
			"multi-line definition $%.*s is not supported by xlbctl import (expected a "
			"one-line $NAME=value; expand it by hand)",
			(int)nlen, name);
		return -1;
	}
	for (size_t i = 0; i < L->ndefs; i++) {
		if (strlen(L->defs[i].name) == nlen && !strncmp(L->defs[i].name, name, nlen)) {
			free(L->defs[i].value);
			L->defs[i].value = kad_strndup(p, strlen(p));
			return 1;
		}
	}
	if (L->ndefs == KAD_DEFS_MAX) {
		lex_err(L, file, line, "more than %d definitions (expected at most %d)",
			KAD_DEFS_MAX, KAD_DEFS_MAX);
		return -1;
	}
	L->defs[L->ndefs].name = kad_strndup(name, nlen);
	L->defs[L->ndefs].value = kad_strndup(p, strlen(p));
	L->ndefs++;
	return 1;
}

/* $NAME and ${NAME} of known definitions, as keepalived's replace_param() (no parameters). */
static int lex_substitute(struct kad_lexer *L, const char *file, int line, char *buf)
{
	char out[KAD_LINE_MAX];
	size_t o = 0;

	for (const char *p = buf; *p;) {
		const char *val = NULL, *end = p;

		if (*p == '$' && p[1] == '{' && lex_name_char(p[2], true)) {
			const char *n = p + 2, *e = n;

			while (lex_name_char(*e, false))
				e++;
			if (*e == '}' && (val = lex_def_lookup(L, n, (size_t)(e - n))))
				end = e + 1;
		} else if (*p == '$' && lex_name_char(p[1], true)) {
			const char *n = p + 1, *e = n;

			while (lex_name_char(*e, false))
				e++;
			if ((val = lex_def_lookup(L, n, (size_t)(e - n))))
				end = e;
		}
		if (val) {
			size_t vl = strlen(val);

			if (o + vl >= sizeof(out))
				goto too_long;
			memcpy(out + o, val, vl);
			o += vl;
			p = end;
			continue;
		}
		if (o + 1 >= sizeof(out))
			goto too_long;
		out[o++] = *p++;
	}
	out[o] = '\0';
	memcpy(buf, out, o + 1);
	return 0;
too_long:
	lex_err(L, file, line, "line longer than %d characters after substituting definitions",
		KAD_LINE_MAX - 1);
	return -1;
}

static void lex_push(struct kad_lexer *L, enum kad_item_type type, char **words, size_t nwords,
		     const char *file, int line)
{
	if (L->nitems == L->cap) {
		L->cap = L->cap ? L->cap * 2 : 256;
		L->items = kad_alloc(L->items, L->cap * sizeof(*L->items));
	}
	L->items[L->nitems++] = (struct kad_item){ type, words, nwords, file, line };
}

/* Words as keepalived's alloc_strvec_r(): "..." is one word without its quotes. */
static int lex_words(struct kad_lexer *L, const char *file, int line, const char *s, size_t len)
{
	char **words = NULL;
	size_t n = 0;
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *start;
		size_t wl;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		if (*p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));

			if (!q) {
				lex_err(L, file, line, "unmatched quote (expected a closing \")");
				goto fail;
			}
			start = p + 1;
			wl = (size_t)(q - start);
			p = q + 1;
		} else {
			start = p;
			while (p < end && *p != ' ' && *p != '\t' && *p != '"')
				p++;
			wl = (size_t)(p - start);
		}
		if (n == KAD_WORDS_MAX) {
			lex_err(L, file, line, "more than %d words on one line (expected at most %d)",
				KAD_WORDS_MAX, KAD_WORDS_MAX);
			goto fail;
		}
		words = kad_alloc(words, (n + 1) * sizeof(*words));
		words[n++] = kad_strndup(start, wl);
	}
	if (n)
		lex_push(L, KI_WORDS, words, n, file, line);
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	return -1;
}

/* Splits at '{' and '}' outside quotes, as keepalived's read_line() does. */
static int lex_line(struct kad_lexer *L, const char *file, int line, const char *s)
{
	while (*s) {
		const char *p = s;
		bool quote = false;

		while (*p == ' ' || *p == '\t')
			p++;
		s = p;
		for (; *p; p++) {
			if (*p == '"')
				quote = !quote;
			else if (!quote && (*p == '{' || *p == '}'))
				break;
		}
		if (p == s && *p) {
			lex_push(L, *p == '{' ? KI_OPEN : KI_CLOSE, NULL, 0, file, line);
			s = p + 1;
			continue;
		}
		if (lex_words(L, file, line, s, (size_t)(p - s)) < 0)
			return -1;
		s = p;
	}
	return 0;
}

static int lex_file(struct kad_lexer *L, const char *path, int depth, const char *from,
		    int from_line);

static bool lex_is_include(const char *s, const char **pattern)
{
	if (strncmp(s, "include", 7) != 0)
		return false;
	/* include, or includer/includem/includew/includeb/includea (strictness flags). */
	if (s[7] == ' ' || s[7] == '\t') {
		*pattern = s + 8;
	} else if (s[7] && strchr("rmwba", s[7]) && (s[8] == ' ' || s[8] == '\t')) {
		*pattern = s + 9;
	} else {
		return false;
	}
	*pattern += strspn(*pattern, " \t");
	return true;
}

/* An include keepalived would skip: kept as a note, not an error. */
static void lex_skipped(struct kad_lexer *L, const char *file, int line, const char *text)
{
	char where[600];

	snprintf(where, sizeof(where), "%s:%d", file, line);
	imp_note(&L->doc->skipped, IMP_NOTE_COMMENTED, where, "include", "%s", text);
}

static int lex_include(struct kad_lexer *L, const char *file, int line, const char *pattern,
		       int depth)
{
	char full[4096];
	glob_t g;
	int rc = 0, res;

	if (!*pattern) {
		lex_err(L, file, line, "include without a file (expected include PATH or GLOB)");
		return -1;
	}
	if (depth + 1 > KAD_INCLUDE_DEPTH_MAX) {
		lex_err(L, file, line, "includes nested more than %d deep (expected at most %d; an include loop?)",
			KAD_INCLUDE_DEPTH_MAX, KAD_INCLUDE_DEPTH_MAX);
		return -1;
	}
	/* keepalived changes to the including file's directory before it globs. */
	if (pattern[0] != '/' && strchr(file, '/')) {
		const char *slash = strrchr(file, '/');

		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - file), file, pattern);
	} else {
		snprintf(full, sizeof(full), "%s", pattern);
	}
	memset(&g, 0, sizeof(g));
	res = glob(full, GLOB_MARK | GLOB_BRACE, NULL, &g);
	if (res == GLOB_NOMATCH) {
		char text[4200];

		snprintf(text, sizeof(text), "include %s: no file matches, keepalived skips it too",
			 pattern);
		lex_skipped(L, file, line, text);
		globfree(&g);
		return 0;
	}
	if (res) {
		lex_err(L, file, line, "include %s: cannot read the directory (expected a readable path)",
			pattern);
		globfree(&g);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
		const char *f = g.gl_pathv[i];
		char text[4200];
		struct stat st;

		/* keepalived skips directories and executables, saying so. */
		if (f[0] && f[strlen(f) - 1] == '/') {
			snprintf(text, sizeof(text), "include: %s is a directory, skipped as keepalived does", f);
			lex_skipped(L, file, line, text);
			continue;
		}
		if (stat(f, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 0111)) {
			snprintf(text, sizeof(text),
				 "include: %s is not a regular non-executable file, skipped as keepalived does",
				 f);
			lex_skipped(L, file, line, text);
			continue;
		}
		rc = lex_file(L, f, depth + 1, file, line);
	}
	globfree(&g);
	return rc;
}

static int lex_text(struct kad_lexer *L, const char *file, const char *text, size_t len, int depth)
{
	char *buf = kad_alloc(NULL, KAD_LINE_MAX);
	size_t off = 0;
	int line = 0, rc = 0;

	while (off < len && !rc) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		const char *pattern;
		char *s;

		line++;
		if (ll >= KAD_LINE_MAX) {
			lex_err(L, file, line, "line longer than %d characters (expected a config line)",
				KAD_LINE_MAX - 1);
			rc = -1;
			break;
		}
		memcpy(buf, text + off, ll);
		buf[ll] = '\0';
		off += ll + (nl ? 1 : 0);
		if (memchr(buf, '\0', ll)) {
			lex_err(L, file, line, "NUL byte in the line (expected text)");
			rc = -1;
			break;
		}
		while (ll && (buf[ll - 1] == '\r' || buf[ll - 1] == '\n'))
			buf[--ll] = '\0';
		s = buf + strspn(buf, " \t");
		lex_decomment(s);
		if (!*s)
			continue;
		if (s[0] == '@') {
			bool rev = s[1] == '^';
			const char *id = s + (rev ? 2 : 1);
			size_t idlen = strcspn(id, " \t");
			bool match = L->config_id && strlen(L->config_id) == idlen &&
				     !strncmp(id, L->config_id, idlen);
			char where[600];

			if (!id[idlen])
				continue; /* nothing after the id: keepalived ignores the line */
			if (match == rev) {
				snprintf(where, sizeof(where), "%s:%d", file, line);
				imp_note(&L->doc->skipped, IMP_NOTE_COMMENTED, where, "@config_id",
					 "'%s' applies only %s config id '%.*s' (this import used '%s'; "
					 "--config-id picks another)",
					 s, rev ? "without" : "with", (int)idlen, id,
					 L->config_id ? L->config_id : "");
				continue;
			}
			s = (char *)id + idlen;
			s += strspn(s, " \t");
		}
		if (s[0] == '$') {
			int d = lex_definition(L, file, line, s);

			if (d < 0) {
				rc = -1;
				break;
			}
			if (d)
				continue;
		}
		if (!strncmp(s, "~SEQ", 4) || !strncmp(s, "~LST", 4)) {
			lex_err(L, file, line,
				"%.4s is not supported by xlbctl import (expected plain statements; "
				"expand the sequence by hand)",
				s);
			rc = -1;
			break;
		}
		if (L->ndefs && strchr(s, '$')) {
			if (lex_substitute(L, file, line, s) < 0) {
				rc = -1;
				break;
			}
			lex_decomment(s);
			s += strspn(s, " \t");
		}
		if (lex_is_include(s, &pattern)) {
			rc = lex_include(L, file, line, pattern, depth);
			continue;
		}
		rc = lex_line(L, file, line, s);
	}
	free(buf);
	return rc;
}

static const char *lex_keep_name(struct kad_lexer *L, const char *path)
{
	struct kad_doc *doc = L->doc;

	doc->files = kad_alloc(doc->files, (doc->nfiles + 1) * sizeof(*doc->files));
	doc->files[doc->nfiles] = kad_strndup(path, strlen(path));
	return doc->files[doc->nfiles++];
}

static int lex_file(struct kad_lexer *L, const char *path, int depth, const char *from,
		    int from_line)
{
	const char *name;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc;

	if (L->doc->nfiles >= KAD_FILES_MAX) {
		lex_err(L, from ? from : path, from_line,
			"more than %d files included (expected at most %d)", KAD_FILES_MAX,
			KAD_FILES_MAX);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		lex_err(L, from ? from : path, from ? from_line : 0,
			"cannot read %s: %s (expected a readable keepalived.conf)", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		lex_err(L, path, 0, "is a directory (expected a keepalived.conf file)");
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n;

		text = kad_alloc(text, len + 65536);
		n = read(fd, text + len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			lex_err(L, path, 0, "cannot read: %s (expected a readable file)",
				strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KAD_FILE_MAX) {
			lex_err(L, path, 0, "larger than %u MiB (expected a keepalived.conf)",
				KAD_FILE_MAX >> 20);
			free(text);
			close(fd);
			return -1;
		}
	}
	close(fd);
	name = lex_keep_name(L, path);
	rc = lex_text(L, name, text, len, depth);
	free(text);
	return rc;
}

static void kad_node_free(struct kad_node *n)
{
	for (size_t i = 0; i < n->nwords; i++)
		free(n->words[i]);
	free(n->words);
	for (size_t i = 0; i < n->nkids; i++)
		kad_node_free(&n->kids[i]);
	free(n->kids);
}

/* Statements and their blocks from the item stream; @opener is the '{' being closed. */
static int kad_build(struct kad_lexer *L, size_t *i, struct kad_node *parent, int depth,
		     const struct kad_item *opener)
{
	while (*i < L->nitems) {
		struct kad_item *it = &L->items[*i];
		struct kad_node node;

		if (it->type == KI_CLOSE) {
			(*i)++;
			if (!opener) {
				lex_err(L, it->file, it->line,
					"'}' without an open block (expected a statement)");
				return -1;
			}
			return 0;
		}
		if (it->type == KI_OPEN) {
			lex_err(L, it->file, it->line,
				"'{' without a statement before it (expected KEYWORD ... {)");
			return -1;
		}
		memset(&node, 0, sizeof(node));
		node.words = it->words;
		node.nwords = it->nwords;
		node.file = it->file;
		node.line = it->line;
		it->words = NULL; /* owned by the node now */
		(*i)++;
		if (*i < L->nitems && L->items[*i].type == KI_OPEN) {
			const struct kad_item *open = &L->items[*i];

			if (depth + 1 > KAD_NESTING_MAX) {
				lex_err(L, open->file, open->line,
					"blocks nested more than %d deep (expected at most %d)",
					KAD_NESTING_MAX, KAD_NESTING_MAX);
				kad_node_free(&node);
				return -1;
			}
			(*i)++;
			node.block = true;
			if (kad_build(L, i, &node, depth + 1, open) < 0) {
				kad_node_free(&node);
				return -1;
			}
		}
		parent->kids = kad_alloc(parent->kids, (parent->nkids + 1) * sizeof(*parent->kids));
		parent->kids[parent->nkids++] = node;
	}
	if (opener) {
		lex_err(L, opener->file, opener->line,
			"block opened here is not closed (expected a '}' before the end of the file)");
		return -1;
	}
	return 0;
}

static int kad_finish(struct kad_lexer *L, int rc)
{
	size_t i = 0;

	if (!rc && !L->failed)
		rc = kad_build(L, &i, &L->doc->root, 0, NULL);
	for (size_t k = 0; k < L->nitems; k++) {
		for (size_t w = 0; L->items[k].words && w < L->items[k].nwords; w++)
			free(L->items[k].words[w]);
		free(L->items[k].words);
	}
	free(L->items);
	for (size_t k = 0; k < L->ndefs; k++) {
		free(L->defs[k].name);
		free(L->defs[k].value);
	}
	if (rc || L->failed) {
		kad_free(L->doc);
		return -1;
	}
	return 0;
}

int kad_read(const char *path, const char *config_id, struct kad_doc *doc, FILE *err)
{
	struct kad_lexer L = { .doc = doc, .err = err, .config_id = config_id };

	memset(doc, 0, sizeof(*doc));
	return kad_finish(&L, lex_file(&L, path, 0, NULL, 0));
}

int kad_read_text(const char *name, const char *text, const char *config_id, struct kad_doc *doc,
		  FILE *err)
{
	struct kad_lexer L = { .doc = doc, .err = err, .config_id = config_id };
	const char *kept;

	memset(doc, 0, sizeof(*doc));
	kept = lex_keep_name(&L, name);
	return kad_finish(&L, lex_text(&L, kept, text, strlen(text), 0));
}

void kad_free(struct kad_doc *doc)
{
	kad_node_free(&doc->root);
	for (size_t i = 0; i < doc->nfiles; i++)
		free(doc->files[i]);
	free(doc->files);
	for (size_t i = 0; i < doc->skipped.n; i++) {
		free(doc->skipped.v[i].where);
		free(doc->skipped.v[i].what);
		free(doc->skipped.v[i].text);
	}
	free(doc->skipped.v);
	memset(doc, 0, sizeof(*doc));
}
