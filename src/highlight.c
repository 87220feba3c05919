/* highlight.c: syntax colours for fenced code, on the server: one small table-driven lexer for a few languages. */
#include "highlight.h"

#include <string.h>

/* Why on the server and by hand (docs/rendering.md): the colours are part of the cached
 * page, work without script and in print, and need no file from npm in the binary. The
 * price is scope: keywords, types, literals, strings, numbers, comments and a few
 * language-specific marks, not a parser. Everything is escaped; a wrong guess only gives
 * a wrong colour. */

/* --- word lists: sorted by byte value (bisection; highlight_check_lists tests it) ------- */

static const char *const c_kw[] = { "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Generic",
	"_Noreturn", "_Static_assert", "_Thread_local", "auto", "break", "case", "const", "continue",
	"default", "do", "else", "enum", "extern", "for", "goto", "if", "inline", "register", "restrict",
	"return", "sizeof", "static", "struct", "switch", "typedef", "union", "volatile", "while" };
static const char *const c_ty[] = { "FILE", "bool", "char", "double", "float", "int", "int16_t",
	"int32_t", "int64_t", "int8_t", "intptr_t", "long", "off_t", "ptrdiff_t", "short", "signed",
	"size_t", "ssize_t", "time_t", "uint16_t", "uint32_t", "uint64_t", "uint8_t", "uintptr_t",
	"unsigned", "void" };
static const char *const c_lit[] = { "EOF", "NULL", "false", "stderr", "stdin", "stdout", "true" };
static const char *const cpp_kw[] = { "alignas", "alignof", "and", "asm", "auto", "break", "case",
	"catch", "class", "co_await", "co_return", "co_yield", "concept", "const", "const_cast",
	"consteval", "constexpr", "constinit", "continue", "decltype", "default", "delete", "do",
	"dynamic_cast", "else", "enum", "explicit", "export", "extern", "final", "for", "friend", "goto",
	"if", "inline", "mutable", "namespace", "new", "noexcept", "not", "operator", "or", "override",
	"private", "protected", "public", "register", "reinterpret_cast", "requires", "return", "sizeof",
	"static", "static_assert", "static_cast", "struct", "switch", "template", "this", "throw", "try",
	"typedef", "typeid", "typename", "union", "using", "virtual", "volatile", "while", "xor" };
static const char *const cpp_ty[] = { "FILE", "bool", "char", "char16_t", "char32_t", "char8_t",
	"double", "float", "int", "int16_t", "int32_t", "int64_t", "int8_t", "intptr_t", "long", "map",
	"off_t", "ptrdiff_t", "set", "shared_ptr", "short", "signed", "size_t", "ssize_t", "std", "string",
	"time_t", "uint16_t", "uint32_t", "uint64_t", "uint8_t", "uintptr_t", "unique_ptr", "unsigned",
	"vector", "void", "wchar_t" };
static const char *const cpp_lit[] = { "NULL", "false", "nullptr", "true" };
static const char *const cs_kw[] = { "abstract", "as", "async", "await", "base", "break", "case",
	"catch", "checked", "class", "const", "continue", "default", "delegate", "do", "else", "enum",
	"event", "explicit", "extern", "finally", "fixed", "for", "foreach", "get", "goto", "if",
	"implicit", "in", "init", "interface", "internal", "is", "lock", "namespace", "new", "operator",
	"out", "override", "params", "partial", "private", "protected", "public", "readonly", "record",
	"ref", "return", "sealed", "set", "sizeof", "stackalloc", "static", "struct", "switch", "this",
	"throw", "try", "typeof", "unchecked", "unsafe", "using", "var", "virtual", "volatile", "when",
	"where", "while", "yield" };
static const char *const cs_ty[] = { "Dictionary", "List", "String", "Task", "bool", "byte", "char",
	"decimal", "double", "dynamic", "float", "int", "long", "object", "sbyte", "short", "string",
	"uint", "ulong", "ushort", "void" };
static const char *const cs_lit[] = { "false", "null", "true", "value" };
static const char *const go_kw[] = { "break", "case", "chan", "const", "continue", "default",
	"defer", "else", "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map",
	"package", "range", "return", "select", "struct", "switch", "type", "var" };
static const char *const go_ty[] = { "any", "append", "bool", "byte", "cap", "close", "complex128",
	"complex64", "copy", "delete", "error", "float32", "float64", "int", "int16", "int32", "int64",
	"int8", "len", "make", "new", "panic", "print", "println", "recover", "rune", "string", "uint",
	"uint16", "uint32", "uint64", "uint8", "uintptr" };
static const char *const go_lit[] = { "false", "iota", "nil", "true" };
static const char *const rust_kw[] = { "as", "async", "await", "break", "const", "continue",
	"crate", "dyn", "else", "enum", "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match",
	"mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "type",
	"unsafe", "use", "where", "while" };
static const char *const rust_ty[] = { "Box", "HashMap", "Option", "Result", "Self", "String",
	"Vec", "bool", "char", "f32", "f64", "i128", "i16", "i32", "i64", "i8", "isize", "str", "u128",
	"u16", "u32", "u64", "u8", "usize" };
static const char *const rust_lit[] = { "Err", "None", "Ok", "Some", "false", "true" };
static const char *const java_kw[] = { "abstract", "assert", "break", "case", "catch", "class",
	"const", "continue", "default", "do", "else", "enum", "extends", "final", "finally", "for", "goto",
	"if", "implements", "import", "instanceof", "interface", "native", "new", "package", "private",
	"protected", "public", "record", "return", "static", "strictfp", "super", "switch", "synchronized",
	"this", "throw", "throws", "transient", "try", "var", "volatile", "while", "yield" };
static const char *const java_ty[] = { "Boolean", "Integer", "List", "Long", "Map", "Object",
	"String", "boolean", "byte", "char", "double", "float", "int", "long", "short", "void" };
static const char *const java_lit[] = { "false", "null", "true" };
static const char *const kt_kw[] = { "as", "break", "by", "class", "companion", "const",
	"constructor", "continue", "data", "do", "else", "enum", "fun", "if", "import", "in", "init",
	"interface", "internal", "is", "lateinit", "object", "open", "operator", "out", "override",
	"package", "private", "protected", "public", "return", "sealed", "super", "suspend", "this",
	"throw", "try", "typealias", "val", "var", "when", "while" };
static const char *const kt_ty[] = { "Any", "Boolean", "Byte", "Char", "Double", "Float", "Int",
	"List", "Long", "Map", "Nothing", "Short", "String", "Unit" };
static const char *const kt_lit[] = { "false", "null", "true" };
static const char *const js_kw[] = { "async", "await", "break", "case", "catch", "class", "const",
	"continue", "debugger", "default", "delete", "do", "else", "export", "extends", "finally", "for",
	"from", "function", "get", "if", "import", "in", "instanceof", "let", "new", "of", "return", "set",
	"static", "super", "switch", "this", "throw", "try", "typeof", "var", "void", "while", "with",
	"yield" };
static const char *const js_ty[] = { "Array", "Boolean", "Date", "Error", "JSON", "Map", "Math",
	"Number", "Object", "Promise", "RegExp", "Set", "String", "Symbol", "console", "document",
	"window" };
static const char *const js_lit[] = { "Infinity", "NaN", "false", "null", "true", "undefined" };
static const char *const ts_kw[] = { "abstract", "as", "async", "await", "break", "case", "catch",
	"class", "const", "continue", "debugger", "declare", "default", "delete", "do", "else", "enum",
	"export", "extends", "finally", "for", "from", "function", "get", "if", "implements", "import",
	"in", "instanceof", "interface", "keyof", "let", "namespace", "new", "of", "private", "protected",
	"public", "readonly", "return", "satisfies", "set", "static", "super", "switch", "this", "throw",
	"try", "type", "typeof", "var", "void", "while", "with", "yield" };
static const char *const ts_ty[] = { "Array", "Boolean", "Date", "Error", "JSON", "Map", "Math",
	"Number", "Object", "Promise", "RegExp", "Set", "String", "Symbol", "any", "bigint", "boolean",
	"console", "document", "never", "number", "object", "string", "unknown", "void", "window" };
static const char *const ts_lit[] = { "Infinity", "NaN", "false", "null", "true", "undefined" };
static const char *const json_lit[] = { "false", "null", "true" };
static const char *const py_kw[] = { "and", "as", "assert", "async", "await", "break", "case",
	"class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
	"if", "import", "in", "is", "lambda", "match", "nonlocal", "not", "or", "pass", "raise", "return",
	"try", "while", "with", "yield" };
static const char *const py_ty[] = { "bool", "bytes", "cls", "dict", "float", "int", "isinstance",
	"len", "list", "object", "open", "print", "range", "self", "set", "str", "super", "tuple", "type" };
static const char *const py_lit[] = { "False", "None", "NotImplemented", "True" };
static const char *const rb_kw[] = { "BEGIN", "END", "alias", "and", "attr_accessor", "attr_reader",
	"begin", "break", "case", "class", "def", "do", "else", "elsif", "end", "ensure", "for", "if",
	"in", "module", "next", "not", "or", "puts", "redo", "require", "require_relative", "rescue",
	"retry", "return", "self", "super", "then", "undef", "unless", "until", "when", "while", "yield" };
static const char *const rb_ty[] = { "Array", "Hash", "Integer", "Object", "String", "Symbol" };
static const char *const rb_lit[] = { "false", "nil", "true" };
static const char *const sh_kw[] = { "alias", "case", "cd", "do", "done", "echo", "elif", "else",
	"esac", "eval", "exec", "exit", "export", "fi", "for", "function", "if", "in", "local", "printf",
	"read", "readonly", "return", "select", "set", "shift", "source", "test", "then", "trap", "unset",
	"until", "while" };
static const char *const sh_lit[] = { "false", "true" };
static const char *const sql_kw[] = { "add", "all", "alter", "and", "as", "asc", "begin", "between",
	"by", "case", "check", "column", "commit", "constraint", "create", "cross", "database", "default",
	"delete", "desc", "distinct", "drop", "else", "end", "exists", "foreign", "from", "full", "group",
	"having", "if", "in", "index", "inner", "insert", "into", "is", "join", "key", "left", "like",
	"limit", "not", "null", "offset", "on", "or", "order", "outer", "over", "partition", "primary",
	"references", "returning", "right", "rollback", "select", "set", "table", "then", "transaction",
	"trigger", "union", "unique", "update", "using", "values", "view", "when", "where", "window",
	"with" };
static const char *const sql_ty[] = { "bigint", "blob", "boolean", "char", "date", "decimal",
	"double", "float", "int", "integer", "numeric", "real", "serial", "smallint", "text", "time",
	"timestamp", "uuid", "varchar" };
static const char *const sql_lit[] = { "false", "true" };
static const char *const css_kw[] = { "auto", "important", "inherit", "initial", "none", "unset" };
static const char *const docker_kw[] = { "add", "arg", "as", "cmd", "copy", "entrypoint", "env",
	"expose", "from", "healthcheck", "label", "maintainer", "onbuild", "run", "shell", "stopsignal",
	"user", "volume", "workdir" };
static const char *const yaml_lit[] = { "FALSE", "False", "NULL", "No", "Null", "Off", "On", "TRUE",
	"True", "Yes", "false", "no", "null", "off", "on", "true", "yes", "~" };

struct words {
	const char *const *v;
	size_t n;
};

#define W(x) { x, sizeof(x) / sizeof(*(x)) }

enum mode {
	M_CODE,   /* C-like and script languages */
	M_DIFF,   /* unified diffs: lines */
	M_MARKUP, /* XML and HTML: tags, attributes, comments, entities */
	M_YAML,   /* keys, values, comments */
	M_INI,    /* INI and TOML: sections, keys, values, comments */
};

enum {
	F_PREPROC = 1 << 0,  /* '#' first on a line makes the line meta (C preprocessor, Rust attributes) */
	F_TRIPLE = 1 << 1,   /* """ and ''' strings, which may span lines */
	F_SHELL = 1 << 2,    /* $vars; '#' is a comment only at a word's start; strings span lines,
			      * '' has no escapes; options, paths and addresses are words */
	F_NOCASE = 1 << 3,   /* keywords in any case */
	F_AT = 1 << 4,       /* @name is meta (decorators, annotations, at-rules) */
	F_TICK_ML = 1 << 5,  /* `...` may span lines */
	F_TICK_RAW = 1 << 6, /* no escapes in `...` */
	F_RUSTCHAR = 1 << 7, /* ' opens a string only as a character literal (else a lifetime) */
	F_DOLLAR = 1 << 8,   /* '$' belongs to names */
	F_KEYS = 1 << 9,     /* a string before ':' is a key (attr) */
};

struct lang {
	const char *names; /* the fence words that choose it, lowercase, each followed by a blank */
	enum mode mode;
	const char *line1, *line2; /* line comments */
	const char *bopen, *bclose; /* block comments */
	const char *quotes;
	unsigned flags;
	struct words kw, ty, lit;
};

#define CLIKE "//", NULL, "/*", "*/"

static const struct lang langs[] = {
	{ "c h ", M_CODE, CLIKE, "\"'", F_PREPROC, W(c_kw), W(c_ty), W(c_lit) },
	{ "cpp c++ cc cxx hpp hxx hh ", M_CODE, CLIKE, "\"'", F_PREPROC, W(cpp_kw), W(cpp_ty), W(cpp_lit) },
	{ "cs csharp c# ", M_CODE, CLIKE, "\"'", F_PREPROC, W(cs_kw), W(cs_ty), W(cs_lit) },
	{ "go golang ", M_CODE, CLIKE, "\"'`", F_TICK_ML | F_TICK_RAW, W(go_kw), W(go_ty), W(go_lit) },
	{ "rust rs ", M_CODE, CLIKE, "\"'", F_PREPROC | F_RUSTCHAR, W(rust_kw), W(rust_ty), W(rust_lit) },
	{ "java ", M_CODE, CLIKE, "\"'", F_AT, W(java_kw), W(java_ty), W(java_lit) },
	{ "kotlin kt kts ", M_CODE, CLIKE, "\"'", F_AT | F_TRIPLE, W(kt_kw), W(kt_ty), W(kt_lit) },
	{ "js javascript mjs cjs jsx node ", M_CODE, CLIKE, "\"'`", F_TICK_ML | F_DOLLAR, W(js_kw), W(js_ty), W(js_lit) },
	{ "ts typescript tsx ", M_CODE, CLIKE, "\"'`", F_TICK_ML | F_DOLLAR | F_AT, W(ts_kw), W(ts_ty), W(ts_lit) },
	{ "json jsonc json5 geojson ", M_CODE, CLIKE, "\"", F_KEYS, { NULL, 0 }, { NULL, 0 }, W(json_lit) },
	{ "python py python3 py3 ", M_CODE, "#", NULL, NULL, NULL, "\"'", F_TRIPLE | F_AT, W(py_kw), W(py_ty), W(py_lit) },
	{ "ruby rb ", M_CODE, "#", NULL, NULL, NULL, "\"'`", 0, W(rb_kw), W(rb_ty), W(rb_lit) },
	{ "sh bash shell zsh ksh console shellsession ", M_CODE, "#", NULL, NULL, NULL, "\"'`", F_SHELL, W(sh_kw), { NULL, 0 },
	  W(sh_lit) },
	{ "dockerfile docker containerfile ", M_CODE, "#", NULL, NULL, NULL, "\"'", F_SHELL | F_NOCASE, W(docker_kw), { NULL, 0 },
	  { NULL, 0 } },
	{ "sql mysql postgresql postgres psql plsql sqlite tsql ", M_CODE, "--", NULL, "/*", "*/", "'", F_NOCASE, W(sql_kw),
	  W(sql_ty), W(sql_lit) },
	{ "css scss less ", M_CODE, NULL, NULL, "/*", "*/", "\"'", F_AT, W(css_kw), { NULL, 0 }, { NULL, 0 } },
	{ "yaml yml ", M_YAML, "#", NULL, NULL, NULL, "\"'", 0, { NULL, 0 }, { NULL, 0 }, W(yaml_lit) },
	{ "toml ini cfg conf editorconfig properties gitconfig desktop ", M_INI, "#", ";", NULL, NULL, "\"'", 0, { NULL, 0 },
	  { NULL, 0 }, W(json_lit) },
	{ "diff patch udiff ", M_DIFF, NULL, NULL, NULL, NULL, "", 0, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
	{ "xml html htm xhtml svg plist xsd xsl xslt rss atom vue ", M_MARKUP, NULL, NULL, NULL, NULL, "\"'", 0, { NULL, 0 },
	  { NULL, 0 }, { NULL, 0 } },
};

#define LANG_NAME_MAX 32 /* longer fence words name no language here */

static const struct lang *
find_lang(const char *name, size_t n)
{
	char low[LANG_NAME_MAX + 2];
	if (!name || n == 0 || n > LANG_NAME_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == ' ' || c == '\0')
			return NULL;
		low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
	}
	low[n] = ' ';
	low[n + 1] = '\0';
	for (size_t i = 0; i < sizeof(langs) / sizeof(*langs); i++) {
		const char *p = strstr(langs[i].names, low);
		if (p && (p == langs[i].names || p[-1] == ' '))
			return &langs[i];
	}
	return NULL;
}

int
highlight_known(const char *lang, size_t lang_len)
{
	return find_lang(lang, lang_len) != NULL;
}

/* Compare NUL-terminated `a` with the n bytes at `w`, as unsigned bytes. */
static int
cmp_word(const char *a, const char *w, size_t n)
{
	int c = strncmp(a, w, n);
	if (c)
		return c;
	return a[n] ? 1 : 0;
}

static int
in_words(const struct words *ws, const char *w, size_t n)
{
	size_t lo = 0, hi = ws->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_word(ws->v[mid], w, n);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
highlight_check_lists(void)
{
	for (size_t i = 0; i < sizeof(langs) / sizeof(*langs); i++) {
		const struct words *ws[] = { &langs[i].kw, &langs[i].ty, &langs[i].lit };
		for (size_t k = 0; k < 3; k++)
			for (size_t j = 1; j < ws[k]->n; j++)
				if (strcmp(ws[k]->v[j - 1], ws[k]->v[j]) >= 0)
					return (int)(i * 3 + k + 1);
	}
	return 0;
}

/* --- output ----------------------------------------------------------------------------- */

struct hl {
	struct buf *out;
	const char *s;
	size_t n;
	size_t done; /* bytes before this are written */
	const struct lang *L;
};

static void
flush(struct hl *h, size_t to)
{
	if (to > h->done) {
		html_escape(h->out, h->s + h->done, to - h->done);
		h->done = to;
	}
}

/* Write [from, to) as a token of `kind` (what is before it as plain text). */
static void
span(struct hl *h, const char *kind, size_t from, size_t to)
{
	flush(h, from);
	if (to <= from)
		return;
	buf_puts(h->out, "<span class=\"hl-");
	buf_puts(h->out, kind);
	buf_puts(h->out, "\">");
	html_escape(h->out, h->s + from, to - from);
	buf_puts(h->out, "</span>");
	h->done = to;
}

/* --- scanning helpers: each returns a position after `i`, never before --------------- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static size_t
line_end(const struct hl *h, size_t i)
{
	const char *nl = memchr(h->s + i, '\n', h->n - i);
	return nl ? (size_t)(nl - h->s) : h->n;
}

static int
starts(const struct hl *h, size_t i, const char *str)
{
	size_t k = str ? strlen(str) : 0;
	return k && h->n - i >= k && memcmp(h->s + i, str, k) == 0;
}

/* Just after the first `str` at or after i, or the end. */
static size_t
past(const struct hl *h, size_t i, const char *str)
{
	const char *m = memmem(h->s + i, h->n - i, str, strlen(str));
	return m ? (size_t)(m - h->s) + strlen(str) : h->n;
}

/* In shell, options, paths, addresses and assignments are words (--force, ./x,
 * http://host:80/a, KEY=value), never keywords or numbers. */
static int
word_start(const struct lang *L, unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80 || (c == '$' && (L->flags & F_DOLLAR)) ||
	       ((L->flags & F_SHELL) && (c == '-' || c == '.' || c == '/'));
}

static int
word_char(const struct lang *L, unsigned char c)
{
	return word_start(L, c) || is_digit(c) || ((L->flags & F_SHELL) && c && strchr(":=@%+,~", c));
}

static size_t
word_end(const struct hl *h, size_t i)
{
	while (i < h->n && word_char(h->L, (unsigned char)h->s[i]))
		i++;
	return i;
}

static size_t
number_end(const struct hl *h, size_t i)
{
	size_t j = i;
	while (j < h->n) {
		unsigned char c = (unsigned char)h->s[j];
		if (is_alpha(c) || is_digit(c) || c == '_' || c == '.')
			j++;
		else if ((c == '+' || c == '-') && (h->s[j - 1] == 'e' || h->s[j - 1] == 'E') && !(j - i > 1 && (h->s[i + 1] == 'x' || h->s[i + 1] == 'X')))
			j++;
		else
			break;
	}
	return j;
}

/* After the string that opens with quote `q` at i: its closing quote, the end of the line
 * (strings that may not span lines), or the end. */
static size_t
string_end(const struct hl *h, size_t i, char q)
{
	unsigned f = h->L->flags;
	int multi = (f & F_SHELL) || (q == '`' && (f & F_TICK_ML));
	int esc = !((f & F_SHELL) && q == '\'') && !(q == '`' && (f & F_TICK_RAW));
	for (i++; i < h->n; i++) {
		char c = h->s[i];
		if (c == '\\' && esc && i + 1 < h->n && h->s[i + 1] != '\n')
			i++;
		else if (c == q)
			return i + 1;
		else if (c == '\n' && !multi)
			return i;
	}
	return h->n;
}

/* Bytes of the UTF-8 character at i (1 for ASCII or a stray byte). */
static size_t
char_len(const struct hl *h, size_t i)
{
	unsigned char c = (unsigned char)h->s[i];
	size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return k <= h->n - i ? k : 1;
}

/* Rust: 'x' and '\n' are characters, 'a (no closing quote one character later) a lifetime. */
static int
rust_char(const struct hl *h, size_t i)
{
	if (i + 1 >= h->n)
		return 0;
	if (h->s[i + 1] == '\\')
		return 1;
	size_t k = char_len(h, i + 1);
	return i + 1 + k < h->n && h->s[i + 1 + k] == '\'' && h->s[i + 1] != '\'';
}

#define VAR_MAX 256 /* bytes of a ${...} */

/* A shell variable at '$': $name, ${...}, $1, $?, $@ ...; i + 1 when it is no variable. */
static size_t
var_end(const struct hl *h, size_t i)
{
	size_t j = i + 1;
	if (j >= h->n)
		return j;
	char c = h->s[j];
	if (c == '{') {
		/* a bounded look: an unclosed "${" must not make the line quadratic */
		size_t e = h->n - j < VAR_MAX ? h->n : j + VAR_MAX;
		const char *close = memchr(h->s + j, '}', e - j);
		const char *nl = memchr(h->s + j, '\n', e - j);
		if (nl && close && nl < close)
			close = NULL;
		return close ? (size_t)(close - h->s) + 1 : i + 1;
	}
	if (is_digit(c) || (c && strchr("@#?$!*-", c)))
		return j + 1;
	while (j < h->n && (is_alpha(h->s[j]) || is_digit(h->s[j]) || h->s[j] == '_'))
		j++;
	return j;
}

static const char *
classify(const struct lang *L, const char *w, size_t n)
{
	char low[LANG_NAME_MAX];
	if (n >= sizeof(low))
		return NULL;
	if (L->flags & F_NOCASE) {
		for (size_t i = 0; i < n; i++)
			low[i] = w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] + 'a' - 'A') : w[i];
		w = low;
	}
	if (in_words(&L->kw, w, n))
		return "keyword";
	if (in_words(&L->ty, w, n))
		return "type";
	if (in_words(&L->lit, w, n))
		return "literal";
	return NULL;
}

/* --- the lexers ------------------------------------------------------------------------- */

static int
line_comment(const struct hl *h, size_t i)
{
	const struct lang *L = h->L;
	if (!starts(h, i, L->line1) && !starts(h, i, L->line2))
		return 0;
	/* in shell, '#' inside a word ($#, a#b) is no comment */
	return !(L->flags & F_SHELL) || i == 0 || strchr(" \t\n;|&(", h->s[i - 1]);
}

/* The string at quote `q` (i): its end, and whether it is a key. */
static size_t
string_at(const struct hl *h, size_t i, char q, const char **kind)
{
	size_t j;
	if ((h->L->flags & F_TRIPLE) && (q == '"' || q == '\'') && h->n - i >= 3 && h->s[i + 1] == q && h->s[i + 2] == q) {
		char close[4] = { q, q, q, '\0' };
		j = past(h, i + 3, close);
	} else {
		j = string_end(h, i, q);
	}
	*kind = "string";
	if (h->L->flags & F_KEYS) {
		size_t k = j;
		while (k < h->n && is_blank(h->s[k]))
			k++;
		if (k < h->n && h->s[k] == ':')
			*kind = "attr";
	}
	return j;
}

static void
lex_code(struct hl *h)
{
	const struct lang *L = h->L;
	const char *s = h->s;
	size_t i = 0, n = h->n, j;
	int bol = 1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const char *kind = NULL;
		if (c == '\n' || is_blank(c)) {
			bol = bol || c == '\n';
			i++;
			continue;
		}
		int first = bol;
		bol = 0;
		if (first && (L->flags & F_PREPROC) && c == '#') {
			j = line_end(h, i);
			kind = "meta";
		} else if (line_comment(h, i)) {
			j = line_end(h, i);
			kind = "comment";
		} else if (starts(h, i, L->bopen)) {
			j = past(h, i + strlen(L->bopen), L->bclose);
			kind = "comment";
		} else if (c && strchr(L->quotes, c) && !(c == '\'' && (L->flags & F_RUSTCHAR) && !rust_char(h, i))) {
			j = string_at(h, i, (char)c, &kind);
		} else if (c == '$' && (L->flags & F_SHELL)) {
			j = var_end(h, i);
			kind = j > i + 1 ? "var" : NULL;
		} else if (c == '@' && (L->flags & F_AT) && i + 1 < n && word_start(L, (unsigned char)s[i + 1])) {
			j = word_end(h, i + 1);
			kind = "meta";
		} else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
			j = number_end(h, i);
			kind = "number";
		} else if (word_start(L, c)) {
			j = word_end(h, i);
			kind = classify(L, s + i, j - i);
		} else {
			j = i + 1;
		}
		if (kind)
			span(h, kind, i, j);
		i = j;
	}
}

static void
lex_diff(struct hl *h)
{
	for (size_t i = 0; i < h->n;) {
		size_t e = line_end(h, i);
		const char *kind = NULL;
		if (starts(h, i, "+++ ") || starts(h, i, "--- ") || starts(h, i, "diff ") || starts(h, i, "index "))
			kind = "meta";
		else if (starts(h, i, "@@"))
			kind = "section";
		else if (h->s[i] == '+')
			kind = "add";
		else if (h->s[i] == '-')
			kind = "del";
		if (kind)
			span(h, kind, i, e);
		i = e + 1;
	}
}

/* A value of YAML, INI or TOML from i to e (a line's end): strings, comments, numbers,
 * literals, anchors and tags. */
static void
lex_value(struct hl *h, size_t i, size_t e)
{
	const char *s = h->s;
	while (i < e) {
		unsigned char c = (unsigned char)s[i];
		size_t j = i + 1;
		const char *kind = NULL;
		if (is_blank(c) || strchr(",[]{}:=", c)) {
			i++;
			continue;
		}
		if (c == '#' && (i == 0 || is_blank(s[i - 1]))) {
			span(h, "comment", i, e);
			return;
		}
		if (c == '"' || c == '\'') {
			j = string_end(h, i, (char)c);
			kind = "string";
		} else {
			while (j < e && !is_blank(s[j]) && !strchr(",]}", s[j]))
				j++;
			if (c == '&' || c == '*' || c == '!')
				kind = "meta";
			else if (in_words(&h->L->lit, s + i, j - i))
				kind = "literal";
			else if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && j > i + 1 && is_digit(s[i + 1])))
				kind = "number";
		}
		if (kind)
			span(h, kind, i, j);
		i = j;
	}
}

static size_t
skip_blanks(const struct hl *h, size_t i, size_t e)
{
	while (i < e && is_blank(h->s[i]))
		i++;
	return i;
}

static void
lex_yaml(struct hl *h)
{
	const char *s = h->s;
	for (size_t i = 0; i < h->n;) {
		size_t e = line_end(h, i), k = skip_blanks(h, i, e);
		if (k == i && (starts(h, i, "---") || starts(h, i, "..."))) {
			span(h, "meta", i, e);
			i = e + 1;
			continue;
		}
		while (k < e && s[k] == '-' && (k + 1 == e || is_blank(s[k + 1])))
			k = skip_blanks(h, k + 1, e);
		if (k < e && s[k] == '#') {
			span(h, "comment", k, e);
			i = e + 1;
			continue;
		}
		/* a key: plain text up to ": " (or ':' at the end), or a quoted string before ':' */
		size_t m = k;
		if (k < e && (s[k] == '"' || s[k] == '\''))
			m = string_end(h, k, s[k]);
		else
			while (m < e && !(s[m] == ':' && (m + 1 == e || is_blank(s[m + 1]))) && !(s[m] == '#' && m > k && is_blank(s[m - 1])))
				m++;
		size_t colon = skip_blanks(h, m, e);
		if (m > k && colon < e && s[colon] == ':' && !strchr("[{&*!|>%@`", s[k])) {
			span(h, "attr", k, m);
			k = colon + 1;
		}
		lex_value(h, k, e);
		i = e + 1;
	}
}

static void
lex_ini(struct hl *h)
{
	const char *s = h->s;
	for (size_t i = 0; i < h->n;) {
		size_t e = line_end(h, i), k = skip_blanks(h, i, e);
		if (k < e && (s[k] == '#' || s[k] == ';')) {
			span(h, "comment", k, e);
		} else if (k < e && s[k] == '[') {
			const char *close = memchr(s + k, ']', e - k);
			size_t j = close ? (size_t)(close - s) + 1 : e;
			span(h, "section", k, j);
			lex_value(h, j, e);
		} else if (k < e) {
			const char *eq = memchr(s + k, '=', e - k);
			size_t m = eq ? (size_t)(eq - s) : k;
			while (m > k && is_blank(s[m - 1]))
				m--;
			if (eq && m > k && s[k] != '"' && s[k] != '\'')
				span(h, "attr", k, m);
			lex_value(h, eq ? (size_t)(eq - s) + 1 : k, e);
		}
		i = e + 1;
	}
}

static int
name_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c >= 0x80 || c == '-' || c == '_' || c == ':' || c == '.';
}

/* Inside a tag from i: attributes and values up to '>' (which it returns, or the end, or a
 * '<' that starts the next tag of a broken one). */
static size_t
lex_tag_inside(struct hl *h, size_t i)
{
	const char *s = h->s;
	while (i < h->n && s[i] != '>' && s[i] != '<') {
		size_t j = i + 1;
		if (s[i] == '"' || s[i] == '\'') {
			const char *q = memchr(s + i + 1, s[i], h->n - i - 1);
			j = q ? (size_t)(q - s) + 1 : h->n;
			span(h, "string", i, j);
		} else if (name_char((unsigned char)s[i])) {
			while (j < h->n && name_char((unsigned char)s[j]))
				j++;
			span(h, "attr", i, j);
		}
		i = j;
	}
	return i;
}

static void
lex_markup(struct hl *h)
{
	const char *s = h->s;
	size_t i = 0, n = h->n;
	while (i < n) {
		if (starts(h, i, "<!--")) {
			size_t j = past(h, i + 4, "-->");
			span(h, "comment", i, j);
			i = j;
		} else if (s[i] == '<' && i + 1 < n && (is_alpha(s[i + 1]) || strchr("/!?", s[i + 1]))) {
			size_t j = i + 1;
			if (strchr("/!?", s[j]))
				j++;
			while (j < n && name_char((unsigned char)s[j]))
				j++;
			span(h, "tag", i, j);
			i = lex_tag_inside(h, j);
			if (i < n && s[i] == '>') {
				span(h, "tag", i, i + 1);
				i++;
			}
		} else if (s[i] == '&') {
			size_t j = i + 1;
			while (j < n && j - i < 32 && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '#'))
				j++;
			if (j < n && s[j] == ';' && j > i + 1)
				span(h, "literal", i, j + 1);
			i = j;
		} else {
			i++;
		}
	}
}

int
highlight(struct buf *out, const char *lang, size_t lang_len, const char *code, size_t n)
{
	struct hl h = { out, code, n, 0, find_lang(lang, lang_len) };
	if (!h.L) {
		html_escape(out, code, n);
		return 0;
	}
	switch (h.L->mode) {
	case M_CODE: lex_code(&h); break;
	case M_DIFF: lex_diff(&h); break;
	case M_MARKUP: lex_markup(&h); break;
	case M_YAML: lex_yaml(&h); break;
	case M_INI: lex_ini(&h); break;
	}
	flush(&h, n);
	return 1;
}
