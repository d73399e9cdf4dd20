/*
 * A strict YAML reader on libyaml's event parser.  It builds a small tree
 * of scalars, mappings and sequences and refuses what policy and ceremony
 * files have no use for: aliases, anchors, several documents, duplicate
 * keys, non-scalar keys, deep nesting and oversized input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <keyrite/policy.h>

struct kr_yaml_parser {
	yaml_parser_t		 p;
	struct kr_yaml_doc	*doc;
	struct kr_err		*err;
};

static void
kr_yaml_node_free(struct kr_yaml_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->count; i++) {
		if (n->keys != NULL)
			free(n->keys[i]);
		kr_yaml_node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->scalar);
	free(n);
}

void
kr_yaml_free(struct kr_yaml_doc **docp)
{
	if (docp == NULL || *docp == NULL)
		return;
	kr_yaml_node_free((*docp)->root);
	free(*docp);
	*docp = NULL;
}

static int
kr_yaml_fail(struct kr_yaml_parser *yp, unsigned line, const char *what)
{
	return kr_err_set(yp->err, KR_EINPUT, "%s, line %u: %s",
	    yp->doc->label, line, what);
}

static int
kr_yaml_next(struct kr_yaml_parser *yp, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&yp->p, ev)) {
		char	what[256];

		(void)snprintf(what, sizeof(what), "not valid YAML (%s)",
		    yp->p.problem != NULL ? yp->p.problem : "parse error");
		return kr_yaml_fail(yp, (unsigned)yp->p.problem_mark.line + 1,
		    what);
	}
	return KR_OK;
}

static struct kr_yaml_node *
kr_yaml_node_new(struct kr_yaml_parser *yp, enum kr_yaml_kind kind,
    const yaml_event_t *ev)
{
	struct kr_yaml_node	*n;

	if (++yp->doc->nodes > KR_YAML_NODES_MAX)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)ev->start_mark.line + 1;
	return n;
}

static int
kr_yaml_append(struct kr_yaml_node *n, char *key, struct kr_yaml_node *item)
{
	struct kr_yaml_node	**items;
	char			**keys;

	items = realloc(n->items, (n->count + 1) * sizeof(*items));
	if (items == NULL)
		return KR_ENOMEM;
	n->items = items;
	if (n->kind == KR_YAML_MAP) {
		keys = realloc(n->keys, (n->count + 1) * sizeof(*keys));
		if (keys == NULL)
			return KR_ENOMEM;
		n->keys = keys;
		n->keys[n->count] = key;
	}
	n->items[n->count++] = item;
	return KR_OK;
}

static int kr_yaml_build(struct kr_yaml_parser *, yaml_event_t *, unsigned,
    struct kr_yaml_node **);

/* Reads a mapping's entries up to its end event. */
static int
kr_yaml_build_map(struct kr_yaml_parser *yp, struct kr_yaml_node *n,
    unsigned depth)
{
	struct kr_yaml_node	*item;
	yaml_event_t		 ev;
	char			*key;
	unsigned		 key_line;
	size_t			 i;
	int			 ret;

	for (;;) {
		if ((ret = kr_yaml_next(yp, &ev)) != KR_OK)
			return ret;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return KR_OK;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			ret = kr_yaml_fail(yp, (unsigned)ev.start_mark.line + 1,
			    "a mapping key must be a plain word");
			yaml_event_delete(&ev);
			return ret;
		}
		key = strdup((const char *)ev.data.scalar.value);
		key_line = (unsigned)ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		if (key == NULL)
			return kr_err_set(yp->err, KR_ENOMEM, "out of memory");
		for (i = 0; i < n->count; i++)
			if (strcmp(n->keys[i], key) == 0) {
				char what[160];

				(void)snprintf(what, sizeof(what),
				    "key '%.64s' appears twice", key);
				free(key);
				return kr_yaml_fail(yp, key_line, what);
			}
		if ((ret = kr_yaml_next(yp, &ev)) != KR_OK) {
			free(key);
			return ret;
		}
		ret = kr_yaml_build(yp, &ev, depth + 1, &item);
		yaml_event_delete(&ev);
		if (ret == KR_OK && kr_yaml_append(n, key, item) != KR_OK) {
			kr_yaml_node_free(item);
			ret = kr_err_set(yp->err, KR_ENOMEM, "out of memory");
		}
		if (ret != KR_OK) {
			free(key);
			return ret;
		}
	}
}

static int
kr_yaml_build_seq(struct kr_yaml_parser *yp, struct kr_yaml_node *n,
    unsigned depth)
{
	struct kr_yaml_node	*item;
	yaml_event_t		 ev;
	int			 ret;

	for (;;) {
		if ((ret = kr_yaml_next(yp, &ev)) != KR_OK)
			return ret;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return KR_OK;
		}
		ret = kr_yaml_build(yp, &ev, depth + 1, &item);
		yaml_event_delete(&ev);
		if (ret != KR_OK)
			return ret;
		if (kr_yaml_append(n, NULL, item) != KR_OK) {
			kr_yaml_node_free(item);
			return kr_err_set(yp->err, KR_ENOMEM, "out of memory");
		}
	}
}

/* Builds the node that starts with event `ev` (owned by the caller). */
static int
kr_yaml_build(struct kr_yaml_parser *yp, yaml_event_t *ev, unsigned depth,
    struct kr_yaml_node **out)
{
	struct kr_yaml_node	*n = NULL;
	unsigned		 line = (unsigned)ev->start_mark.line + 1;
	int			 ret;

	*out = NULL;
	if (depth > KR_YAML_DEPTH_MAX)
		return kr_yaml_fail(yp, line, "nested too deeply");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return kr_yaml_fail(yp, line, "aliases (*name) are not "
		    "allowed in keyrite files");
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			return kr_yaml_fail(yp, line, "anchors (&name) are "
			    "not allowed in keyrite files");
		if ((n = kr_yaml_node_new(yp, KR_YAML_SCALAR, ev)) == NULL)
			return kr_yaml_fail(yp, line, "too many entries");
		n->scalar = strdup((const char *)ev->data.scalar.value);
		if (n->scalar == NULL) {
			free(n);
			return kr_err_set(yp->err, KR_ENOMEM, "out of memory");
		}
		*out = n;
		return KR_OK;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if ((ev->type == YAML_MAPPING_START_EVENT ?
		    ev->data.mapping_start.anchor :
		    ev->data.sequence_start.anchor) != NULL)
			return kr_yaml_fail(yp, line, "anchors (&name) are "
			    "not allowed in keyrite files");
		n = kr_yaml_node_new(yp, ev->type == YAML_MAPPING_START_EVENT ?
		    KR_YAML_MAP : KR_YAML_SEQ, ev);
		if (n == NULL)
			return kr_yaml_fail(yp, line, "too many entries");
		ret = n->kind == KR_YAML_MAP ? kr_yaml_build_map(yp, n, depth) :
		    kr_yaml_build_seq(yp, n, depth);
		if (ret != KR_OK) {
			kr_yaml_node_free(n);
			return ret;
		}
		*out = n;
		return KR_OK;
	default:
		return kr_yaml_fail(yp, line, "unexpected YAML structure");
	}
}

/* Expects STREAM-START DOCUMENT-START node DOCUMENT-END STREAM-END. */
static int
kr_yaml_expect(struct kr_yaml_parser *yp, yaml_event_type_t type,
    const char *what)
{
	yaml_event_t	ev;
	int		ret;

	if ((ret = kr_yaml_next(yp, &ev)) != KR_OK)
		return ret;
	if (ev.type != type)
		ret = kr_yaml_fail(yp, (unsigned)ev.start_mark.line + 1, what);
	yaml_event_delete(&ev);
	return ret;
}

static int
kr_yaml_document(struct kr_yaml_parser *yp)
{
	yaml_event_t	ev;
	int		ret;

	if ((ret = kr_yaml_expect(yp, YAML_STREAM_START_EVENT,
	    "not a YAML stream")) != KR_OK)
		return ret;
	if ((ret = kr_yaml_expect(yp, YAML_DOCUMENT_START_EVENT,
	    "the file is empty")) != KR_OK)
		return ret;
	if ((ret = kr_yaml_next(yp, &ev)) != KR_OK)
		return ret;
	ret = kr_yaml_build(yp, &ev, 0, &yp->doc->root);
	yaml_event_delete(&ev);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_yaml_expect(yp, YAML_DOCUMENT_END_EVENT,
	    "unexpected content after the document")) != KR_OK)
		return ret;
	return kr_yaml_expect(yp, YAML_STREAM_END_EVENT,
	    "only one YAML document is allowed per file");
}

int
kr_yaml_parse(const char *label, const uint8_t *data, size_t len,
    struct kr_yaml_doc **out, struct kr_err *err)
{
	struct kr_yaml_parser	yp;
	int			ret;

	*out = NULL;
	if (len > KR_YAML_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "%s is %zu bytes, more than "
		    "the %d allowed", label, len, KR_YAML_FILE_MAX);
	if (memchr(data, '\0', len) != NULL)
		return kr_err_set(err, KR_EINPUT, "%s contains a NUL byte: "
		    "it is not a text file", label);
	memset(&yp, 0, sizeof(yp));
	yp.err = err;
	if ((yp.doc = calloc(1, sizeof(*yp.doc))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(yp.doc->label, sizeof(yp.doc->label), "%s", label);
	if (!yaml_parser_initialize(&yp.p)) {
		free(yp.doc);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&yp.p, data, len);
	ret = kr_yaml_document(&yp);
	yaml_parser_delete(&yp.p);
	if (ret != KR_OK) {
		kr_yaml_free(&yp.doc);
		return ret;
	}
	*out = yp.doc;
	return KR_OK;
}

int
kr_yaml_load(const char *path, struct kr_yaml_doc **out, struct kr_err *err)
{
	uint8_t	*data;
	size_t	 len;
	int	 ret;

	*out = NULL;
	if ((ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_yaml_parse(path, data, len, out, err);
	free(data);
	return ret;
}

const struct kr_yaml_node *
kr_yaml_get(const struct kr_yaml_node *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->kind != KR_YAML_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

int
kr_yaml_expect_map(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *map, const char *where,
    const char *const *allowed, struct kr_err *err)
{
	size_t	i, j;

	if (map == NULL || map->kind != KR_YAML_MAP)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: %s must be a "
		    "mapping of keys to values", doc->label,
		    map != NULL ? map->line : 1, where);
	for (i = 0; i < map->count; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(map->keys[i], allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			return kr_err_set(err, KR_EINPUT, "%s, line %u: "
			    "unknown key '%.64s' in %s", doc->label,
			    map->items[i]->line, map->keys[i], where);
	}
	return KR_OK;
}

int
kr_yaml_str(const struct kr_yaml_doc *doc, const struct kr_yaml_node *map,
    const char *key, bool required, const char **out, struct kr_err *err)
{
	const struct kr_yaml_node	*n = kr_yaml_get(map, key);

	*out = NULL;
	if (n == NULL) {
		if (!required)
			return KR_ENOENT;
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' is "
		    "missing", doc->label, map != NULL ? map->line : 1, key);
	}
	if (n->kind != KR_YAML_SCALAR)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' must be "
		    "a single value", doc->label, n->line, key);
	*out = n->scalar;
	return KR_OK;
}

int
kr_yaml_bool(const struct kr_yaml_doc *doc, const struct kr_yaml_node *map,
    const char *key, bool required, bool *out, struct kr_err *err)
{
	const char	*s;
	int		 ret;

	if ((ret = kr_yaml_str(doc, map, key, required, &s, err)) != KR_OK)
		return ret;
	if (strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0)
		*out = false;
	else
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' must be "
		    "true or false, not '%.32s'", doc->label,
		    kr_yaml_get(map, key)->line, key, s);
	return KR_OK;
}

int
kr_yaml_uint(const struct kr_yaml_doc *doc, const struct kr_yaml_node *map,
    const char *key, bool required, uint64_t min, uint64_t max,
    uint64_t *out, struct kr_err *err)
{
	const char		*s, *p;
	unsigned long long	 v = 0;
	int			 ret;

	if ((ret = kr_yaml_str(doc, map, key, required, &s, err)) != KR_OK)
		return ret;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (~0ULL - 9) / 10)
			break;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (*s == '\0' || *p != '\0' || v < min || v > max)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' must be "
		    "a whole number from %llu to %llu, not '%.32s'",
		    doc->label, kr_yaml_get(map, key)->line, key,
		    (unsigned long long)min, (unsigned long long)max, s);
	*out = v;
	return KR_OK;
}
