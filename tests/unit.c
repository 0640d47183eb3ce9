/*
 * tests/unit.c: table tests of autossh.c's pure sections (config, policy,
 * probe message).  autossh.c is included whole, its main renamed, so the
 * tests call the real functions; expected values come from the man page's rules, never
 * from a copy of the logic.  Prints "ok NAME" or "not ok NAME: why" per case
 * and exits 1 if any failed.
 */

#define main autossh_main
#include "../autossh.c"
#undef main

#define S16 "0123456789abcdef"
#define S64 S16 S16 S16 S16
#define TRUE_PATH "/bin/true"
#define DONT_CARE (-99)

static int n_failed;

/* Temporary directory for pidfile probes and a fake "ssh" in PATH. */
static char tmpdir[64];
static char tmp_path_env[96];   /* "PATH=<tmpdir>" */
static char tmp_pidfile_env[128];
static char tmp_statusfile_env[128];
static char tmp_dir_pidfile_env[128];
static char tmp_noexec_env[128];   /* "AUTOSSH_PATH=<tmpdir>/plain", mode 0644 */

static void result(const char *name, const char *why)
{
	if (why == NULL) {
		printf("ok %s\n", name);
	} else {
		/* keep the result on one line: show control characters escaped */
		printf("not ok %s: ", name);
		for (const char *c = why; *c; c++) {
			if (*c == '\n')
				fputs("\\n", stdout);
			else if (*c == '\r')
				fputs("\\r", stdout);
			else
				putchar(*c);
		}
		putchar('\n');
		n_failed++;
	}
	fflush(stdout);
}

static void resultf(const char *name, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void resultf(const char *name, int ok, const char *fmt, ...)
{
	char why[2048];
	va_list ap;

	if (ok) {
		result(name, NULL);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	result(name, why);
}

/* ------------------------------------------------------------ fake environment */

static const char *const *case_env;     /* this case's "NAME=value" entries, first match wins */
static const char *const base_env[] = { "AUTOSSH_PATH=" TRUE_PATH, NULL };

static const char *find_in(const char *const *env, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

/* A case's own entry wins, even if empty; AUTOSSH_PATH defaults to /bin/true. */
static const char *fake_lookup(const char *name)
{
	const char *v = find_in(case_env, name);
	return v == NULL ? find_in(base_env, name) : v;
}

static enum parse_result parse(const char *const *args, const char *const *env, struct config *cfg, char *err,
			       size_t err_len)
{
	char *argv[64];
	int argc = 0;

	while (args[argc] != NULL && argc < 63) {
		argv[argc] = (char *)(uintptr_t)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	case_env = env;
	return parse_config(argc, argv, fake_lookup, cfg, err, err_len);
}

static const char *result_name(enum parse_result r)
{
	switch (r) {
	case PARSE_RUN:
		return "RUN";
	case PARSE_VERSION:
		return "VERSION";
	case PARSE_HELP:
		return "HELP";
	case PARSE_CHECK:
		return "CHECK";
	case PARSE_DOCTOR:
		return "DOCTOR";
	case PARSE_ERROR:
		return "ERROR";
	case PARSE_USAGE:
		return "USAGE";
	case PARSE_LIST:
		return "LIST";
	}
	return "?";
}

static void join_words(char *buf, size_t len, char *const *words)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; words && words[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s[%s]", i ? " " : "", words[i]);
}

static void join_const(char *buf, size_t len, const char *const *words)
{
	join_words(buf, len, (char *const *)(uintptr_t)words);
}

static int same_words(char *const *got, const char *const *want)
{
	int i = 0;
	if (got == NULL)
		return 0;
	for (; want[i]; i++)
		if (got[i] == NULL || strcmp(got[i], want[i]) != 0)
			return 0;
	return got[i] == NULL;
}

/* ---------------------------------------------------------- ssh command lines */

struct run_case {
	const char *name;
	const char *args[24];   /* argv, argv[0] included */
	const char *env[12];
	const char *want[24];   /* ssh argv */
	int background;
	int port, echo;
};

#define LOOP20000 "-L", "20000:127.0.0.1:20000", "-R", "20000:127.0.0.1:20001"
/* What autossh puts immediately before the destination: no connection sharing. */
#define NS "-o", "ControlMaster=no", "-o", "ControlPath=none"

static const struct run_case run_cases[] = {
	/* autossh(1) ARGUMENTS FOR SSH examples */
	{ .name = "args-fN", .args = { "autossh", "-M", "0", "-fN", "host" },
	  .want = { TRUE_PATH, "-N", NS, "host" }, .background = 1 },
	{ .name = "args-vfM-next-word", .args = { "autossh", "-vfM", "20000", "host" },
	  .want = { TRUE_PATH, "-v", LOOP20000, NS, "host" }, .background = 1, .port = 20000 },
	{ .name = "args-fM20000-dropped", .args = { "autossh", "-fM20000", "host" },
	  .want = { TRUE_PATH, LOOP20000, NS, "host" }, .background = 1, .port = 20000 },
	{ .name = "args-f-after-destination-taken", .args = { "autossh", "-M", "0", "host", "-f", "-N" },
	  .want = { TRUE_PATH, NS, "host", "-N" }, .background = 1 },
	{ .name = "args-f-in-command-kept", .args = { "autossh", "-M", "0", "host", "ls", "-f" },
	  .want = { TRUE_PATH, NS, "host", "ls", "-f" } },
	{ .name = "args-f-after-command-word", .args = { "autossh", "-M", "0", "host", "-N", "ls", "-f", "-M", "1" },
	  .want = { TRUE_PATH, NS, "host", "-N", "ls", "-f", "-M", "1" } },
	{ .name = "args-dashdash-before-destination", .args = { "autossh", "-M", "0", "--", "-M", "-S", "ctl", "host" },
	  .want = { TRUE_PATH, "-M", "-S", "ctl", "host" } },
	{ .name = "args-dashdash-hides-f-and-V", .args = { "autossh", "-M", "0", "--", "-f", "-V", "host" },
	  .want = { TRUE_PATH, "-f", "-V", "host" } },
	{ .name = "args-dashdash-after-destination", .args = { "autossh", "-M", "0", "host", "--", "-f" },
	  .want = { TRUE_PATH, NS, "host", "--", "-f" } },
	{ .name = "args-dashdash-after-options", .args = { "autossh", "-M", "0", "host", "-N", "--", "-f", "ls" },
	  .want = { TRUE_PATH, NS, "host", "-N", "--", "-f", "ls" }, .background = 0 },
	{ .name = "args-several-M-last-wins", .args = { "autossh", "-M", "20010", "-v", "-M", "20000", "host" },
	  .want = { TRUE_PATH, LOOP20000, "-v", NS, "host" }, .port = 20000 },
	{ .name = "args-several-M-forwards-at-first", .args = { "autossh", "-v", "-M", "0", "-N", "-M", "20000", "host" },
	  .want = { TRUE_PATH, "-v", LOOP20000, "-N", NS, "host" }, .port = 20000 },
	{ .name = "args-several-M-last-zero", .args = { "autossh", "-M", "20000", "-M", "0", "host" },
	  .want = { TRUE_PATH, NS, "host" } },
	{ .name = "args-M-after-destination", .args = { "autossh", "host", "-M", "20000", "-N" },
	  .want = { TRUE_PATH, NS, "host", LOOP20000, "-N" }, .port = 20000 },
	{ .name = "args-empty-words-kept", .args = { "autossh", "-M", "0", "-o", "", "host", "", "cmd", "" },
	  .want = { TRUE_PATH, "-o", "", NS, "host", "", "cmd", "" } },
	{ .name = "args-empty-word-is-destination", .args = { "autossh", "-M", "0", "", "-f", "host" },
	  .want = { TRUE_PATH, NS, "", "host" }, .background = 1 },
	{ .name = "args-dash-is-destination", .args = { "autossh", "-M", "0", "-", "-f" },
	  .want = { TRUE_PATH, NS, "-" }, .background = 1 },
	{ .name = "args-o-takes-f", .args = { "autossh", "-M", "0", "-o", "-f", "host" },
	  .want = { TRUE_PATH, "-o", "-f", NS, "host" } },
	{ .name = "args-o-takes-dashdash", .args = { "autossh", "-M", "0", "-o", "--", "host", "-f" },
	  .want = { TRUE_PATH, "-o", "--", NS, "host" }, .background = 1 },
	{ .name = "args-of-attached-value", .args = { "autossh", "-M", "0", "-of", "host" },
	  .want = { TRUE_PATH, "-of", NS, "host" } },
	{ .name = "args-fo-then-value", .args = { "autossh", "-M", "0", "-fo", "-f", "host" },
	  .want = { TRUE_PATH, "-o", "-f", NS, "host" }, .background = 1 },
	{ .name = "args-vLf-value", .args = { "autossh", "-M", "0", "-vLf", "host" },
	  .want = { TRUE_PATH, "-vLf", NS, "host" } },
	{ .name = "args-unknown-letter-is-flag", .args = { "autossh", "-M", "0", "-Zf", "host" },
	  .want = { TRUE_PATH, "-Z", NS, "host" }, .background = 1 },
	{ .name = "args-value-after-destination", .args = { "autossh", "-M", "0", "host", "-o", "-f", "ls" },
	  .want = { TRUE_PATH, NS, "host", "-o", "-f", "ls" } },
	{ .name = "args-ssh-options-order", .args = { "autossh", "-M", "0", "-N", "-T", "-L", "1:h:2", "-oA=b", "u@h", "x", "y" },
	  .want = { TRUE_PATH, "-N", "-T", "-L", "1:h:2", "-oA=b", NS, "u@h", "x", "y" } },
	{ .name = "args-no-M-no-forwards", .args = { "autossh", "-N", "host" },
	  .want = { TRUE_PATH, "-N", NS, "host" } },
	/* autossh(1) MONITORING */
	{ .name = "forwards-spec-example", .args = { "autossh", "-p", "2", "-M", "20000", "h" },
	  .want = { TRUE_PATH, "-p", "2", LOOP20000, NS, "h" }, .port = 20000 },
	{ .name = "forwards-echo", .args = { "autossh", "-M", "20000:7", "-N", "host" },
	  .want = { TRUE_PATH, "-L", "20000:127.0.0.1:7", "-N", NS, "host" }, .port = 20000, .echo = 7 },
	{ .name = "forwards-hex", .args = { "autossh", "-M", "0x4e20", "host" },
	  .want = { TRUE_PATH, LOOP20000, NS, "host" }, .port = 20000 },
	{ .name = "forwards-octal-020000", .args = { "autossh", "-M", "020000", "host" },
	  .want = { TRUE_PATH, "-L", "8192:127.0.0.1:8192", "-R", "8192:127.0.0.1:8193", NS, "host" }, .port = 8192 },
	{ .name = "forwards-echo-hex-octal", .args = { "autossh", "-M", "0x10:010", "host" },
	  .want = { TRUE_PATH, "-L", "16:127.0.0.1:8", NS, "host" }, .port = 16, .echo = 8 },
	{ .name = "forwards-port-65534", .args = { "autossh", "-M", "65534", "host" },
	  .want = { TRUE_PATH, "-L", "65534:127.0.0.1:65534", "-R", "65534:127.0.0.1:65535", NS, "host" }, .port = 65534 },
	{ .name = "forwards-port-1", .args = { "autossh", "-M", "1", "host" },
	  .want = { TRUE_PATH, "-L", "1:127.0.0.1:1", "-R", "1:127.0.0.1:2", NS, "host" }, .port = 1 },
	{ .name = "forwards-echo-65535", .args = { "autossh", "-M", "65535:65535", "host" },
	  .want = { TRUE_PATH, "-L", "65535:127.0.0.1:65535", NS, "host" }, .port = 65535, .echo = 65535 },
	{ .name = "forwards-zero-echo-off", .args = { "autossh", "-M", "0:7", "host" },
	  .want = { TRUE_PATH, NS, "host" } },
	{ .name = "forwards-env-port-first", .args = { "autossh", "-v", "host" }, .env = { "AUTOSSH_PORT=20000" },
	  .want = { TRUE_PATH, LOOP20000, "-v", NS, "host" }, .port = 20000 },
	{ .name = "forwards-env-port-echo", .args = { "autossh", "-N", "host" }, .env = { "AUTOSSH_PORT=20000:7" },
	  .want = { TRUE_PATH, "-L", "20000:127.0.0.1:7", "-N", NS, "host" }, .port = 20000, .echo = 7 },
	{ .name = "forwards-M-beats-env-port", .args = { "autossh", "-v", "-M", "20000", "host" },
	  .env = { "AUTOSSH_PORT=30000" }, .want = { TRUE_PATH, "-v", LOOP20000, NS, "host" }, .port = 20000 },
	{ .name = "forwards-M0-beats-env-port", .args = { "autossh", "-M", "0", "host" },
	  .env = { "AUTOSSH_PORT=30000" }, .want = { TRUE_PATH, NS, "host" } },
	{ .name = "forwards-env-port-zero", .args = { "autossh", "host" }, .env = { "AUTOSSH_PORT=0" },
	  .want = { TRUE_PATH, NS, "host" } },
	{ .name = "forwards-env-port-empty-unset", .args = { "autossh", "host" }, .env = { "AUTOSSH_PORT=" },
	  .want = { TRUE_PATH, NS, "host" } },
	/* autossh(1) MONITORING */
	{ .name = "forwards-monitor-addr-v4-loop", .args = { "autossh", "-M", "20000", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=127.0.0.2" },
	  .want = { TRUE_PATH, "-L", "127.0.0.2:20000:127.0.0.2:20000", "-R", "20000:127.0.0.2:20001", NS, "host" },
	  .port = 20000 },
	{ .name = "forwards-monitor-addr-v4-echo", .args = { "autossh", "-M", "20000:7", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=127.0.0.2" },
	  .want = { TRUE_PATH, "-L", "127.0.0.2:20000:127.0.0.2:7", NS, "host" }, .port = 20000, .echo = 7 },
	{ .name = "forwards-monitor-addr-v6-loop", .args = { "autossh", "-M", "20000", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=::1" },
	  .want = { TRUE_PATH, "-L", "[::1]:20000:[::1]:20000", "-R", "20000:[::1]:20001", NS, "host" }, .port = 20000 },
	{ .name = "forwards-monitor-addr-v6-echo", .args = { "autossh", "-M", "20000:7", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=::1" },
	  .want = { TRUE_PATH, "-L", "[::1]:20000:[::1]:7", NS, "host" }, .port = 20000, .echo = 7 },
	{ .name = "forwards-monitor-addr-empty-unset", .args = { "autossh", "-M", "20000", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=" }, .want = { TRUE_PATH, LOOP20000, NS, "host" }, .port = 20000 },
	{ .name = "forwards-monitor-addr-no-port", .args = { "autossh", "-M", "0", "host" },
	  .env = { "AUTOSSH_MONITOR_ADDR=::1" }, .want = { TRUE_PATH, NS, "host" } },
	/* No connection sharing: immediately before the destination, nothing after -- */
	{ .name = "nosharing-options-before-and-after-M", .args = { "autossh", "-v", "-M", "20000", "-N", "host" },
	  .want = { TRUE_PATH, "-v", LOOP20000, "-N", NS, "host" }, .port = 20000 },
	{ .name = "nosharing-M-after-destination", .args = { "autossh", "-N", "host", "-v", "-M", "20000" },
	  .want = { TRUE_PATH, "-N", NS, "host", "-v", LOOP20000 }, .port = 20000 },
	{ .name = "nosharing-bundle-NfL", .args = { "autossh", "-M", "0", "-NfL", "8080:localhost:80", "host" },
	  .want = { TRUE_PATH, "-NL", "8080:localhost:80", NS, "host" }, .background = 1 },
	{ .name = "nosharing-remote-command", .args = { "autossh", "-M", "0", "-t", "host", "screen", "-D", "-R" },
	  .want = { TRUE_PATH, "-t", NS, "host", "screen", "-D", "-R" } },
	{ .name = "nosharing-dashdash-nothing-inserted", .args = { "autossh", "-M", "0", "--", "-N", "host", "ls" },
	  .want = { TRUE_PATH, "-N", "host", "ls" } },
	{ .name = "nosharing-user-S-kept-before", .args = { "autossh", "-M", "0", "-S", "/tmp/ctl", "-N", "host" },
	  .want = { TRUE_PATH, "-S", "/tmp/ctl", "-N", NS, "host" } },
	{ .name = "nosharing-user-options-come-first", .args = { "autossh", "-M", "0", "-o", "ControlMaster=auto",
	  "-oControlPath=/tmp/c", "host" },
	  .want = { TRUE_PATH, "-o", "ControlMaster=auto", "-oControlPath=/tmp/c", NS, "host" } },
	/* AUTOSSH_PATH: argv[0] as given, resolved separately */
	{ .name = "path-argv0-as-given-name", .args = { "autossh", "-M", "0", "host" },
	  .env = { "AUTOSSH_PATH=true", "PATH=/nonexistent-autossh-unit:/usr/bin:/bin" },
	  .want = { "true", NS, "host" } },
};

static void test_run_cases(void)
{
	for (size_t c = 0; c < sizeof run_cases / sizeof run_cases[0]; c++) {
		const struct run_case *tc = &run_cases[c];
		struct config cfg;
		char err[ERRLEN], got[1024], want[1024];
		enum parse_result r = parse(tc->args, tc->env, &cfg, err, sizeof err);

		if (r != PARSE_RUN) {
			resultf(tc->name, 0, "parse_config gave %s (%s), want RUN", result_name(r), err);
		} else if (!same_words(cfg.ssh_argv, tc->want)) {
			join_words(got, sizeof got, cfg.ssh_argv);
			join_const(want, sizeof want, tc->want);
			resultf(tc->name, 0, "ssh argv %s, want %s", got, want);
		} else {
			int n = 0;
			while (tc->want[n])
				n++;
			resultf(tc->name,
				cfg.background == tc->background && cfg.monitor_port == tc->port &&
					cfg.echo_port == tc->echo && cfg.ssh_argc == n,
				"background %d port %d echo %d argc %d, want %d %d %d %d", cfg.background,
				cfg.monitor_port, cfg.echo_port, cfg.ssh_argc, tc->background, tc->port, tc->echo, n);
		}
		config_free(&cfg);
	}
}

/* autossh(1) ARGUMENTS FOR SSH: value letters take the next word (even "-f"); others are flags. */
static void test_letter_grammar(void)
{
	static const char value_letters[] = "BbcDEeFIiJLlmOoPpQRSWw";
	static const char flag_letters[] = "1246AaCGgKkNnqsTtvXxYyZ";
	char bad[256] = "";
	size_t used = 0;

	for (const char *l = value_letters; *l; l++) {
		char opt[3] = { '-', *l, '\0' }, bundle[4] = { '-', 'v', *l, '\0' };
		const char *a1[] = { "autossh", "-M", "0", opt, "-f", "host", NULL };
		const char *w1[] = { TRUE_PATH, opt, "-f", NS, "host", NULL };
		const char *a2[] = { "autossh", "-M", "0", bundle, "-f", "host", "-f", NULL };
		const char *w2[] = { TRUE_PATH, bundle, "-f", NS, "host", NULL };
		struct config cfg;
		char err[ERRLEN];
		int ok;

		ok = parse(a1, NULL, &cfg, err, sizeof err) == PARSE_RUN && same_words(cfg.ssh_argv, w1) &&
		     !cfg.background;
		config_free(&cfg);
		ok = ok && parse(a2, NULL, &cfg, err, sizeof err) == PARSE_RUN && same_words(cfg.ssh_argv, w2) &&
		     cfg.background;
		config_free(&cfg);
		if (!ok && used < sizeof bad)
			used += (size_t)snprintf(bad + used, sizeof bad - used, " -%c", *l);
	}
	resultf("args-value-letters-take-next-word", used == 0, "wrong for%s", bad);

	used = 0;
	bad[0] = '\0';
	for (const char *l = flag_letters; *l; l++) {
		char opt[3] = { '-', *l, '\0' }, bundle[4] = { '-', *l, 'f', '\0' };
		const char *a1[] = { "autossh", "-M", "0", opt, "-f", "host", NULL };
		const char *a2[] = { "autossh", "-M", "0", bundle, "host", NULL };
		const char *w[] = { TRUE_PATH, opt, NS, "host", NULL };
		struct config cfg;
		char err[ERRLEN];
		int ok;

		ok = parse(a1, NULL, &cfg, err, sizeof err) == PARSE_RUN && same_words(cfg.ssh_argv, w) &&
		     cfg.background;
		config_free(&cfg);
		ok = ok && parse(a2, NULL, &cfg, err, sizeof err) == PARSE_RUN && same_words(cfg.ssh_argv, w) &&
		     cfg.background;
		config_free(&cfg);
		if (!ok && used < sizeof bad)
			used += (size_t)snprintf(bad + used, sizeof bad - used, " -%c", *l);
	}
	resultf("args-flag-letters-bundle-with-f", used == 0, "wrong for%s", bad);
}

/* ------------------------------------------------------- results and errors */

/*
 * want_err: the exact stderr line; one ending in "(*" is a prefix, the rest
 * of the line being free text closed by ")" (autossh(1) ENVIRONMENT's <expected>).
 */
struct err_case {
	const char *name;
	const char *args[16];
	const char *env[16];
	enum parse_result want;
	const char *want_err;
};

#define HOST_M0 "autossh", "-M", "0", "host"
#define TOO_LONG S64 "x"

static const struct err_case err_cases[] = {
	/* autossh(1) DESCRIPTION */
	{ "err-M-needs-port", { "autossh", "-M" }, { NULL }, PARSE_ERROR, "autossh: -M: option requires a port" },
	{ "err-M-needs-port-after-host", { "autossh", "host", "-M" }, { NULL }, PARSE_ERROR,
	  "autossh: -M: option requires a port" },
	{ "err-M-needs-port-bundle", { "autossh", "-vM" }, { NULL }, PARSE_ERROR, "autossh: -M: option requires a port" },
	{ "err-no-destination-empty", { "autossh" }, { NULL }, PARSE_USAGE, "autossh: no destination host given" },
	{ "err-no-destination-options", { "autossh", "-M", "0", "-f", "-N" }, { NULL }, PARSE_USAGE,
	  "autossh: no destination host given" },
	{ "err-no-destination-dashdash", { "autossh", "-M", "0", "--" }, { NULL }, PARSE_USAGE,
	  "autossh: no destination host given" },
	{ "err-no-destination-value-eaten", { "autossh", "-M", "0", "-o", "host" }, { NULL }, PARSE_USAGE,
	  "autossh: no destination host given" },
	{ "err-progname-basename", { "/usr/local/bin/tunnel" }, { NULL }, PARSE_USAGE, "tunnel: no destination host given" },
	/* autossh(1) MONITORING, -M */
	{ "err-M-letters", { "autossh", "-M", "x", "host" }, { NULL }, PARSE_ERROR, "autossh: -M \"x\": invalid monitor port" },
	{ "err-M-empty", { "autossh", "-M", "", "host" }, { NULL }, PARSE_ERROR, "autossh: -M \"\": invalid monitor port" },
	{ "err-M-takes-V", { "autossh", "-M", "-V", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"-V\": invalid monitor port" },
	{ "err-M-attached-f", { "autossh", "-Mf", "host" }, { NULL }, PARSE_ERROR, "autossh: -M \"f\": invalid monitor port" },
	{ "err-M-minus", { "autossh", "-M", "-1", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"-1\": invalid monitor port" },
	{ "err-M-plus", { "autossh", "-M", "+1", "host" }, { NULL }, PARSE_ERROR, "autossh: -M \"+1\": invalid monitor port" },
	{ "err-M-leading-blank", { "autossh", "-M", " 1", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \" 1\": invalid monitor port" },
	{ "err-M-trailing-blank", { "autossh", "-M", "1 ", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"1 \": invalid monitor port" },
	{ "err-M-suffix", { "autossh", "-M", "20000x", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000x\": invalid monitor port" },
	{ "err-M-bad-octal", { "autossh", "-M", "08", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"08\": invalid monitor port" },
	{ "err-M-bare-0x", { "autossh", "-M", "0x", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"0x\": invalid monitor port" },
	{ "err-M-no-port-before-colon", { "autossh", "-M", ":7", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \":7\": invalid monitor port" },
	{ "err-M-65535-loop", { "autossh", "-M", "65535", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"65535\": monitor port out of range (1-65534)" },
	{ "err-M-70000-loop", { "autossh", "-M", "70000", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"70000\": monitor port out of range (1-65534)" },
	{ "err-M-hex-out-of-range", { "autossh", "-M", "0x10000", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"0x10000\": monitor port out of range (1-65534)" },
	{ "err-M-70000-echo", { "autossh", "-M", "70000:7", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"70000:7\": monitor port out of range (1-65535)" },
	{ "err-M-echo-empty", { "autossh", "-M", "20000:", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000:\": invalid echo port" },
	{ "err-M-echo-letters", { "autossh", "-M", "20000:x", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000:x\": invalid echo port" },
	{ "err-M-echo-two-colons", { "autossh", "-M", "20000:7:7", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000:7:7\": invalid echo port" },
	{ "err-M-echo-zero", { "autossh", "-M", "20000:0", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000:0\": echo port out of range (1-65535)" },
	{ "err-M-echo-65536", { "autossh", "-M", "20000:65536", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"20000:65536\": echo port out of range (1-65535)" },
	{ "err-M-zero-still-checks-echo", { "autossh", "-M", "0:x", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"0:x\": invalid echo port" },
	{ "err-M-zero-echo-range", { "autossh", "-M", "0:70000", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"0:70000\": echo port out of range (1-65535)" },
	{ "err-M-zero-echo-zero", { "autossh", "-M", "0:0", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"0:0\": echo port out of range (1-65535)" },
	{ "err-M-last-value-checked", { "autossh", "-M", "20000", "-M", "x", "host" }, { NULL }, PARSE_ERROR,
	  "autossh: -M \"x\": invalid monitor port" },
	/* autossh(1) MONITORING, AUTOSSH_PORT */
	{ "err-env-port-letters", { "autossh", "host" }, { "AUTOSSH_PORT=x" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"x\" (invalid monitor port)" },
	{ "err-env-port-65535", { "autossh", "host" }, { "AUTOSSH_PORT=65535" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"65535\" (monitor port out of range (1-65534))" },
	{ "err-env-port-echo-monitor-range", { "autossh", "host" }, { "AUTOSSH_PORT=70000:7" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"70000:7\" (monitor port out of range (1-65535))" },
	{ "err-env-port-echo-invalid", { "autossh", "host" }, { "AUTOSSH_PORT=0:x" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"0:x\" (invalid echo port)" },
	{ "err-env-port-echo-range", { "autossh", "host" }, { "AUTOSSH_PORT=20000:70000" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"20000:70000\" (echo port out of range (1-65535))" },
	{ "err-env-port-checked-despite-M", { "autossh", "-M", "20000", "host" }, { "AUTOSSH_PORT=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PORT: invalid value \"-1\" (invalid monitor port)" },
	/* autossh(1) ENVIRONMENT: each variable's range */
	{ "err-env-loglevel-8", { HOST_M0 }, { "AUTOSSH_LOGLEVEL=8" }, PARSE_ERROR,
	  "autossh: AUTOSSH_LOGLEVEL: invalid value \"8\" (*" },
	{ "err-env-loglevel-minus", { HOST_M0 }, { "AUTOSSH_LOGLEVEL=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_LOGLEVEL: invalid value \"-1\" (*" },
	{ "err-env-poll-0", { HOST_M0 }, { "AUTOSSH_POLL=0" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \"0\" (*" },
	{ "err-env-poll-negative", { HOST_M0 }, { "AUTOSSH_POLL=-600" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \"-600\" (*" },
	{ "err-env-poll-blank", { HOST_M0 }, { "AUTOSSH_POLL= 60" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \" 60\" (*" },
	{ "err-env-poll-only-blank", { HOST_M0 }, { "AUTOSSH_POLL= " }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \" \" (*" },
	{ "err-env-poll-suffix", { HOST_M0 }, { "AUTOSSH_POLL=60s" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \"60s\" (*" },
	{ "err-env-poll-too-big", { HOST_M0 }, { "AUTOSSH_POLL=2147483648" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \"2147483648\" (*" },
	{ "err-env-first-poll-0", { HOST_M0 }, { "AUTOSSH_FIRST_POLL=0" }, PARSE_ERROR,
	  "autossh: AUTOSSH_FIRST_POLL: invalid value \"0\" (*" },
	{ "err-env-gatetime-negative", { HOST_M0 }, { "AUTOSSH_GATETIME=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_GATETIME: invalid value \"-1\" (*" },
	{ "err-env-gatetime-checked-with-f", { "autossh", "-f", "-M", "0", "host" }, { "AUTOSSH_GATETIME=x" },
	  PARSE_ERROR, "autossh: AUTOSSH_GATETIME: invalid value \"x\" (*" },
	{ "err-env-maxstart-minus-2", { HOST_M0 }, { "AUTOSSH_MAXSTART=-2" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MAXSTART: invalid value \"-2\" (*" },
	{ "err-env-message-65-bytes", { HOST_M0 }, { "AUTOSSH_MESSAGE=" TOO_LONG }, PARSE_ERROR,
	  "autossh: AUTOSSH_MESSAGE: invalid value \"" TOO_LONG "\" (*" },
	/* autossh(1) ENVIRONMENT, LOGGING: the error is one line even when the value holds CR or LF */
	{ "err-env-message-lf-one-line", { HOST_M0 }, { "AUTOSSH_MESSAGE=a\nb" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MESSAGE: invalid value \"a*" },
	{ "err-env-message-cr-one-line", { HOST_M0 }, { "AUTOSSH_MESSAGE=a\r" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MESSAGE: invalid value \"a*" },
	{ "err-env-poll-lf-one-line", { HOST_M0 }, { "AUTOSSH_POLL=1\n2" }, PARSE_ERROR,
	  "autossh: AUTOSSH_POLL: invalid value \"1*" },
	{ "err-M-lf-one-line", { "autossh", "-M", "1\n2", "host" }, { NULL }, PARSE_ERROR, "autossh: -M \"1*" },
	{ "err-env-maxlifetime-negative", { HOST_M0 }, { "AUTOSSH_MAXLIFETIME=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MAXLIFETIME: invalid value \"-1\" (*" },
	{ "err-env-path-missing", { HOST_M0 }, { "AUTOSSH_PATH=/nonexistent-autossh-unit/ssh" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PATH: invalid value \"/nonexistent-autossh-unit/ssh\" (*" },
	{ "err-env-path-directory", { HOST_M0 }, { "AUTOSSH_PATH=/" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PATH: invalid value \"/\" (*" },
	{ "err-env-path-not-in-PATH", { HOST_M0 }, { "AUTOSSH_PATH=no-such-ssh-autossh-unit", "PATH=/usr/bin:/bin" },
	  PARSE_ERROR, "autossh: AUTOSSH_PATH: invalid value \"no-such-ssh-autossh-unit\" (*" },
	{ "err-default-ssh-not-in-PATH", { HOST_M0 }, { "AUTOSSH_PATH=", "PATH=/nonexistent-autossh-unit" },
	  PARSE_ERROR, "autossh: ssh: *" },
	{ "err-env-pidfile-no-dir", { HOST_M0 }, { "AUTOSSH_PIDFILE=/nonexistent-autossh-unit/a.pid" }, PARSE_ERROR,
	  "autossh: AUTOSSH_PIDFILE: invalid value \"/nonexistent-autossh-unit/a.pid\" (*" },
	/* autossh(1) MONITORING variables */
	{ "err-env-monitor-addr-not-loopback", { HOST_M0 }, { "AUTOSSH_MONITOR_ADDR=10.0.0.1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MONITOR_ADDR: invalid value \"10.0.0.1\" (*" },
	{ "err-env-monitor-addr-name", { HOST_M0 }, { "AUTOSSH_MONITOR_ADDR=localhost" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MONITOR_ADDR: invalid value \"localhost\" (*" },
	{ "err-env-monitor-addr-bracketed", { HOST_M0 }, { "AUTOSSH_MONITOR_ADDR=[::1]" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MONITOR_ADDR: invalid value \"[::1]\" (*" },
	{ "err-env-net-timeout-99", { HOST_M0 }, { "AUTOSSH_NET_TIMEOUT=99" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NET_TIMEOUT: invalid value \"99\" (*" },
	{ "err-env-net-timeout-3600001", { HOST_M0 }, { "AUTOSSH_NET_TIMEOUT=3600001" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NET_TIMEOUT: invalid value \"3600001\" (*" },
	{ "err-env-statusfile-no-dir", { HOST_M0 }, { "AUTOSSH_STATUSFILE=/nonexistent-autossh-unit/s" }, PARSE_ERROR,
	  "autossh: AUTOSSH_STATUSFILE: invalid value \"/nonexistent-autossh-unit/s\" (*" },
	{ "err-env-jitter-51", { HOST_M0 }, { "AUTOSSH_JITTER=51" }, PARSE_ERROR,
	  "autossh: AUTOSSH_JITTER: invalid value \"51\" (*" },
	{ "err-env-jitter-negative", { HOST_M0 }, { "AUTOSSH_JITTER=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_JITTER: invalid value \"-1\" (*" },
	{ "err-env-connect-timeout-negative", { "autossh", "-M", "20000", "host" }, { "AUTOSSH_CONNECT_TIMEOUT=-1" },
	  PARSE_ERROR, "autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value \"-1\" (*" },
	{ "err-env-connect-timeout-needs-port", { HOST_M0 }, { "AUTOSSH_CONNECT_TIMEOUT=5" }, PARSE_ERROR,
	  "autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value \"5\" (needs a monitor port)" },
	{ "err-env-connect-timeout-needs-port-none", { "autossh", "host" }, { "AUTOSSH_CONNECT_TIMEOUT=5" },
	  PARSE_ERROR, "autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value \"5\" (needs a monitor port)" },
	/* autossh(1) ENVIRONMENT: arguments are checked before variables */
	{ "order-M-error-before-env", { "autossh", "-M", "x", "host" }, { "AUTOSSH_POLL=0", "AUTOSSH_PATH=/nonexistent" },
	  PARSE_ERROR, "autossh: -M \"x\": invalid monitor port" },
	{ "order-M-missing-before-env", { "autossh", "host", "-M" }, { "AUTOSSH_LOGLEVEL=9" }, PARSE_ERROR,
	  "autossh: -M: option requires a port" },
	{ "order-destination-before-env", { "autossh", "-M", "0" }, { "AUTOSSH_POLL=0" }, PARSE_USAGE,
	  "autossh: no destination host given" },
	{ "order-M-before-env-port", { "autossh", "-M", "70000", "host" }, { "AUTOSSH_PORT=x" }, PARSE_ERROR,
	  "autossh: -M \"70000\": monitor port out of range (1-65534)" },
	{ "order-table-before-extensions", { HOST_M0 }, { "AUTOSSH_JITTER=99", "AUTOSSH_MAXLIFETIME=-1" }, PARSE_ERROR,
	  "autossh: AUTOSSH_MAXLIFETIME: invalid value \"-1\" (*" },
	/* -V, --help, --check */
	{ "version-alone", { "autossh", "-V" }, { NULL }, PARSE_VERSION, "" },
	{ "version-bundle", { "autossh", "-vV", "host" }, { NULL }, PARSE_VERSION, "" },
	{ "version-after-destination", { "autossh", "-M", "0", "host", "-V" }, { NULL }, PARSE_VERSION, "" },
	{ "version-before-arg-checks", { "autossh", "-M", "x", "-V" }, { NULL }, PARSE_VERSION, "" },
	{ "version-before-M-missing", { "autossh", "-V", "-M" }, { NULL }, PARSE_VERSION, "" },
	{ "version-before-env-checks", { "autossh", "-V" }, { "AUTOSSH_POLL=0", "AUTOSSH_PATH=/nonexistent" },
	  PARSE_VERSION, "" },
	{ "version-in-command-is-ssh", { "autossh", "-M", "0", "host", "ls", "-V" }, { NULL }, PARSE_RUN, "" },
	{ "version-as-value-is-ssh", { "autossh", "-M", "0", "-o", "-V", "host" }, { NULL }, PARSE_RUN, "" },
	{ "help-alone", { "autossh", "--help" }, { NULL }, PARSE_HELP, "" },
	{ "help-before-env-checks", { "autossh", "--help" }, { "AUTOSSH_POLL=0" }, PARSE_HELP, "" },
	{ "h-first", { "autossh", "-h" }, { NULL }, PARSE_HELP, "" },
	{ "h-first-before-host", { "autossh", "-h", "host" }, { "AUTOSSH_POLL=0" }, PARSE_HELP, "" },
	{ "h-in-command-is-ssh", { "autossh", "-M", "0", "host", "ls", "-h" }, { NULL }, PARSE_RUN, "" },
	{ "version-long-first", { "autossh", "--version" }, { "AUTOSSH_POLL=0" }, PARSE_VERSION, "" },
	{ "check-first-argument", { "autossh", "--check", "/run/x.status" }, { NULL }, PARSE_CHECK, "" },
	{ "check-no-file", { "autossh", "--check" }, { NULL }, PARSE_CHECK, "" },
	{ "list-first-argument", { "autossh", "--list", "--json" }, { "AUTOSSH_POLL=0" }, PARSE_LIST, "" },
	/* autossh(1) ENVIRONMENT: AUTOSSH_NAME, AUTOSSH_ONCHANGE */
	{ "err-env-name-newline", { HOST_M0 }, { "AUTOSSH_NAME=a\nb" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NAME: invalid value \"a\\nb\" (expected text without a newline)" },
	{ "env-name-any-text", { HOST_M0 }, { "AUTOSSH_NAME=db \"primary\"" }, PARSE_RUN, "" },
	{ "err-env-onchange-relative", { HOST_M0 }, { "AUTOSSH_ONCHANGE=bin/true" }, PARSE_ERROR,
	  "autossh: AUTOSSH_ONCHANGE: invalid value \"bin/true\" (expected an absolute path)" },
	{ "err-env-onchange-directory", { HOST_M0 }, { "AUTOSSH_ONCHANGE=/" }, PARSE_ERROR,
	  "autossh: AUTOSSH_ONCHANGE: invalid value \"/\" (expected an absolute path to an executable file)" },
	{ "err-env-onchange-not-executable", { HOST_M0 }, { "AUTOSSH_ONCHANGE=/etc/passwd" }, PARSE_ERROR,
	  "autossh: AUTOSSH_ONCHANGE: invalid value \"/etc/passwd\" (expected an absolute path to an executable file)" },
	{ "env-onchange-executable", { HOST_M0 }, { "AUTOSSH_ONCHANGE=/bin/sh" }, PARSE_RUN, "" },
	/* autossh(1) ENVIRONMENT: empty = unset, ranges' ends accepted */
	{ "env-empty-is-unset",
	  { HOST_M0 },
	  { "AUTOSSH_LOGLEVEL=", "AUTOSSH_POLL=", "AUTOSSH_FIRST_POLL=", "AUTOSSH_GATETIME=", "AUTOSSH_MAXSTART=",
	    "AUTOSSH_MESSAGE=", "AUTOSSH_PORT=", "AUTOSSH_MAXLIFETIME=", "AUTOSSH_PIDFILE=", "AUTOSSH_LOGFILE=",
	    "AUTOSSH_NET_TIMEOUT=", "AUTOSSH_STATUSFILE=", "AUTOSSH_JITTER=", "AUTOSSH_CONNECT_TIMEOUT=" },
	  PARSE_RUN, "" },
	{ "env-range-ends-accepted",
	  { "autossh", "-M", "20000", "host" },
	  { "AUTOSSH_LOGLEVEL=0", "AUTOSSH_POLL=2147483647", "AUTOSSH_FIRST_POLL=1", "AUTOSSH_GATETIME=0",
	    "AUTOSSH_MAXSTART=-1", "AUTOSSH_MAXLIFETIME=2147483647", "AUTOSSH_NET_TIMEOUT=100", "AUTOSSH_JITTER=50",
	    "AUTOSSH_CONNECT_TIMEOUT=2147483647" },
	  PARSE_RUN, "" },
	{ "env-range-other-ends-accepted",
	  { "autossh", "-M", "20000", "host" },
	  { "AUTOSSH_LOGLEVEL=7", "AUTOSSH_POLL=1", "AUTOSSH_FIRST_POLL=2147483647", "AUTOSSH_GATETIME=2147483647",
	    "AUTOSSH_MAXSTART=2147483647", "AUTOSSH_MAXLIFETIME=0", "AUTOSSH_NET_TIMEOUT=3600000", "AUTOSSH_JITTER=0",
	    "AUTOSSH_CONNECT_TIMEOUT=0" },
	  PARSE_RUN, "" },
	{ "env-unknown-ignored", { HOST_M0 }, { "AUTOSSH_FOO=bar", "AUTOSSH_NTSERVICE=yes", "AUTOSSH_=1" }, PARSE_RUN,
	  "" },
	{ "env-connect-timeout-zero-no-port", { HOST_M0 }, { "AUTOSSH_CONNECT_TIMEOUT=0" }, PARSE_RUN, "" },
	{ "env-monitor-addr-127-x", { HOST_M0 }, { "AUTOSSH_MONITOR_ADDR=127.255.0.9" }, PARSE_RUN, "" },
	/* autossh(1) NETWORK CHANGES, TCP EVIDENCE: 0 or 1 */
	{ "env-netwatch-0", { HOST_M0 }, { "AUTOSSH_NETWATCH=0", "AUTOSSH_TCP_EVIDENCE=1" }, PARSE_RUN, "" },
	{ "env-netwatch-empty-is-unset", { HOST_M0 }, { "AUTOSSH_NETWATCH=", "AUTOSSH_TCP_EVIDENCE=" }, PARSE_RUN, "" },
	{ "err-env-netwatch-x", { HOST_M0 }, { "AUTOSSH_NETWATCH=x" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NETWATCH: invalid value \"x\" (expected 0 or 1)" },
	{ "err-env-netwatch-2", { HOST_M0 }, { "AUTOSSH_NETWATCH=2" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NETWATCH: invalid value \"2\" (expected 0 or 1)" },
	{ "err-env-netwatch-00", { HOST_M0 }, { "AUTOSSH_NETWATCH=00" }, PARSE_ERROR,
	  "autossh: AUTOSSH_NETWATCH: invalid value \"00\" (expected 0 or 1)" },
	{ "err-env-tcp-evidence-yes", { HOST_M0 }, { "AUTOSSH_TCP_EVIDENCE=yes" }, PARSE_ERROR,
	  "autossh: AUTOSSH_TCP_EVIDENCE: invalid value \"yes\" (expected 0 or 1)" },
	{ "order-netwatch-before-extensions", { HOST_M0 }, { "AUTOSSH_JITTER=99", "AUTOSSH_TCP_EVIDENCE=2" },
	  PARSE_ERROR, "autossh: AUTOSSH_TCP_EVIDENCE: invalid value \"2\" (expected 0 or 1)" },
	{ "order-table-before-netwatch", { HOST_M0 }, { "AUTOSSH_NETWATCH=2", "AUTOSSH_LOGLEVEL=9" }, PARSE_ERROR,
	  "autossh: AUTOSSH_LOGLEVEL: invalid value \"9\" (*" },
};

static int err_matches(const char *got, const char *want)
{
	size_t wl = strlen(want);

	if (strpbrk(got, "\r\n") != NULL)
		return 0;  /* always one line */
	if (wl >= 1 && want[wl - 1] == '*') {
		size_t gl = strlen(got);
		int needs_paren = wl >= 2 && want[wl - 2] == '(';
		return strncmp(got, want, wl - 1) == 0 && gl > wl - 1 + (needs_paren ? 1 : 0) &&
		       (!needs_paren || got[gl - 1] == ')');
	}
	return strcmp(got, want) == 0;
}

static void test_err_cases(void)
{
	for (size_t c = 0; c < sizeof err_cases / sizeof err_cases[0]; c++) {
		const struct err_case *tc = &err_cases[c];
		struct config cfg;
		char err[ERRLEN];
		enum parse_result r = parse(tc->args, tc->env, &cfg, err, sizeof err);
		int ok = r == tc->want;

		if (ok && (r == PARSE_ERROR || r == PARSE_USAGE))
			ok = err_matches(err, tc->want_err);
		resultf(tc->name, ok, "got %s \"%s\", want %s \"%s\"", result_name(r), err, result_name(tc->want),
			tc->want_err);
		config_free(&cfg);
	}
}

/* autossh(1) ENVIRONMENT: variables are validated in the table's order. */
static void test_env_order(void)
{
	static const char *const bad[][2] = {
		{ "AUTOSSH_PATH", "AUTOSSH_PATH=/nonexistent-autossh-unit/ssh" },
		{ "AUTOSSH_LOGLEVEL", "AUTOSSH_LOGLEVEL=8" },
		{ "AUTOSSH_POLL", "AUTOSSH_POLL=0" },
		{ "AUTOSSH_FIRST_POLL", "AUTOSSH_FIRST_POLL=x" },
		{ "AUTOSSH_GATETIME", "AUTOSSH_GATETIME=-1" },
		{ "AUTOSSH_MAXSTART", "AUTOSSH_MAXSTART=-2" },
		{ "AUTOSSH_MESSAGE", "AUTOSSH_MESSAGE=a\nb" },
		{ "AUTOSSH_PORT", "AUTOSSH_PORT=65535" },
		{ "AUTOSSH_MAXLIFETIME", "AUTOSSH_MAXLIFETIME=-5" },
		{ "AUTOSSH_PIDFILE", "AUTOSSH_PIDFILE=/nonexistent-autossh-unit/pid" },
	};
	enum { N = sizeof bad / sizeof bad[0] };
	static const char *const args[] = { "autossh", "-M", "20000", "host", NULL };

	for (int first = 0; first < N; first++) {
		const char *env[N + 1];
		char name[64], prefix[64], err[ERRLEN];
		struct config cfg;
		int k = 0;

		/* Bad values for this variable and all later ones, listed last first. */
		for (int i = N - 1; i >= first; i--)
			env[k++] = bad[i][1];
		env[k] = NULL;
		snprintf(name, sizeof name, "order-env-%s-first", bad[first][0]);
		snprintf(prefix, sizeof prefix, "autossh: %s: invalid value \"", bad[first][0]);
		enum parse_result r = parse(args, env, &cfg, err, sizeof err);
		resultf(name, r == PARSE_ERROR && strncmp(err, prefix, strlen(prefix)) == 0, "got %s \"%s\"",
			result_name(r), err);
		config_free(&cfg);
	}
}

/* Values parse_config stores (autossh(1) ENVIRONMENT defaults and accepted values). */
static void test_env_values(void)
{
	struct config cfg;
	char err[ERRLEN];
	const char *args[] = { HOST_M0, NULL };
	const char *args_f[] = { "autossh", "-f", "-M", "0", "host", NULL };
	enum parse_result r;

	r = parse(args, NULL, &cfg, err, sizeof err);
	resultf("defaults", r == PARSE_RUN && cfg.poll == 600 && cfg.first_poll == 600 && cfg.gatetime == 30 &&
				    cfg.maxstart == -1 && cfg.maxlifetime == 0 && cfg.loglevel == 6 && !cfg.debug &&
				    cfg.message[0] == '\0' && cfg.net_timeout_ms == 15000 && cfg.jitter == 0 &&
				    cfg.connect_timeout == 0 && cfg.pidfile == NULL && cfg.statusfile == NULL &&
				    cfg.logfile == NULL && !cfg.background && strcmp(cfg.monitor_addr, "127.0.0.1") == 0 &&
				    strcmp(cfg.progname, "autossh") == 0,
		"%s: poll %ld first %ld gate %ld maxstart %ld life %ld loglevel %d debug %d T %ld", result_name(r),
		cfg.poll, cfg.first_poll, cfg.gatetime, cfg.maxstart, cfg.maxlifetime, cfg.loglevel, cfg.debug,
		cfg.net_timeout_ms);
	config_free(&cfg);

	{
		const char *env[] = { "AUTOSSH_DEBUG=", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-debug-empty-counts", r == PARSE_RUN && cfg.debug == 1, "%s debug %d", result_name(r),
			cfg.debug);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_DEBUG=0", "AUTOSSH_LOGLEVEL=3", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-debug-any-value", r == PARSE_RUN && cfg.debug == 1 && cfg.loglevel == 3,
			"%s debug %d loglevel %d", result_name(r), cfg.debug, cfg.loglevel);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_MESSAGE=" S64, NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-message-64-bytes", r == PARSE_RUN && strcmp(cfg.message, S64) == 0, "%s \"%s\" %s",
			result_name(r), cfg.message, err);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_MESSAGE=hello world", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-message-kept", r == PARSE_RUN && strcmp(cfg.message, "hello world") == 0, "%s \"%s\"",
			result_name(r), cfg.message);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_MAXSTART=0", "AUTOSSH_GATETIME=0x10", "AUTOSSH_POLL=010", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-numbers-base-0", r == PARSE_RUN && cfg.maxstart == 0 && cfg.gatetime == 16 && cfg.poll == 8,
			"%s maxstart %ld gatetime %ld poll %ld", result_name(r), cfg.maxstart, cfg.gatetime, cfg.poll);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_MAXSTART=-1", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("env-maxstart-minus-1", r == PARSE_RUN && cfg.maxstart == -1, "%s %ld %s", result_name(r),
			cfg.maxstart, err);
		config_free(&cfg);
	}
	{
		const char *env[] = { tmp_pidfile_env, tmp_statusfile_env, NULL };
		const char *args_mon[] = { "autossh", "-M", "20000", "host", NULL };
		r = parse(args_mon, env, &cfg, err, sizeof err);
		resultf("env-pidfile-statusfile-writable-dir",
			r == PARSE_RUN && cfg.pidfile && strcmp(cfg.pidfile, strchr(tmp_pidfile_env, '=') + 1) == 0 &&
				cfg.statusfile && strcmp(cfg.statusfile, strchr(tmp_statusfile_env, '=') + 1) == 0,
			"%s %s", result_name(r), err);
		config_free(&cfg);
	}
	{
		const char *env[] = { tmp_dir_pidfile_env, NULL };
		char prefix[160];
		snprintf(prefix, sizeof prefix, "autossh: AUTOSSH_PIDFILE: invalid value \"%s\" (",
			 strchr(tmp_dir_pidfile_env, '=') + 1);
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("err-env-pidfile-is-directory", r == PARSE_ERROR && strncmp(err, prefix, strlen(prefix)) == 0,
			"%s \"%s\"", result_name(r), err);
		config_free(&cfg);
	}
	{
		const char *env[] = { tmp_noexec_env, NULL };
		char prefix[160];
		snprintf(prefix, sizeof prefix, "autossh: AUTOSSH_PATH: invalid value \"%s\" (",
			 strchr(tmp_noexec_env, '=') + 1);
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("err-env-path-not-executable", r == PARSE_ERROR && strncmp(err, prefix, strlen(prefix)) == 0,
			"%s \"%s\"", result_name(r), err);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_PATH=", tmp_path_env, NULL };
		char exec_want[128];
		snprintf(exec_want, sizeof exec_want, "%s/ssh", tmpdir);
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("path-default-ssh-from-PATH",
			r == PARSE_RUN && strcmp(cfg.ssh_argv[0], "ssh") == 0 && cfg.ssh_exec &&
				strcmp(cfg.ssh_exec, exec_want) == 0,
			"%s argv0 %s exec %s %s", result_name(r), r == PARSE_RUN ? cfg.ssh_argv[0] : "-",
			cfg.ssh_exec ? cfg.ssh_exec : "(null)", err);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_PATH=true", "PATH=/nonexistent-autossh-unit:/usr/bin:/bin", NULL };
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("path-name-resolved", r == PARSE_RUN && cfg.ssh_exec && cfg.ssh_exec[0] == '/' &&
						      strcmp(base_name(cfg.ssh_exec), "true") == 0,
			"%s exec %s", result_name(r), cfg.ssh_exec ? cfg.ssh_exec : "(null)");
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_GATETIME=60", NULL };
		r = parse(args_f, env, &cfg, err, sizeof err);
		resultf("derive-f-forces-gate-0", r == PARSE_RUN && cfg.background && cfg.gatetime == 0,
			"%s background %d gatetime %ld", result_name(r), cfg.background, cfg.gatetime);
		config_free(&cfg);
		r = parse(args, env, &cfg, err, sizeof err);
		resultf("derive-gatetime-kept-without-f", r == PARSE_RUN && cfg.gatetime == 60, "%s gatetime %ld",
			result_name(r), cfg.gatetime);
		config_free(&cfg);
	}
	{
		const char *env[] = { "AUTOSSH_PORT=20000", NULL };
		const char *args_none[] = { "autossh", "host", NULL };
		r = parse(args_none, NULL, &cfg, err, sizeof err);
		int none_ok = r == PARSE_RUN && !cfg.port_given && cfg.monitor_port == 0;
		config_free(&cfg);
		r = parse(args_none, env, &cfg, err, sizeof err);
		int env_ok = r == PARSE_RUN && cfg.port_given && cfg.monitor_port == 20000;
		config_free(&cfg);
		r = parse(args, NULL, &cfg, err, sizeof err);
		int zero_ok = r == PARSE_RUN && cfg.port_given && cfg.monitor_port == 0;
		config_free(&cfg);
		resultf("port-given-flags", none_ok && env_ok && zero_ok, "no port %d, env %d, -M 0 %d", none_ok,
			env_ok, zero_ok);
	}
	{
		/* argv words must survive the caller freeing nothing: all copies. */
		char word[] = "host";
		char *argv[] = { (char *)(uintptr_t) "autossh", (char *)(uintptr_t) "-M", (char *)(uintptr_t) "0",
				 word, NULL };
		case_env = NULL;
		r = parse_config(4, argv, fake_lookup, &cfg, err, sizeof err);
		word[0] = 'X';
		resultf("args-ssh-argv-copied", r == PARSE_RUN && strcmp(cfg.ssh_argv[5], "host") == 0, "%s %s",
			result_name(r), r == PARSE_RUN ? cfg.ssh_argv[5] : "-");
		config_free(&cfg);
	}
}

/* ------------------------------------------------------------ derive_config */

struct derive_case {
	const char *name;
	const char *env[8];
	long poll, first_poll, net_timeout_ms;
	int poll_adjusted, first_poll_adjusted, short_poll;
};

static const struct derive_case derive_cases[] = {
	{ "derive-first-poll-defaults-to-poll", { "AUTOSSH_POLL=60" }, 60, 60, 15000, 0, 0, 0 },
	{ "derive-first-poll-own", { "AUTOSSH_POLL=60", "AUTOSSH_FIRST_POLL=10" }, 60, 10, 15000, 0, 0, 0 },
	{ "derive-first-poll-longer", { "AUTOSSH_POLL=60", "AUTOSSH_FIRST_POLL=900" }, 60, 900, 15000, 0, 0, 0 },
	{ "derive-poll-30-full-timeout", { "AUTOSSH_POLL=30" }, 30, 30, 15000, 0, 0, 0 },
	{ "derive-poll-29-short", { "AUTOSSH_POLL=29" }, 29, 29, 14500, 0, 0, 1 },
	{ "derive-poll-20-short", { "AUTOSSH_POLL=20" }, 20, 20, 10000, 0, 0, 1 },
	{ "derive-poll-1-short", { "AUTOSSH_POLL=1" }, 1, 1, 500, 0, 0, 1 },
	{ "derive-net-timeout-fixed", { "AUTOSSH_POLL=20", "AUTOSSH_NET_TIMEOUT=3000" }, 20, 20, 3000, 0, 0, 0 },
	{ "derive-net-timeout-fixed-long-poll", { "AUTOSSH_NET_TIMEOUT=100" }, 600, 600, 100, 0, 0, 0 },
	{ "derive-net-timeout-above-15s", { "AUTOSSH_NET_TIMEOUT=60000" }, 600, 600, 60000, 0, 0, 0 },
	{ "derive-lifetime-caps-poll", { "AUTOSSH_MAXLIFETIME=100" }, 100, 100, 15000, 1, DONT_CARE, 0 },
	{ "derive-lifetime-caps-first-poll", { "AUTOSSH_MAXLIFETIME=100", "AUTOSSH_POLL=50", "AUTOSSH_FIRST_POLL=200" },
	  50, 100, 15000, 0, 1, 0 },
	{ "derive-lifetime-caps-both", { "AUTOSSH_MAXLIFETIME=100", "AUTOSSH_POLL=300", "AUTOSSH_FIRST_POLL=200" },
	  100, 100, 15000, 1, 1, 0 },
	{ "derive-lifetime-equal-poll-not-capped", { "AUTOSSH_MAXLIFETIME=600" }, 600, 600, 15000, 0, DONT_CARE, 0 },
	{ "derive-lifetime-short-poll-uses-new", { "AUTOSSH_MAXLIFETIME=20" }, 20, 20, 10000, 1, DONT_CARE, 1 },
	{ "derive-lifetime-0-forever", { "AUTOSSH_MAXLIFETIME=0", "AUTOSSH_POLL=900" }, 900, 900, 15000, 0, 0, 0 },
};

static void test_derive(void)
{
	static const char *const args[] = { "autossh", "-M", "20000", "host", NULL };

	for (size_t c = 0; c < sizeof derive_cases / sizeof derive_cases[0]; c++) {
		const struct derive_case *tc = &derive_cases[c];
		struct config cfg;
		char err[ERRLEN];
		enum parse_result r = parse(args, tc->env, &cfg, err, sizeof err);

		resultf(tc->name,
			r == PARSE_RUN && cfg.poll == tc->poll && cfg.first_poll == tc->first_poll &&
				cfg.net_timeout_ms == tc->net_timeout_ms && cfg.poll_adjusted == tc->poll_adjusted &&
				(tc->first_poll_adjusted == DONT_CARE ||
				 cfg.first_poll_adjusted == tc->first_poll_adjusted) &&
				cfg.short_poll == tc->short_poll,
			"%s %s: poll %ld first %ld T %ld adjusted %d/%d short %d; want %ld %ld %ld %d/%d %d",
			result_name(r), err, cfg.poll, cfg.first_poll, cfg.net_timeout_ms, cfg.poll_adjusted,
			cfg.first_poll_adjusted, cfg.short_poll, tc->poll, tc->first_poll, tc->net_timeout_ms,
			tc->poll_adjusted, tc->first_poll_adjusted, tc->short_poll);
		config_free(&cfg);
	}
}

/* ------------------------------------------------------------- decide_on_exit */

/* wait(2) statuses in the traditional encoding, checked against the W* macros. */
static int exited(int status)
{
	return (status & 0xff) << 8;
}

static int killed(int sig)
{
	return sig & 0x7f;
}

static void test_wait_encoding(void)
{
	int ok = 1;
	for (int s = 0; s < 256; s++)
		ok = ok && WIFEXITED(exited(s)) && !WIFSIGNALED(exited(s)) && WEXITSTATUS(exited(s)) == s;
	for (int sig = 1; sig < 32; sig++)
		ok = ok && WIFSIGNALED(killed(sig)) && !WIFEXITED(killed(sig)) && WTERMSIG(killed(sig)) == sig;
	resultf("exit-test-wait-encoding", ok, "this platform encodes wait statuses differently");
}

struct exit_case {
	const char *name;
	int wait_status, first, gate_on;
	long long lived_ms;
	long gatetime;
	enum exit_action action;
	int exit_status, level;
	const char *message;
};

#define RESTART ACTION_RESTART
#define EXIT ACTION_EXIT

static const struct exit_case exit_cases[] = {
	/* row 1: a signal restarts, before the gate */
	{ "exit-row1-signal-first-gated", 9, 1, 1, 10, 30, RESTART, 0, LOG_INFO, "ssh exited on signal 9, restarting ssh" },
	{ "exit-row1-signal-later", 15, 0, 1, 99999, 30, RESTART, 0, LOG_INFO, "ssh exited on signal 15, restarting ssh" },
	{ "exit-row1-signal-gate-off", 2, 1, 0, 0, 0, RESTART, 0, LOG_INFO, "ssh exited on signal 2, restarting ssh" },
	/* row 2: premature, any status; the boundary is inclusive */
	{ "exit-row2-premature-255", -255, 1, 1, 1000, 30, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 255; autossh exiting" },
	{ "exit-row2-premature-0", -0, 1, 1, 0, 30, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 0; autossh exiting" },
	{ "exit-row2-premature-1", -1, 1, 1, 29999, 30, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 1; autossh exiting" },
	{ "exit-row2-premature-3", -3, 1, 1, 5000, 30, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 3; autossh exiting" },
	{ "exit-row2-gate-boundary-exact", -255, 1, 1, 30000, 30, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 255; autossh exiting" },
	{ "exit-row2-gate-boundary-plus-1ms", -255, 1, 1, 30001, 30, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 255; restarting ssh" },
	{ "exit-row2-gate-1s-boundary", -0, 1, 1, 1000, 1, EXIT, 1, LOG_ERR,
	  "ssh exited prematurely with status 0; autossh exiting" },
	{ "exit-row2-gate-1s-plus-1ms", -0, 1, 1, 1001, 1, EXIT, 0, LOG_INFO,
	  "ssh exited with status 0; autossh exiting" },
	{ "exit-row2-not-first", -255, 0, 1, 10, 30, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 255; restarting ssh" },
	{ "exit-row2-gate-off", -255, 1, 0, 10, 0, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 255; restarting ssh" },
	{ "exit-row2-gate-off-f", -1, 1, 0, 10, 30, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 1; restarting ssh" },
	/* row 3: 255 restarts */
	{ "exit-row3-255-later", -255, 0, 0, 10, 30, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 255; restarting ssh" },
	/* row 4: 0 exits 0 */
	{ "exit-row4-0-later", -0, 0, 1, 10, 30, EXIT, 0, LOG_INFO, "ssh exited with status 0; autossh exiting" },
	{ "exit-row4-0-first-after-gate", -0, 1, 1, 30001, 30, EXIT, 0, LOG_INFO,
	  "ssh exited with status 0; autossh exiting" },
	{ "exit-row4-0-first-gate-off", -0, 1, 0, 0, 0, EXIT, 0, LOG_INFO, "ssh exited with status 0; autossh exiting" },
	/* row 5: 1 or 2 restart unless first and gated */
	{ "exit-row5-1-later", -1, 0, 1, 10, 30, RESTART, 0, LOG_INFO, "ssh exited with error status 1; restarting ssh" },
	{ "exit-row5-2-later", -2, 0, 1, 10, 30, RESTART, 0, LOG_INFO, "ssh exited with error status 2; restarting ssh" },
	{ "exit-row5-2-first-gate-off", -2, 1, 0, 10, 0, RESTART, 0, LOG_INFO,
	  "ssh exited with error status 2; restarting ssh" },
	/* row 6: 1 or 2, first, gated, after the gate */
	{ "exit-row6-1-first-gated", -1, 1, 1, 30001, 30, EXIT, 1, LOG_INFO, "ssh exited with status 1; autossh exiting" },
	{ "exit-row6-2-first-gated", -2, 1, 1, 60000, 30, EXIT, 1, LOG_INFO, "ssh exited with status 2; autossh exiting" },
	/* row 7: anything else exits 1 */
	{ "exit-row7-3-later", -3, 0, 1, 10, 30, EXIT, 1, LOG_INFO, "ssh exited with status 3; autossh exiting" },
	{ "exit-row7-127-gate-off", -127, 1, 0, 10, 0, EXIT, 1, LOG_INFO, "ssh exited with status 127; autossh exiting" },
	{ "exit-row7-254-later", -254, 0, 0, 10, 30, EXIT, 1, LOG_INFO, "ssh exited with status 254; autossh exiting" },
	{ "exit-row7-3-first-after-gate", -3, 1, 1, 30001, 30, EXIT, 1, LOG_INFO,
	  "ssh exited with status 3; autossh exiting" },
};

static void test_decide_on_exit(void)
{
	for (size_t c = 0; c < sizeof exit_cases / sizeof exit_cases[0]; c++) {
		const struct exit_case *tc = &exit_cases[c];
		/* positive: a signal number; zero or negative: minus an exit status */
		int ws = tc->wait_status > 0 ? killed(tc->wait_status) : exited(-tc->wait_status);
		struct exit_decision d = decide_on_exit(ws, tc->first, tc->gate_on, tc->lived_ms, tc->gatetime, "autossh");

		resultf(tc->name,
			d.action == tc->action && d.level == tc->level && strcmp(d.message, tc->message) == 0 &&
				(d.action == ACTION_RESTART || d.exit_status == tc->exit_status),
			"got %s status %d level %d \"%s\"", d.action == ACTION_EXIT ? "exit" : "restart",
			d.exit_status, d.level, d.message);
	}
	struct exit_decision d = decide_on_exit(exited(0), 0, 0, 10, 30, "tunnel");
	resultf("exit-progname-in-message", strcmp(d.message, "ssh exited with status 0; tunnel exiting") == 0,
		"\"%s\"", d.message);
	d = decide_on_exit(exited(255), 1, 1, 10, 30, "tunnel");
	resultf("exit-progname-in-premature", strcmp(d.message, "ssh exited prematurely with status 255; tunnel exiting") == 0,
		"\"%s\"", d.message);
}

/* ------------------------------------------------------------------- backoff */

static void test_backoff(void)
{
	static const struct {
		long poll, min_up;
	} min_up[] = { { 1, 10 }, { 30, 10 }, { 100, 10 }, { 109, 10 }, { 110, 11 }, { 600, 60 }, { 3600, 360 } };
	char why[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < sizeof min_up / sizeof min_up[0]; i++) {
		long p = min_up[i].poll, m = min_up[i].min_up;
		int a = next_tries(3, m * 1000 - 1, p), b = next_tries(3, m * 1000, p), c = next_tries(0, 0, p);
		if (a != 4 || b != 0 || c != 1)
			used += (size_t)snprintf(why + used, sizeof why - used,
						 " poll %ld: %d %d %d (want 4 0 1 at min_up %ld s);", p, a, b, c, m);
	}
	resultf("backoff-next-tries-min-up", used == 0, "%s", why);
	resultf("backoff-next-tries-long-uptime", next_tries(40, 86400000LL, 600) == 0, "got %d",
		next_tries(40, 86400000LL, 600));

	/* autossh(1) RESTARTS schedules: wait before each start, driven by quick exits. */
	static const long want600[] = { 0, 0, 0, 0, 0, 0, 2, 8, 18, 32, 50, 72, 98, 128, 162, 200, 242, 288,
					338, 392, 450, 512, 578, 600, 600, 600 };
	static const long want30[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 19, 22, 25,
				       28, 30, 30 };
	static const struct {
		const char *name;
		long poll;
		const long *want;
		size_t n;
	} schedules[] = {
		{ "backoff-schedule-poll-600", 600, want600, sizeof want600 / sizeof want600[0] },
		{ "backoff-schedule-poll-30", 30, want30, sizeof want30 / sizeof want30[0] },
	};
	for (size_t s = 0; s < 2; s++) {
		int tries = 0;  /* the first start */
		size_t bad = 0;
		long got_wait = 0;
		for (size_t start = 0; start < schedules[s].n; start++) {
			if (start > 0)  /* ssh lived 1 s: a quick exit */
				tries = next_tries(tries, 1000, schedules[s].poll);
			got_wait = grace_seconds(tries, schedules[s].poll);
			if (got_wait != schedules[s].want[start]) {
				bad = start + 1;
				break;
			}
		}
		resultf(schedules[s].name, bad == 0, "start %zu waits %ld s, want %ld", bad,
			got_wait, bad ? schedules[s].want[bad - 1] : 0);
	}

	static const struct {
		int tries;
		long poll, want;
	} grace[] = { { 0, 600, 0 },	       { 5, 600, 0 },	       { 6, 600, 2 },	     { 22, 600, 578 },
		      { 23, 600, 600 },	       { 1000, 600, 600 },     { 6, 1, 0 },	     { 23, 1, 1 },
		      { 10, 2147483647, 178956970 }, { 1000, 2147483647, 2147483647 } };
	used = 0;
	why[0] = '\0';
	for (size_t i = 0; i < sizeof grace / sizeof grace[0]; i++) {
		long g = grace_seconds(grace[i].tries, grace[i].poll);
		if (g != grace[i].want)
			used += (size_t)snprintf(why + used, sizeof why - used, " tries %d poll %ld: %ld, want %ld;",
						 grace[i].tries, grace[i].poll, g, grace[i].want);
	}
	resultf("backoff-grace-edges", used == 0, "%s", why);
}

/*
 * Huge tries (a run of quick exits with POLL < min_up) must still give POLL.
 * Run last: an overflow here aborts a -fsanitize=undefined build.
 */
static void test_grace_huge_tries(void)
{
	static const struct {
		int tries;
		long poll;
	} cases[] = { { 100000, 2147483647 }, { 2147483647, 1 }, { 2147483647, 9 }, { 2147483647, 2147483647 } };
	char why[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long g = grace_seconds(cases[i].tries, cases[i].poll);
		if (g != cases[i].poll)
			used += (size_t)snprintf(why + used, sizeof why - used, " tries %d poll %ld: %ld, want %ld;",
						 cases[i].tries, cases[i].poll, g, cases[i].poll);
	}
	resultf("backoff-grace-huge-tries-capped", used == 0, "%s", why);
}

static void test_jitter(void)
{
	static const long percents[] = { 0, 1, 10, 20, 33, 50 };
	static const double units[] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
	static const long seconds[] = { 1, 2, 8, 100, 578, 600 };
	char why[512] = "";
	size_t used = 0;

	for (size_t p = 0; p < 6; p++)
		for (size_t s = 0; s < 6; s++)
			for (size_t u = 0; u < 5; u++) {
				long long ms = jittered_ms(seconds[s], percents[p], 600, units[u]);
				long long base = seconds[s] * 1000LL;
				long long lo = base * (100 - percents[p]) / 100, hi = base * (100 + percents[p]) / 100;
				if (hi > 600000)
					hi = 600000;
				if ((ms < lo - 1 || ms > hi + 1 || ms > 600000) && used < sizeof why)
					used += (size_t)snprintf(why + used, sizeof why - used,
								 " %ld s %ld%% u %.2f: %lld ms not in [%lld, %lld];",
								 seconds[s], percents[p], units[u], ms, lo, hi);
			}
	resultf("jitter-bounds", used == 0, "%s", why);

	static const struct {
		long seconds, percent, poll;
		double unit;
		long long want;
	} exact[] = {
		{ 8, 0, 600, 0.0, 8000 },    { 8, 0, 600, 1.0, 8000 },	 { 8, 0, 600, 0.5, 8000 },
		{ 2, 50, 600, 0.0, 1000 },   { 2, 50, 600, 1.0, 3000 },	 { 2, 50, 600, 0.5, 2000 },
		{ 600, 50, 600, 1.0, 600000 }, { 600, 50, 600, 0.0, 300000 }, { 500, 20, 550, 1.0, 550000 },
		{ 30, 20, 30, 1.0, 30000 },  { 30, 20, 30, 0.0, 24000 },
	};
	used = 0;
	why[0] = '\0';
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
		long long ms = jittered_ms(exact[i].seconds, exact[i].percent, exact[i].poll, exact[i].unit);
		if ((ms < exact[i].want - 1 || ms > exact[i].want + 1) && used < sizeof why)
			used += (size_t)snprintf(why + used, sizeof why - used, " %ld s %ld%% u %.1f poll %ld: %lld, want %lld;",
						 exact[i].seconds, exact[i].percent, exact[i].unit, exact[i].poll, ms,
						 exact[i].want);
	}
	resultf("jitter-ends-and-cap", used == 0, "%s", why);

	/* The random factor actually spreads: rng_unit stays in [0, 1]. */
	int in_range = 1, low = 0, high = 0;
	for (int i = 0; i < 10000; i++) {
		double u = rng_unit();
		in_range = in_range && u >= 0.0 && u <= 1.0;
		low += u < 0.1;
		high += u > 0.9;
	}
	resultf("jitter-rng-unit-range", in_range && low > 500 && high > 500, "in range %d, <0.1: %d, >0.9: %d",
		in_range, low, high);
	long lo_n = 2147483647, hi_n = 0;
	for (int i = 0; i < 10000; i++) {
		long n = rng_probe_number();
		if (n < lo_n)
			lo_n = n;
		if (n > hi_n)
			hi_n = n;
	}
	resultf("probe-random-range", lo_n >= 0 && hi_n <= 2147483647L && hi_n > 2000000000L && lo_n < 200000000L,
		"min %ld max %ld", lo_n, hi_n);
}

/* ------------------------------------------------------------------- probe */

static void test_probe_message(void)
{
	static const char node70[] = S64 "NNNNNN", prog100[] = S64 S16 S16 "PPPP";
	static const struct {
		const char *name, *node, *prog;
		long pid, random;
		const char *message, *want;
	} cases[] = {
		{ "probe-message-empty-keeps-space", "gw1", "autossh", 4711, 1804289383, "",
		  "gw1 autossh 4711 1804289383 \r\n" },
		{ "probe-message-with-text", "gw1", "autossh", 4711, 1804289383, "hello world",
		  "gw1 autossh 4711 1804289383 hello world\r\n" },
		{ "probe-message-random-0", "h", "a", 1, 0, "m", "h a 1 0 m\r\n" },
		{ "probe-message-random-max", "h", "a", 2147483647, 2147483647, "", "h a 2147483647 2147483647 \r\n" },
		{ "probe-message-node-cut-64", node70, "autossh", 9, 9, "", S64 " autossh 9 9 \r\n" },
		{ "probe-message-prog-cut-64", "gw1", prog100, 9, 9, "x", "gw1 " S64 " 9 9 x\r\n" },
		{ "probe-message-all-max", node70, prog100, 2147483647, 2147483647, S64,
		  S64 " " S64 " 2147483647 2147483647 " S64 "\r\n" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char buf[256];
		memset(buf, 'Z', sizeof buf);
		size_t n = probe_message(buf, sizeof buf, cases[c].node, cases[c].prog, cases[c].pid, cases[c].random,
					 cases[c].message);
		size_t wl = strlen(cases[c].want);
		resultf(cases[c].name, n == wl && memcmp(buf, cases[c].want, wl) == 0, "got %zu bytes \"%.*s\", want %zu",
			n, (int)(n < sizeof buf ? n : sizeof buf), buf, wl);
	}
}

static void test_probe_reply(void)
{
	static const char msg[] = "gw1 autossh 4711 1804289383 \r\n";
	size_t len = sizeof msg - 1;
	char reply[64];
	int off_by_one_ok = 1;

	resultf("probe-reply-exact", probe_reply_matches(msg, len, msg, len) == 1, "identical reply rejected");
	for (size_t i = 0; i < len; i++) {
		memcpy(reply, msg, len);
		reply[i] ^= 0x01;
		if (probe_reply_matches(msg, len, reply, len))
			off_by_one_ok = 0;
		reply[i] = '\0';
		if (probe_reply_matches(msg, len, reply, len))
			off_by_one_ok = 0;
	}
	resultf("probe-reply-one-byte-off", off_by_one_ok, "a reply with one byte changed matched");
	resultf("probe-reply-shorter", !probe_reply_matches(msg, len, msg, len - 1) && !probe_reply_matches(msg, len, msg, 0),
		"a shorter reply matched");
	memcpy(reply, msg, len);
	reply[len] = '\n';
	resultf("probe-reply-longer", !probe_reply_matches(msg, len, reply, len + 1), "a longer reply matched");
}

static void test_adaptive_timeout(void)
{
	static const struct {
		const char *name;
		long t;
		long rtts[8];
		int n;
		long want;
	} cases[] = {
		{ "adaptive-no-history", 15000, { 0 }, 0, 15000 },
		{ "adaptive-no-history-short-T", 500, { 0 }, 0, 500 },
		{ "adaptive-floor-1s", 15000, { 10 }, 1, 1000 },
		{ "adaptive-floor-zero-rtt", 15000, { 0 }, 1, 1000 },
		{ "adaptive-8x-at-floor", 15000, { 125 }, 1, 1000 },
		{ "adaptive-8x", 15000, { 126 }, 1, 1008 },
		{ "adaptive-8x-longest", 15000, { 10, 500, 20 }, 3, 4000 },
		{ "adaptive-8x-longest-last-of-8", 15000, { 1, 2, 3, 4, 5, 6, 7, 700 }, 8, 5600 },
		{ "adaptive-capped-at-T", 15000, { 3000 }, 1, 15000 },
		{ "adaptive-capped-at-T-exact", 8000, { 1000 }, 1, 8000 },
		{ "adaptive-T-below-floor", 500, { 10 }, 1, 500 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		long got = adaptive_timeout_ms(cases[c].t, cases[c].rtts, cases[c].n);
		resultf(cases[c].name, got == cases[c].want, "got %ld ms, want %ld", got, cases[c].want);
	}
}

/* ------------------------------------------------------------- parse_number */

/* ------------------------------------------------------------ evidence */

/* A window of 1000 ms with nothing in it; each case changes one or two readings. */
static struct window_evidence quiet_window(void)
{
	struct window_evidence w = { 1000, 0, 0, 0, 0, 0, 240 };
	return w;
}

static void test_judge_window(void)
{
	static const struct {
		const char *name;
		long long suspend_ms, late_ms;
		int stopped;
		long long wait_ns, io_bytes, window_ms;
		enum stall_verdict want;
	} cases[] = {
		{ "judge-quiet-window-is-clean", 0, 0, 0, 0, 0, 1000, STALL_CLEAN },
		{ "judge-nothing-known-is-clean", 0, 0, 0, -1, -1, 1000, STALL_CLEAN },
		{ "judge-suspend-at-limit-clean", SUSPEND_JUMP_MS, 0, 0, 0, 0, 1000, STALL_CLEAN },
		{ "judge-suspend-past-limit", SUSPEND_JUMP_MS + 1, 0, 0, 0, 0, 1000, STALL_SUSPENDED },
		{ "judge-clock-going-back-clean", -5000, 0, 0, 0, 0, 1000, STALL_CLEAN },
		{ "judge-late-at-limit-clean", 0, EVIDENCE_LATE_MS, 0, 0, 0, 1000, STALL_CLEAN },
		{ "judge-late-past-limit", 0, EVIDENCE_LATE_MS + 1, 0, 0, 0, 1000, STALL_AUTOSSH_LATE },
		{ "judge-ssh-stopped", 0, 0, 1, 0, 0, 1000, STALL_SSH_STOPPED },
		{ "judge-starved-at-share-clean", 0, 0, 0, 250000000LL, 0, 1000, STALL_CLEAN },
		{ "judge-starved-past-share", 0, 0, 0, 250000001LL, 0, 1000, STALL_SSH_STARVED },
		{ "judge-starved-share-of-window", 0, 0, 0, 500000001LL, 0, 2000, STALL_SSH_STARVED },
		{ "judge-starved-share-of-window-clean", 0, 0, 0, 500000000LL, 0, 2000, STALL_CLEAN },
		{ "judge-empty-window-not-starved", 0, 0, 0, 1000000LL, 0, 0, STALL_CLEAN },
		{ "judge-busy-at-limit-clean", 0, 0, 0, 0, 240 + BUSY_IO_BYTES, 1000, STALL_CLEAN },
		{ "judge-busy-past-limit", 0, 0, 0, 0, 240 + BUSY_IO_BYTES + 1, 1000, STALL_SSH_BUSY },
		{ "judge-first-row-wins-suspend", SUSPEND_JUMP_MS + 1, 5000, 1, 900000000LL, 1000000, 1000,
		  STALL_SUSPENDED },
		{ "judge-first-row-wins-late", 0, 5000, 1, 900000000LL, 1000000, 1000, STALL_AUTOSSH_LATE },
		{ "judge-first-row-wins-stopped", 0, 0, 1, 900000000LL, 1000000, 1000, STALL_SSH_STOPPED },
		{ "judge-first-row-wins-starved", 0, 0, 0, 900000000LL, 1000000, 1000, STALL_SSH_STARVED },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct window_evidence w = quiet_window();
		w.suspend_jump_ms = cases[c].suspend_ms;
		w.late_ms = cases[c].late_ms;
		w.ssh_stopped = cases[c].stopped;
		w.ssh_wait_ns = cases[c].wait_ns;
		w.ssh_io_bytes = cases[c].io_bytes;
		w.window_ms = cases[c].window_ms;
		enum stall_verdict got = judge_window(&w);
		resultf(cases[c].name, got == cases[c].want, "got %s, want %s", stall_verdict_name(got),
			stall_verdict_name(cases[c].want));
	}
	resultf("evidence-constants", EVIDENCE_LATE_MS == 100 && SUSPEND_JUMP_MS == 500 && STARVED_PERCENT == 25 &&
					     BUSY_IO_BYTES == 65536 && EVIDENCE_SAMPLE_MS == 250,
		"constants changed: %d %d %d %d %d", EVIDENCE_LATE_MS, SUSPEND_JUMP_MS, STARVED_PERCENT,
		BUSY_IO_BYTES, EVIDENCE_SAMPLE_MS);
}

/* Two clock readings: did the host sleep, and what happens to a probe in flight? */
static void test_wake_action(void)
{
	static const struct {
		const char *name;
		struct clocks before, after;
		int in_flight;
		enum wake_action want;
	} cases[] = {
		{ "wake-first-reading", { 0, 0 }, { 5000, 9000 }, 1, WAKE_NOTHING },
		{ "wake-awake", { 1000, 1500 }, { 9000, 9500 }, 1, WAKE_NOTHING },
		{ "wake-jump-at-limit", { 1000, 1500 }, { 2000, 2000 + 500 + SUSPEND_JUMP_MS }, 1, WAKE_NOTHING },
		{ "wake-jump-past-limit-probe", { 1000, 1500 }, { 2000, 2001 + 500 + SUSPEND_JUMP_MS }, 1,
		  WAKE_RESTART_PROBE },
		{ "wake-jump-past-limit-idle", { 1000, 1500 }, { 2000, 2001 + 500 + SUSPEND_JUMP_MS }, 0,
		  WAKE_FORGET_RTTS },
		{ "wake-night-asleep-probe", { 1000, 1000 }, { 1200, 8 * 3600 * 1000LL }, 1, WAKE_RESTART_PROBE },
		{ "wake-no-boottime", { 1000, 1000 }, { 90000, 90000 }, 1, WAKE_NOTHING },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		enum wake_action got = wake_action_between(&cases[c].before, &cases[c].after, cases[c].in_flight);
		resultf(cases[c].name, got == cases[c].want, "got %d, want %d", (int)got, (int)cases[c].want);
	}
}

static void test_proc_parsers(void)
{
	static const struct {
		const char *name, *text;
		char want;
	} states[] = {
		{ "stat-running", "4711 (ssh) R 1 4711 4711 0 -1", 'R' },
		{ "stat-stopped", "4711 (ssh) T 1 4711", 'T' },
		{ "stat-traced", "4711 (ssh) t 1 4711", 't' },
		{ "stat-paren-in-name", "4711 (a) S (b) D 1 2", 'D' },
		{ "stat-cut", "4711 (ssh)", 0 },
		{ "stat-empty", "", 0 },
	};
	for (size_t c = 0; c < sizeof states / sizeof states[0]; c++) {
		char got = parse_stat_state(states[c].text);
		resultf(states[c].name, got == states[c].want, "got '%c', want '%c'", got ? got : '0',
			states[c].want ? states[c].want : '0');
	}
	resultf("stopped-T-and-t", is_stopped('T') && is_stopped('t') && !is_stopped('S') && !is_stopped(0),
		"is_stopped wrong");
	long long wait = parse_schedstat_wait("123456 7890123 42\n");
	resultf("schedstat-wait", wait == 7890123LL, "got %lld", wait);
	wait = parse_schedstat_wait("garbage\n");
	resultf("schedstat-garbage", wait == -1, "got %lld", wait);
	wait = parse_schedstat_wait("123456\n");
	resultf("schedstat-one-field", wait == -1, "got %lld", wait);
	long long io = parse_io_bytes("rchar: 1000\nwchar: 234\nsyscr: 5\nsyscw: 6\nread_bytes: 0\n");
	resultf("io-rchar-plus-wchar", io == 1234, "got %lld", io);
	io = parse_io_bytes("syscr: 5\n");
	resultf("io-unknown", io == -1, "got %lld", io);
	resultf("counter-growth", counter_growth(10, 25) == 15 && counter_growth(-1, 25) == -1 &&
					  counter_growth(30, 25) == -1,
		"counter_growth wrong");
}

/* The probe's deadlines: connect and loop within one timeout, the reply within one more. */
static void test_probe_deadlines(void)
{
	struct config cfg;
	struct probe p;

	memset(&cfg, 0, sizeof cfg);
	cfg.monitor_addr = "127.0.0.1";
	cfg.net_timeout_ms = 5000;
	memset(&p, 0, sizeof p);
	p.conn_fd = p.reply_fd = -1;
	p.phase = PROBE_CONNECTING;
	p.attempt = 1;
	p.attempt_started_at = 10000;
	p.timeout_ms = 5000;
	probe_set_deadline(&p);
	probe_connected(&cfg, &p, 14000);
	resultf("deadline-loop-connect-and-accept-share-T", p.phase == PROBE_ACCEPTING && p.deadline == 15000,
		"phase %d, deadline %lld, want accepting by 15000", (int)p.phase, p.deadline);
	resultf("deadline-reply-within-T-of-write",
		probe_phase_deadline(PROBE_READING, 10000, 14900, 5000) == 19900 &&
			probe_phase_deadline(PROBE_CONNECTING, 10000, 0, 5000) == 15000,
		"probe_phase_deadline wrong");

	p.timeout_ms = 1000;
	p.phase = PROBE_ACCEPTING;
	probe_set_deadline(&p);
	resultf("soft-window-first-attempt", probe_window_is_soft(&cfg, &p) && p.deadline == 11000,
		"soft %d, deadline %lld", probe_window_is_soft(&cfg, &p), p.deadline);
	probe_extend(&cfg, &p);
	resultf("soft-window-extended-to-T-from-attempt-start",
		!probe_window_is_soft(&cfg, &p) && p.deadline == 15000 && p.timeout_ms == 5000 && p.extended,
		"soft %d, deadline %lld, timeout %ld", probe_window_is_soft(&cfg, &p), p.deadline, p.timeout_ms);
	p.attempt = 2;
	p.timeout_ms = 1000;
	resultf("soft-window-not-on-attempt-2", !probe_window_is_soft(&cfg, &p), "attempt 2 soft");
	p.attempt = 1;
	p.timeout_ms = 5000;
	resultf("soft-window-not-at-T", !probe_window_is_soft(&cfg, &p), "timeout T soft");
}

/* Loop mode, waiting for the looped connection: ssh closing ours ends the attempt. */
static void test_probe_own_connection(void)
{
	struct config cfg;
	struct probe p;
	int sv[2];

	memset(&cfg, 0, sizeof cfg);
	cfg.monitor_addr = "127.0.0.1";
	cfg.net_timeout_ms = 5000;
	memset(&p, 0, sizeof p);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		result("accepting-open-connection-waits", "socketpair failed");
		return;
	}
	set_nonblocking(sv[0]);
	p.conn_fd = sv[0];
	p.reply_fd = -1;
	p.phase = PROBE_ACCEPTING;
	p.attempt = 2;  /* a failed attempt 2 ends the probe without a new connection */
	enum probe_result r = probe_advance(&cfg, &p, -1, POLLIN, 0, 0, 1000);
	resultf("accepting-open-connection-waits", r == PROBE_PENDING && p.phase == PROBE_ACCEPTING,
		"result %d, phase %d", (int)r, (int)p.phase);
	close(sv[1]);
	r = probe_advance(&cfg, &p, -1, POLLIN, 0, 0, 1000);
	resultf("accepting-closed-connection-fails-at-once", r == PROBE_FAILED && p.phase == PROBE_IDLE,
		"result %d, phase %d", (int)r, (int)p.phase);
	probe_close(&p);
}

/* A pass that waited out a local stall teaches the window nothing. */
static void test_probe_rtt_learning(void)
{
	struct config cfg;
	struct probe p;

	memset(&cfg, 0, sizeof cfg);
	cfg.monitor_addr = "127.0.0.1";
	cfg.net_timeout_ms = 5000;
	for (int extended = 0; extended <= 1; extended++) {
		int fds[2];
		memset(&p, 0, sizeof p);
		if (pipe(fds) != 0) {
			result("rtt-learning", "pipe failed");
			return;
		}
		p.conn_fd = -1;
		p.reply_fd = fds[0];
		p.phase = PROBE_READING;
		p.attempt = 1;
		p.extended = extended;
		p.wrote_at = 1000;
		p.message_len = (size_t)snprintf(p.message, sizeof p.message, "node autossh 1 2 \r\n");
		(void)!write(fds[1], p.message, p.message_len);
		close(fds[1]);
		enum probe_result r = probe_read_reply(&cfg, &p, 3500);
		int want_n = extended ? 0 : 1;
		resultf(extended ? "rtt-not-learnt-from-extended-window" : "rtt-learnt-from-clean-pass",
			r == PROBE_PASSED && p.n_rtts == want_n && p.rtt_ms == 2500,
			"result %d, %d round trips kept, rtt %ld", (int)r, p.n_rtts, p.rtt_ms);
	}
	p.n_rtts = 3;
	p.next_rtt = 3;
	probe_forget_rtts(&p);
	resultf("rtt-forget", p.n_rtts == 0 && adaptive_timeout_ms(5000, p.rtts, p.n_rtts) == 5000,
		"%d round trips kept", p.n_rtts);
}

static void test_parse_number(void)
{
	static const struct {
		const char *text;
		long min, max;
		int ok;
		long want;
	} cases[] = {
		{ "0", 0, 10, 1, 0 },
		{ "10", 0, 10, 1, 10 },
		{ "11", 0, 10, 0, 0 },
		{ "00", 0, 10, 1, 0 },
		{ "0x10", 0, 100, 1, 16 },
		{ "0X1f", 0, 100, 1, 31 },
		{ "0x0", 0, 100, 1, 0 },
		{ "010", 0, 100, 1, 8 },
		{ "020000", 0, 65534, 1, 8192 },
		{ "08", 0, 100, 0, 0 },
		{ "0x", 0, 100, 0, 0 },
		{ "0xg", 0, 100, 0, 0 },
		{ "", 0, 100, 0, 0 },
		{ " 1", 0, 100, 0, 0 },
		{ "\t1", 0, 100, 0, 0 },
		{ "1 ", 0, 100, 0, 0 },
		{ "1\n", 0, 100, 0, 0 },
		{ "+1", 0, 100, 0, 0 },
		{ "-1", 0, 100, 0, 0 },
		{ "-0", 0, 100, 0, 0 },
		{ "-1", -1, 100, 1, -1 },
		{ "-2", -1, 100, 0, 0 },
		{ "--1", -1, 100, 0, 0 },
		{ "-", -1, 100, 0, 0 },
		{ "- 1", -1, 100, 0, 0 },
		{ "+1", -1, 100, 0, 0 },
		{ "1k", 0, 100, 0, 0 },
		{ "1.5", 0, 100, 0, 0 },
		{ "1e3", 0, 10000, 0, 0 },
		{ "2147483647", 0, 2147483647, 1, 2147483647 },
		{ "0x7fffffff", 0, 2147483647, 1, 2147483647 },
		{ "017777777777", 0, 2147483647, 1, 2147483647 },
		{ "2147483648", 0, 2147483647, 0, 0 },
		{ "4294967296", 0, 2147483647, 0, 0 },
		{ "18446744073709551615", 0, 2147483647, 0, 0 },
		{ "18446744073709551616", 0, 2147483647, 0, 0 },
		{ "99999999999999999999999999", 0, 2147483647, 0, 0 },
		{ "-2147483648", -1, 2147483647, 0, 0 },
		{ "-2147483648", -2147483647L - 1, 2147483647, 1, -2147483647L - 1 },
		{ "-0x80000000", -2147483647L - 1, 2147483647, 1, -2147483647L - 1 },
		{ "-2147483647", -2147483647L - 1, 2147483647, 1, -2147483647L },
		{ "-2147483649", -2147483647L - 1, 2147483647, 0, 0 },
		{ "-4294967295", -2147483647L - 1, 2147483647, 0, 0 },
		{ "-0", -1, 100, 1, 0 },
	};
	char why[1024] = "";
	size_t used = 0;

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		long out = -12345;
		int ok = parse_number(cases[c].text, cases[c].min, cases[c].max, &out) == 0;
		if (ok != cases[c].ok || (ok && out != cases[c].want))
			used += (size_t)snprintf(why + used, sizeof why - used, " \"%s\" in %ld..%ld: %s %ld;",
						 cases[c].text, cases[c].min, cases[c].max, ok ? "accepted" : "rejected",
						 out);
	}
	resultf("parse-number-edges", used == 0, "%s", why);
}


/* ------------------------------------------------------------------- the loop */

/*
 * The event loop's pieces are driven directly: a struct state, a fake
 * monotonic "now" and, where a process is needed, a child of this test.
 * Logging is off (threshold below every level).
 */

static int refused_port;        /* bound, never listening: connects are refused */
static int refused_fd = -1;

static int setup_refused_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	refused_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (refused_fd < 0 || bind(refused_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(refused_fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	refused_port = ntohs(a.sin_port);
	return 0;
}

static char *true_argv[] = { "true", NULL };

static void loop_config(struct config *cfg)
{
	config_defaults(cfg, "autossh");
	cfg->monitor_port = refused_port;
	cfg->port_given = 1;
	cfg->poll = cfg->first_poll = 600;
	cfg->net_timeout_ms = 15000;
	cfg->gatetime = 0;
	cfg->ssh_exec = TRUE_PATH;
	cfg->ssh_argv = true_argv;
	cfg->ssh_envp = environ;
	logger.threshold = -1;
}

static void loop_state(struct state *st, const struct config *cfg)
{
	memset(st, 0, sizeof *st);
	st->cfg = cfg;
	st->mon.listener = st->self_pipe = st->ssh.stderr_fd = st->report.ready_fd = -1;
	st->mon.probe.conn_fd = st->mon.probe.reply_fd = -1;
	st->report.pidline = "1\n";
	strcpy(st->restart.last_exit, "none");
}

/*
 * End a forked child with status through exec: under valgrind a child that
 * merely exits is checked for the parent's leaks and may get another status.
 */
static void child_exit(int status)
{
	char text[16];
	snprintf(text, sizeof text, "%d", status);
	execl("/bin/sh", "sh", "-c", "exit \"$0\"", text, (char *)NULL);
	_exit(status);
}

/* A child that exits with status, left unreaped (a zombie) for the loop to find. */
static pid_t zombie_child(int status)
{
	siginfo_t info;
	pid_t pid = fork();

	if (pid == 0)
		child_exit(status);
	if (pid > 0)
		waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
	return pid;
}

/* A child that ignores SIGTERM (blocked) until killed. */
static pid_t term_proof_child(void)
{
	sigset_t term;
	pid_t pid;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	pid = fork();
	if (pid == 0)
		for (;;)
			pause();
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	return pid;
}

/* Wait (bounded) for a child of ours; its wait status, or -1. */
static int reap_within(pid_t pid, int ms)
{
	int status;
	for (int i = 0; i < ms; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		struct timespec ms1 = { 0, 1000000 };
		nanosleep(&ms1, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Wake the loop up with these signal bytes in the self-pipe (and nothing else ready). */
static int wake_with_signals(struct state *st, const unsigned char *sigs, size_t n, long long now)
{
	struct pollfd fds[N_FDS];
	int pipe_fds[2];

	if (pipe(pipe_fds) != 0)
		return -1;
	set_nonblocking(pipe_fds[0]);
	(void)!write(pipe_fds[1], sigs, n);
	for (int i = 0; i < N_FDS; i++) {
		fds[i].fd = -1;
		fds[i].events = POLLIN;
		fds[i].revents = 0;
	}
	st->self_pipe = fds[FD_SELF].fd = pipe_fds[0];
	fds[FD_SELF].revents = n > 0 ? POLLIN : 0;
	handle_wakeup(st, fds, now);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	st->self_pipe = -1;
	return 0;
}

/* USR1 and an ssh exit with status 0 in one wake-up: the exit is judged, autossh exits 0. */
static void test_usr1_with_exit0(void)
{
	static const unsigned char sigs[][2] = { { SIGUSR1, SIGCHLD }, { SIGCHLD, SIGUSR1 } };
	struct config cfg;
	struct state st;

	loop_config(&cfg);
	for (int order = 0; order < 2; order++) {
		char name[64];
		loop_state(&st, &cfg);
		st.phase = PHASE_RUNNING;
		st.restart.starts = 1;
		st.ssh.proven = 1;
		st.ssh.pid = zombie_child(0);
		wake_with_signals(&st, sigs[order], 2, 100000);
		snprintf(name, sizeof name, "loop-usr1-and-exit-0-%s", order ? "chld-first" : "usr1-first");
		resultf(name, st.phase == PHASE_DONE && st.exit_status == 0 && st.restart.starts == 1,
			"phase %d, exit status %d, starts %d (want done, 0, 1)", (int)st.phase, st.exit_status, st.restart.starts);
		if (st.ssh.pid > 0 && st.ssh.pid != 0)
			reap_within(st.ssh.pid, 2000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/* A regular probe times out in the wake-up where ssh has exited, SIGCHLD not yet read. */
static void test_reap_before_verdict(void)
{
	struct config cfg;
	struct state st;

	loop_config(&cfg);
	loop_state(&st, &cfg);
	st.phase = PHASE_RUNNING;
	st.restart.starts = 1;
	st.ssh.proven = 1;
	st.ssh.pid = zombie_child(0);
	st.mon.probe.phase = PROBE_ACCEPTING;
	st.mon.probe.deadline = 99999;
	wake_with_signals(&st, NULL, 0, 100000);
	resultf("loop-reaps-before-probe-verdict", st.phase == PHASE_DONE && st.exit_status == 0,
		"phase %d, exit status %d (want done, 0: judged as ssh exiting 0, not 'port down')", (int)st.phase,
		st.exit_status);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* After a MAXLIFETIME stop, an exit signal sends SIGKILL at once. */
static void test_lifetime_then_term(void)
{
	static const unsigned char term[] = { SIGTERM };
	struct config cfg;
	struct state st;
	long long now = 100000;

	loop_config(&cfg);
	loop_state(&st, &cfg);
	st.phase = PHASE_RUNNING;
	st.restart.starts = 1;
	st.ssh.pid = term_proof_child();
	st.restart.lifetime_deadline = now - 1;
	fire_deadlines(&st, now);
	int stopping = st.phase == PHASE_STOPPING;
	wake_with_signals(&st, term, 1, now + 10);
	int status = reap_within(st.ssh.pid, 2000);
	resultf("loop-lifetime-stop-then-term-kills-at-once",
		stopping && st.ssh.kill_at == 0 && status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		"stopping after lifetime %d, kill_at %lld, ssh status %#x (want SIGKILL at once)", stopping,
		st.ssh.kill_at, (unsigned)status);
}

/*
 * The invariant behind "no spinning": once the deadlines due at now have
 * fired, the next poll() timeout is not 0 (no descriptor is ready here).
 */
struct deadline_case {
	int phase, proven, probe_phase, early;
	long long probe_deadline, next_early, next_probe, connect, proven_at, lifetime, kill_at, backoff;
};

static int run_deadline_case(const struct config *cfg, const struct deadline_case *c, long long now, char *why,
			     size_t len)
{
	struct state st;

	loop_state(&st, cfg);
	st.phase = (enum ssh_phase)c->phase;
	st.ssh.after_stop = AFTER_RESTART_BACKOFF;
	st.restart.starts = 1;
	st.ssh.proven = c->proven;
	st.mon.probe.phase = (enum probe_phase)c->probe_phase;
	st.mon.probe.early = c->early;
	st.mon.probe.deadline = c->probe_deadline;
	st.mon.next_early_at = c->next_early;
	st.mon.next_probe_at = c->next_probe;
	st.mon.connect_deadline = c->connect;
	st.mon.proven_at = c->proven_at;
	st.restart.lifetime_deadline = c->lifetime;
	st.ssh.kill_at = c->kill_at;
	st.restart.backoff_until = c->backoff;
	fire_deadlines(&st, now);
	int timeout = st.phase == PHASE_DONE ? -1 : poll_timeout(&st, now);
	probe_close(&st.mon.probe);
	if (timeout != 0)
		return 0;
	snprintf(why, len, "phase %d proven %d probe %d early %d: deadlines %lld %lld %lld %lld %lld %lld %lld %lld",
		 c->phase, c->proven, c->probe_phase, c->early, c->probe_deadline, c->next_early, c->next_probe,
		 c->connect, c->proven_at, c->lifetime, c->kill_at, c->backoff);
	return 1;
}

static void test_no_deadline_left_past(void)
{
	const long long now = 1000000, past = now - 5, future = now + 700;
	const long long times[] = { 0, past, future };
	struct config cfg;
	struct deadline_case c;
	char why[512] = "";
	int cases = 0, bad = 0;

	loop_config(&cfg);
	cfg.maxstart = 0;  /* a start due ends the run instead of spawning */
	cfg.connect_timeout = 5;
	for (int phase = PHASE_RUNNING; phase <= PHASE_BACKOFF; phase++)
		for (int bits = 0; bits < 2 * 4 * 2 * 2; bits++)
			for (int t = 0; t < 3 * 3 * 3 * 3; t++) {
				memset(&c, 0, sizeof c);
				c.phase = phase;
				c.proven = bits & 1;
				c.probe_phase = (bits >> 1) & 3;
				c.early = (bits >> 3) & 1;
				c.probe_deadline = (bits >> 4) & 1 ? past : future;
				c.next_early = times[t % 3];
				c.next_probe = times[t / 3 % 3];
				c.connect = c.proven_at = times[t / 9 % 3];
				c.lifetime = times[t / 27 % 3] == past ? past : 0;
				c.kill_at = c.backoff = times[t / 27 % 3];
				cases++;
				if (run_deadline_case(&cfg, &c, now, bad ? why + strlen(why) : why,
						      bad ? 0 : sizeof why))
					bad++;
			}
	resultf("loop-no-deadline-left-past", bad == 0, "%d of %d cases poll with timeout 0; first: %s", bad, cases,
		why);
}

/* fork() happens with every signal blocked, and the parent's mask comes back unchanged. */
static void test_fork_blocks_signals(void)
{
	static const int watched[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE };
	sigset_t before, after;
	int status = -1;

	sigprocmask(SIG_SETMASK, NULL, &before);
	pid_t pid = fork_signals_blocked();
	if (pid == 0) {
		sigset_t now;
		sigprocmask(SIG_SETMASK, NULL, &now);
		for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
			if (!sigismember(&now, watched[i]))
				child_exit(10 + (int)i);
		child_exit(0);
	}
	sigprocmask(SIG_SETMASK, NULL, &after);
	if (pid > 0)
		status = reap_within(pid, 5000);
	int same = 1;
	for (int sig = 1; sig < 32; sig++)
		if (sigismember(&before, sig) != sigismember(&after, sig))
			same = 0;
	resultf("child-forked-with-signals-blocked", pid > 0 && status == 0 && same,
		"fork %ld, child status %#x (10+i: watched[i] not blocked), parent mask unchanged %d", (long)pid,
		(unsigned)status, same);
}

/* ------------------------------------------------------------------- --check */

static struct status_snapshot check_snapshot(const char *state, const char *monitor, long long poll,
					     long long first_poll, long long net_timeout_ms)
{
	struct status_snapshot snap;
	snapshot_init(&snap);
	snprintf(snap.state, sizeof snap.state, "%s", state);
	snprintf(snap.monitor, sizeof snap.monitor, "%s", monitor);
	snap.pid = snap.pid_start = 1;
	snap.last_probe_ok = 1;
	snap.poll = poll;
	snap.first_poll = first_poll;
	snap.net_timeout_ms = net_timeout_ms;
	return snap;
}

static void test_check_limits(void)
{
	struct status_snapshot huge = check_snapshot("connected", "20000", LLONG_MAX, LLONG_MAX, LLONG_MAX);
	struct status_snapshot normal = check_snapshot("connected", "20000", 600, 30, 15000);
	struct status_snapshot negative = check_snapshot("connected", "20000", -1, -1, -1);
	long long limit = probe_age_limit(&huge);

	resultf("check-limit-normal", probe_age_limit(&normal) == 1260, "got %lld, want 1260",
		probe_age_limit(&normal));
	resultf("check-limit-huge-values-clamped", limit == 2 * 2147483647LL + 14400, "got %lld, want %lld", limit,
		2 * 2147483647LL + 14400);
	resultf("check-limit-negative-values", probe_age_limit(&negative) == 0, "got %lld",
		probe_age_limit(&negative));
	resultf("check-pid-range", status_pid_alive(getpid()) && !status_pid_alive(0) && !status_pid_alive(-1) &&
					   !status_pid_alive(4294967295LL) && !status_pid_alive(LLONG_MAX),
		"a pid outside 1..INT_MAX must not name a process");
}

/* judge_status: the one rule of --check and --list (autossh(1) DESCRIPTION). */
static void test_judge_status(void)
{
	static const struct {
		const char *name, *state, *monitor, *reason;
		long long pid_start, probe_age;
		int alive;
		long long start;
		enum health want;
		const char *why;
	} cases[] = {
		{ "judge-connected-m0", "connected", "0", "", 500, 0, 1, 500, HEALTH_OK, "connected" },
		{ "judge-pid-gone", "connected", "0", "", 500, 0, 0, -1, HEALTH_DEAD, "autossh (pid 42) is not running" },
		{ "judge-pid-reused", "connected", "0", "", 500, 0, 1, 777, HEALTH_DEAD,
		  "autossh (pid 42) is not running (its pid now names another process)" },
		{ "judge-start-unknown-trusts-pid", "connected", "0", "", 500, 0, 1, -1, HEALTH_OK, "connected" },
		{ "judge-no-pid-start-in-file", "connected", "0", "", -1, 0, 1, 777, HEALTH_OK, "connected" },
		{ "judge-backoff-with-reason", "backoff", "0", "network: Connection refused", 500, 0, 1, 500,
		  HEALTH_UNHEALTHY, "state is backoff: network error (network: Connection refused)" },
		{ "judge-starting", "starting", "0", "", 500, 0, 1, 500, HEALTH_UNHEALTHY, "state is starting" },
		{ "judge-no-state", "", "0", "", 500, 0, 1, 500, HEALTH_UNHEALTHY, "state is unknown" },
		{ "judge-probe-fresh", "connected", "20000", "", 500, 5, 1, 500, HEALTH_OK,
		  "connected, last good probe 5 s ago" },
		{ "judge-probe-stale", "connected", "20000", "", 500, 1261, 1, 500, HEALTH_UNHEALTHY,
		  "last good probe 1261 s ago (limit 1260 s)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct status_snapshot snap = check_snapshot(cases[i].state, cases[i].monitor, 600, 30, 15000);
		char why[512];
		snap.pid = 42;
		snap.pid_start = cases[i].pid_start;
		snap.last_probe_ok = 1000000;
		snprintf(snap.reason, sizeof snap.reason, "%s", cases[i].reason);
		enum health got = judge_status(&snap, cases[i].alive, cases[i].start, 1000000 + cases[i].probe_age, why,
					       sizeof why);
		resultf(cases[i].name, got == cases[i].want && strcmp(why, cases[i].why) == 0, "got %d \"%s\"",
			(int)got, why);
	}
	resultf("judge-own-start-time", process_start_time((long)getpid()) > 0 &&
						process_start_time((long)getpid()) == process_start_time((long)getpid()),
		"got %lld", process_start_time((long)getpid()));
}

/* The fleet's pure helpers: names, allocated ports, causes (autossh(1) FILES). */
static void test_fleet_helpers(void)
{
	static const char *const names[][2] = {
		{ "/run/autossh/db/status", "db" }, { "/tmp/web.status", "web" }, { "status", "status" },
		{ "/x/y.status.bak", "y.status.bak" }, { "rel/ssh/status", "ssh" },
	};
	char buf[256];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		name_from_status_path(names[i][0], buf, sizeof buf);
		resultf("fleet-name-from-path", strcmp(buf, names[i][1]) == 0, "%s: got %s, want %s", names[i][0], buf,
			names[i][1]);
	}
	resultf("fleet-allocated-port",
		parse_allocated_port("Allocated port 41234 for remote forward to localhost:22", buf, sizeof buf) &&
			strcmp(buf, "41234:localhost:22") == 0,
		"got %s", buf);
	resultf("fleet-allocated-port-other-lines",
		!parse_allocated_port("Allocated port x for remote forward to a:1", buf, sizeof buf) &&
			!parse_allocated_port("Warning: Permanently added", buf, sizeof buf) &&
			!parse_allocated_port("Allocated port 70000 for remote forward to a:1", buf, sizeof buf),
		"accepted a line that is not ssh's report");
	static const char *const shown[][3] = {
		{ "-L 80:a:80 -R 0:localhost:22", "41234:localhost:22", "-L 80:a:80 -R 41234:localhost:22" },
		{ "-R 127.0.0.1:0:h:7", "5555:h:7", "-R 127.0.0.1:5555:h:7" },
		{ "-R 10:h:7", "5555:h:7", "-R 10:h:7 -R 5555:h:7" },
		{ "-R 0:a:1 -R 0:a:1", "7:a:1 8:a:1", "-R 7:a:1 -R 8:a:1" },
		{ "-L 0:a:1", "", "-L 0:a:1" },
		{ "", "", "" },
	};
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		forwards_with_ports(shown[i][0], shown[i][1], buf, sizeof buf);
		resultf("fleet-forwards-with-ports", strcmp(buf, shown[i][2]) == 0, "%s + %s: got \"%s\", want \"%s\"",
			shown[i][0], shown[i][1], buf, shown[i][2]);
	}
	resultf("fleet-reason-cause",
		reason_cause("") == CAUSE_NONE && reason_cause("auth: Permission denied") == CAUSE_AUTH &&
			reason_cause("auth: u@h: Permission denied (publickey).") == CAUSE_AUTH &&
			reason_cause("remote-forward: x") == CAUSE_REMOTE_FORWARD && reason_cause("new: x") == CAUSE_UNKNOWN &&
			reason_cause("whatever") == CAUSE_UNKNOWN,
		"a reason mapped to the wrong cause");
	format_duration(3725, buf, sizeof buf);
	resultf("fleet-duration", strcmp(buf, "1h02m") == 0, "got %s", buf);
	format_duration(200 * 86400LL + 5, buf, sizeof buf);
	resultf("fleet-duration-long", strcmp(buf, "200d") == 0, "got %s", buf);
}

/* ------------------------------------------------------------------- temporary names */

static void test_temp_names(void)
{
	char path[128], *a = NULL, *b = NULL;
	struct stat st;
	mode_t mask = umask(022);

	snprintf(path, sizeof path, "%s/t.pid", tmpdir);
	int fa = create_temp_beside(path, &a);
	int fb = create_temp_beside(path, &b);
	int ok = fa >= 0 && fb >= 0 && strcmp(a, b) != 0 && strncmp(a, path, strlen(path)) == 0 &&
		 strlen(a) == strlen(path) + 13 && fstat(fa, &st) == 0 && (st.st_mode & 0777) == 0644 &&
		 (fcntl(fa, F_GETFD) & FD_CLOEXEC);
	resultf("temp-names-random-exclusive-0644", ok, "names %s %s", a ? a : "-", b ? b : "-");
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (a)
		unlink(a);
	if (b)
		unlink(b);
	free(a);
	free(b);
	umask(mask);
}

/* A file in a missing directory: the message names the directory. */
static void test_missing_directory_names(void)
{
	static const struct {
		const char *name, *path, *want;
	} cases[] = {
		{ "missing-dir-named", "/run/autossh/db/autossh.pid", "directory /run/autossh/db does not exist" },
		{ "missing-dir-root", "/autossh.pid", "directory / does not exist" },
		{ "missing-dir-relative", "run/a.pid", "directory run does not exist" },
		{ "missing-dir-none", "a.pid", "directory . does not exist" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[256];
		name_missing_directory(cases[i].path, why, sizeof why);
		resultf(cases[i].name, strcmp(why, cases[i].want) == 0, "got \"%s\"", why);
	}
}

/* ------------------------------------------------------------------- usage */

static void test_usage(void)
{
	static const char *const mentions[] = {
		"-M", "-f", "-V", "--check", "tunnel --doctor [--connect] [SSH_OPTIONS] destination", "AUTOSSH_PATH", "AUTOSSH_DEBUG", "AUTOSSH_LOGLEVEL", "AUTOSSH_POLL",
		"AUTOSSH_FIRST_POLL", "AUTOSSH_GATETIME", "AUTOSSH_MAXSTART", "AUTOSSH_MESSAGE", "AUTOSSH_PORT",
		"AUTOSSH_MAXLIFETIME", "AUTOSSH_PIDFILE", "AUTOSSH_NTSERVICE", "AUTOSSH_LOGFILE",
		"AUTOSSH_MONITOR_ADDR", "AUTOSSH_NET_TIMEOUT", "AUTOSSH_STATUSFILE", "AUTOSSH_JITTER",
		"AUTOSSH_CONNECT_TIMEOUT", "AUTOSSH_NETWATCH", "AUTOSSH_TCP_EVIDENCE", "AUTOSSH_NAME",
		"AUTOSSH_ONCHANGE", "--list",
	};
	char text[8192], missing[512] = "";
	size_t n, used = 0;
	FILE *f = tmpfile();

	if (f == NULL) {
		result("usage-first-line", "tmpfile failed");
		return;
	}
	print_usage(f, "tunnel");
	rewind(f);
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *first = "usage: tunnel [-V] [-M monitor_port[:echo_port]] [-f] [SSH_OPTIONS]\n";
	resultf("usage-first-line", strncmp(text, first, strlen(first)) == 0, "got \"%.80s\"", text);
	for (size_t i = 0; i < sizeof mentions / sizeof mentions[0]; i++)
		if (strstr(text, mentions[i]) == NULL)
			used += (size_t)snprintf(missing + used, sizeof missing - used, " %s", mentions[i]);
	resultf("usage-lists-flags-and-variables", used == 0, "missing%s", missing);
}

/* ------------------------------------------------- netwatch: ssh's connection */

/* An IPv4 address as /proc/net/tcp prints it on this machine (host-order words). */
static void proc_hex4(const char *dotted, char *out)
{
	uint32_t v;
	inet_pton(AF_INET, dotted, &v);
	sprintf(out, "%08X", v);
}

static void test_proc_tcp_line(void)
{
	char line[512], local[16], remote[16];
	struct tcp_socket s;
	unsigned char want[16];

	proc_hex4("10.231.5.1", local);
	proc_hex4("10.231.5.2", remote);
	snprintf(line, sizeof line,
		 "   3: %s:B3E4 %s:0016 01 00000000:00000000 02:000A3F5E 00000000     0        0 129707 2 "
		 "0000000000000000 20 4 30 10 -1\n", local, remote);
	int r = parse_proc_tcp_line(line, &s);
	inet_pton(AF_INET, "10.231.5.1", want);
	resultf("proc-tcp-v4-established",
		r == 0 && s.family == AF_INET && memcmp(s.local, want, 4) == 0 && s.local_port == 0xB3E4 &&
			s.remote_port == 22 && s.state == TCPS_ESTABLISHED && s.inode == 129707,
		"r=%d family=%d lport=%d rport=%d state=%d inode=%lu", r, s.family, s.local_port, s.remote_port,
		s.state, s.inode);
	inet_pton(AF_INET, "10.231.5.2", want);
	resultf("proc-tcp-v4-remote", r == 0 && memcmp(s.remote, want, 4) == 0, "remote address differs");

	/* ::1 is the words 0 0 0 htonl(1) */
	uint32_t one = htonl(1);
	snprintf(line, sizeof line,
		 "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A "
		 "00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n");
	r = parse_proc_tcp_line(line, &s);
	resultf("proc-tcp-v6-listen", r == 0 && s.family == AF_INET6 && s.state == TCPS_LISTEN && s.local_port == 8080 &&
					      s.inode == 4242, "r=%d family=%d state=%d", r, s.family, s.state);
	snprintf(line, sizeof line, "   1: 000000000000000000000000%08X:0016 000000000000000000000000%08X:D431 01 "
				    "00000000:00000000 00:00000000 00000000 0 0 77 1\n", one, one);
	r = parse_proc_tcp_line(line, &s);
	inet_pton(AF_INET6, "::1", want);
	resultf("proc-tcp-v6-loopback", r == 0 && memcmp(s.local, want, 16) == 0 && s.remote_port == 0xD431,
		"r=%d", r);
	static const char *const bad[] = {
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
		"", "   0: 0100007F:0016 0100007F\n", "   0: 0100007F:0016 000000000000000000000000000000001:0016 01 0 0 0 0 0 9\n",
		"   0: 0100007:0016 0100007F:0016 01 0 0 0 0 0 9\n", "   0: 0100007F:10000 0100007F:0016 01 0 0 0 0 0 9\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "proc-tcp-rejects-%zu", i);
		resultf(name, parse_proc_tcp_line(bad[i], &s) == -1, "accepted \"%s\"", bad[i]);
	}
}

static struct tcp_socket sock(int state, int lport, int rport, int fd, int depth)
{
	struct tcp_socket s;
	memset(&s, 0, sizeof s);
	s.family = AF_INET;
	s.state = state;
	s.local_port = lport;
	s.remote_port = rport;
	s.fd = fd;
	s.depth = depth;
	s.pid = 100 + depth;
	return s;
}

static void test_choose_ssh_sockets(void)
{
	static const struct {
		const char *name;
		int n;
		struct { int state, lport, rport, fd, depth; } s[6];
		int want_fd, want_depth, want_listen;  /* want_fd -1: none */
	} cases[] = {
		{ "conn-plain", 1, { { TCPS_ESTABLISHED, 40000, 22, 3, 0 } }, 3, 0, 0 },
		{ "conn-connecting", 1, { { TCPS_SYN_SENT, 40000, 22, 3, 0 } }, 3, 0, 0 },
		{ "conn-none", 2, { { TCPS_LISTEN, 8080, 0, 4, 0 }, { 6, 40000, 22, 3, 0 } }, -1, 0, 1 },
		{ "conn-skips-accepted", 3,
		  { { TCPS_ESTABLISHED, 8080, 51000, 2, 0 }, { TCPS_LISTEN, 8080, 0, 4, 0 }, { TCPS_ESTABLISHED, 40000, 22, 3, 0 } },
		  3, 0, 1 },
		{ "conn-oldest-descriptor", 2, { { TCPS_ESTABLISHED, 41000, 80, 9, 0 }, { TCPS_ESTABLISHED, 40000, 22, 3, 0 } }, 3, 0,
		  0 },
		{ "conn-proxy-child-wins", 3,
		  { { TCPS_LISTEN, 8080, 0, 4, 0 }, { TCPS_ESTABLISHED, 41000, 80, 7, 0 }, { TCPS_ESTABLISHED, 40000, 22, 3, 1 } },
		  3, 1, 1 },
		{ "conn-proxy-nearest", 2, { { TCPS_ESTABLISHED, 40001, 22, 3, 2 }, { TCPS_ESTABLISHED, 40000, 22, 5, 1 } }, 5, 1, 0 },
		{ "listen-child-not-ssh", 2, { { TCPS_LISTEN, 9090, 0, 4, 1 }, { TCPS_ESTABLISHED, 9090, 22, 3, 1 } }, 3, 1, 0 },
		{ "listen-v4-v6-once", 3, { { TCPS_LISTEN, 8080, 0, 4, 0 }, { TCPS_LISTEN, 8080, 0, 5, 0 }, { TCPS_ESTABLISHED, 1, 22, 3, 0 } },
		  3, 0, 1 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct tcp_socket socks[6];
		struct ssh_sockets out;
		for (int i = 0; i < cases[c].n; i++)
			socks[i] = sock(cases[c].s[i].state, cases[c].s[i].lport, cases[c].s[i].rport, cases[c].s[i].fd,
					cases[c].s[i].depth);
		choose_ssh_sockets(socks, cases[c].n, 0, &out);
		int got_fd = out.conn.family ? out.conn.fd : -1;
		resultf(cases[c].name,
			got_fd == cases[c].want_fd && (got_fd < 0 || out.conn.depth == cases[c].want_depth) &&
				out.n_listen == cases[c].want_listen,
			"got fd %d depth %d, %d listeners; want fd %d depth %d, %d listeners", got_fd, out.conn.depth,
			out.n_listen, cases[c].want_fd, cases[c].want_depth, cases[c].want_listen);
	}
}

/* A proxy (child or configured): ssh's own sockets are forwarded connections (-R's outgoing one). */
static void test_choose_proxied(void)
{
	struct tcp_socket socks[2] = { sock(TCPS_ESTABLISHED, 41000, 80, 3, 0), sock(TCPS_ESTABLISHED, 40000, 22, 5, 1) };
	struct ssh_sockets out;
	choose_ssh_sockets(socks, 2, 1, &out);
	resultf("conn-proxied-never-ssh-own", out.conn.family && out.conn.fd == 5, "fd %d", out.conn.fd);
	choose_ssh_sockets(socks, 1, 1, &out);
	resultf("conn-proxied-unreadable", out.conn.family == 0 && out.proxied, "fd %d", out.conn.fd);
	choose_ssh_sockets(socks, 1, 0, &out);
	resultf("conn-unproxied-ssh-own", out.conn.family && out.conn.fd == 3, "fd %d", out.conn.fd);
}

static void test_forward_ports(void)
{
	static const struct {
		const char *name;
		const char *argv[12];
		int n;
		int ports[4];
	} cases[] = {
		{ "fwd-port-host-port", { "ssh", "-N", "-L", "8080:127.0.0.1:80", "host" }, 1, { 8080 } },
		{ "fwd-bind-port-host-port", { "ssh", "-L", "127.0.0.1:8081:db:5432", "host" }, 1, { 8081 } },
		{ "fwd-attached", { "ssh", "-L8082:db:5432", "host" }, 1, { 8082 } },
		{ "fwd-in-group", { "ssh", "-NL", "8083:db:5432", "host" }, 1, { 8083 } },
		{ "fwd-ipv6-bind", { "ssh", "-L", "[::1]:8084:[::1]:22", "host" }, 1, { 8084 } },
		{ "fwd-ipv6-target", { "ssh", "-L", "8085:[fe80::1]:22", "host" }, 1, { 8085 } },
		{ "fwd-to-socket", { "ssh", "-L", "8086:/run/db.sock", "host" }, 1, { 8086 } },
		{ "fwd-bind-to-socket", { "ssh", "-L", "localhost:8087:/run/db.sock", "host" }, 1, { 8087 } },
		{ "fwd-socket-listener", { "ssh", "-L", "/tmp/l.sock:db:5432", "host" }, 0, { 0 } },
		{ "fwd-several-R-ignored", { "ssh", "-R", "9000:x:1", "-L", "1:x:2", "-o", "-L", "-L", "2:x:3", "host" }, 2, { 1, 2 } },
		{ "fwd-after-destination-ignored", { "ssh", "host", "-L", "8088:x:1" }, 0, { 0 } },
		{ "fwd-duplicate-once", { "ssh", "-L", "5:x:1", "-L", "5:y:1", "host" }, 1, { 5 } },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int ports[MAX_FORWARDS];
		int n = local_forward_ports((char *const *)(uintptr_t)cases[c].argv, ports, MAX_FORWARDS);
		int same = n == cases[c].n;
		for (int i = 0; same && i < n; i++)
			same = ports[i] == cases[c].ports[i];
		resultf(cases[c].name, same, "got %d ports (first %d), want %d (first %d)", n, n ? ports[0] : 0, cases[c].n,
			cases[c].ports[0]);
	}
	struct ssh_sockets s;
	memset(&s, 0, sizeof s);
	s.listen_ports[0] = 8080;
	s.n_listen = 1;
	int want1[] = { 8080 }, want2[] = { 8080, 8081 };
	resultf("fwd-listening-all", forwards_listening(&s, want1, 1), "8080 listens");
	resultf("fwd-listening-missing", !forwards_listening(&s, want2, 2), "8081 does not");
	resultf("fwd-listening-none-wanted", forwards_listening(&s, NULL, 0), "nothing wanted");
}

/* ------------------------------------------------- netwatch: what matters */

static struct net_event net_ev(enum net_kind kind, int family, const char *addr, int prefix_len)
{
	struct net_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.family = family;
	ev.prefix_len = prefix_len;
	if (addr)
		inet_pton(family, addr, ev.addr);
	return ev;
}

static void test_net_event_effect(void)
{
	struct tcp_socket conn, none, mapped;
	memset(&conn, 0, sizeof conn);
	memset(&none, 0, sizeof none);
	conn.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.5", conn.local);
	inet_pton(AF_INET, "192.0.2.7", conn.remote);
	mapped = conn;
	mapped.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.5", mapped.local);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", mapped.remote);
	struct net_event deprecated = net_ev(NET_ADDR_ADDED, AF_INET6, "2001:db8::5", 64);
	deprecated.deprecated = 1;
	struct net_event tentative = net_ev(NET_ADDR_ADDED, AF_INET6, "2001:db8::6", 64);
	tentative.tentative = 1;
	struct {
		const char *name;
		struct net_event ev;
		const struct tcp_socket *conn;
		enum net_effect want;
	} cases[] = {
		{ "matters-link-up", net_ev(NET_LINK_UP, 0, NULL, 0), &conn, NET_CHEAP },
		{ "matters-link-down", net_ev(NET_LINK_DOWN, 0, NULL, 0), &conn, NET_SUSPICIOUS },
		{ "matters-address-added", net_ev(NET_ADDR_ADDED, AF_INET, "10.0.0.9", 24), &conn, NET_CHEAP },
		{ "matters-deprecated-is-not-removed", deprecated, &conn, NET_IGNORE },
		{ "matters-tentative-not-yet", tentative, &conn, NET_IGNORE },
		{ "matters-not-link-local-v6-added", net_ev(NET_ADDR_ADDED, AF_INET6, "fe80::1", 64), &conn, NET_IGNORE },
		{ "matters-not-link-local-v4-added", net_ev(NET_ADDR_ADDED, AF_INET, "169.254.3.4", 16), &none,
		  NET_IGNORE },
		{ "matters-not-link-local-removed", net_ev(NET_ADDR_REMOVED, AF_INET6, "fe80::1", 64), &none, NET_IGNORE },
		{ "matters-global-v6-added", net_ev(NET_ADDR_ADDED, AF_INET6, "2001:db8::9", 64), &none, NET_CHEAP },
		{ "matters-own-address-removed", net_ev(NET_ADDR_REMOVED, AF_INET, "10.0.0.5", 24), &conn, NET_SUSPICIOUS },
		{ "matters-own-address-removed-mapped", net_ev(NET_ADDR_REMOVED, AF_INET, "10.0.0.5", 24), &mapped,
		  NET_SUSPICIOUS },
		{ "matters-other-address-removed", net_ev(NET_ADDR_REMOVED, AF_INET, "10.0.0.6", 24), &conn, NET_CHEAP },
		{ "matters-address-removed-conn-unknown", net_ev(NET_ADDR_REMOVED, AF_INET, "10.0.0.6", 24), &none,
		  NET_SUSPICIOUS },
		{ "matters-default-route", net_ev(NET_ROUTE_CHANGED, AF_INET, "0.0.0.0", 0), &conn, NET_CHEAP },
		{ "matters-default-route-v6", net_ev(NET_ROUTE_CHANGED, AF_INET6, "::", 0), &none, NET_CHEAP },
		{ "matters-route-to-server", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.0", 24), &conn, NET_CHEAP },
		{ "matters-route-to-server-host", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.7", 32), &conn, NET_CHEAP },
		{ "matters-route-to-server-odd-prefix", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.0", 29), &conn,
		  NET_CHEAP },
		{ "matters-route-to-server-mapped", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.0", 24), &mapped,
		  NET_CHEAP },
		{ "matters-not-route-elsewhere", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.8", 29), &conn, NET_IGNORE },
		{ "matters-not-route-elsewhere-v6", net_ev(NET_ROUTE_CHANGED, AF_INET6, "2001:db8::", 32), &conn,
		  NET_IGNORE },
		{ "matters-not-route-conn-unknown", net_ev(NET_ROUTE_CHANGED, AF_INET, "192.0.2.0", 24), &none,
		  NET_IGNORE },
		{ "matters-not-other-messages", net_ev(NET_NONE, 0, NULL, 0), &conn, NET_IGNORE },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		enum net_effect got = net_event_effect(&cases[c].ev, cases[c].conn);
		resultf(cases[c].name, got == cases[c].want, "got effect %d, want %d", got, cases[c].want);
	}
}

static void test_coalesce(void)
{
	struct net_coalesce c;
	int cheap = 0, holds = 0, act;

	/* 100 changes in one second: one action at once, one more when the second is over. */
	memset(&c, 0, sizeof c);
	for (int i = 0; i < 100; i++) {
		act = coalesce_change(&c, NET_CHEAP, "address added", 5000 + i * 10);
		cheap += (act & NET_DO_CHEAP) != 0;
	}
	resultf("coalesce-burst-one-at-once", cheap == 1, "%d cheap actions during the burst", cheap);
	resultf("coalesce-burst-held-back", c.cheap_due == 6000, "cheap_due %lld, want 6000", c.cheap_due);
	resultf("coalesce-burst-not-yet", !coalesce_due(&c, 5999), "due early");
	resultf("coalesce-burst-then-one", coalesce_due(&c, 6000) && !coalesce_due(&c, 6001), "not exactly once");
	resultf("coalesce-first-what-kept", strcmp(c.what, "address added") == 0, "what \"%s\"", c.what);
	act = coalesce_change(&c, NET_CHEAP, "link up", 7000);
	resultf("coalesce-after-a-second-again", (act & NET_DO_CHEAP) != 0, "act %d", act);
	resultf("coalesce-ignored-nothing", coalesce_change(&c, NET_IGNORE, "x", 9000) == 0, "ignored acted");

	/* Suspects: one hold, from the first; each later one pushes it back, within a limit. */
	memset(&c, 0, sizeof c);
	for (int i = 0; i < 5; i++) {
		act = coalesce_change(&c, NET_SUSPICIOUS, i ? "address 10.0.0.5 added" : "address 10.0.0.5 removed",
				      1000 + i * 100);
		holds += (act & NET_DO_HOLD) != 0;
	}
	resultf("coalesce-hold-once", holds == 1 && c.hold_until == 1400 + NET_HOLD_MS, "holds %d until %lld", holds,
		c.hold_until);
	resultf("coalesce-suspect-also-cheap", c.last_cheap_at == 1000, "last cheap %lld", c.last_cheap_at);
	for (int i = 0; i < 20; i++)
		coalesce_change(&c, NET_SUSPICIOUS, "link down", 1500 + i * 500);
	resultf("coalesce-hold-storm-bounded", c.hold_until == 1000 + 4 * NET_HOLD_MS, "until %lld", c.hold_until);
	resultf("coalesce-hold-what", strcmp(c.hold_what, "address 10.0.0.5 removed") == 0, "hold_what \"%s\"",
		c.hold_what);
}

static void test_path_changed(void)
{
	struct path_view unseen, none, via_a, via_b, lost;

	memset(&unseen, 0, sizeof unseen);
	memset(&none, 0, sizeof none);
	none.looked = 1;
	via_a = none;
	via_a.ends[0].reachable = 1;
	memcpy(via_a.ends[0].source, "\x0a\x00\x00\x05", 4);
	via_b = via_a;
	via_b.ends[0].source[3] = 6;
	lost = via_a;
	lost.ends[0].reachable = 0;
	resultf("path-same-unchanged", !path_changed(&via_a, &via_a), "changed");
	resultf("path-new-source-changed", path_changed(&via_a, &via_b), "unchanged");
	resultf("path-route-gone-changed", path_changed(&via_a, &lost), "unchanged");
	resultf("path-route-back-changed", path_changed(&none, &via_a), "unchanged");
	resultf("path-still-unreachable-unchanged", !path_changed(&none, &none), "changed");
	resultf("path-not-looked-unchanged", !path_changed(&unseen, &via_a) && !path_changed(&via_a, &unseen),
		"changed");
}

static void test_network_action(void)
{
	static const struct {
		const char *name;
		enum ssh_phase phase;
		int monitored, proven, in_flight, path_moved;
		enum net_action want;
	} cases[] = {
		{ "netact-backoff-start-now", PHASE_BACKOFF, 0, 0, 0, 1, NET_ACT_START_NOW },
		{ "netact-backoff-start-now-monitored", PHASE_BACKOFF, 1, 0, 0, 1, NET_ACT_START_NOW },
		{ "netact-backoff-path-same-wait-goes-on", PHASE_BACKOFF, 0, 0, 0, 0, NET_ACT_NONE },
		{ "netact-backoff-path-same-monitored", PHASE_BACKOFF, 1, 0, 0, 0, NET_ACT_NONE },
		{ "netact-M0-running-nothing", PHASE_RUNNING, 0, 1, 0, 1, NET_ACT_NONE },
		{ "netact-probe-now", PHASE_RUNNING, 1, 1, 0, 0, NET_ACT_PROBE_NOW },
		{ "netact-early-probe-unproven", PHASE_RUNNING, 1, 0, 0, 0, NET_ACT_PROBE_EARLY },
		{ "netact-probe-in-flight-left", PHASE_RUNNING, 1, 1, 1, 1, NET_ACT_NONE },
		{ "netact-early-probe-in-flight-left", PHASE_RUNNING, 1, 0, 1, 1, NET_ACT_NONE },
		{ "netact-stopping-nothing", PHASE_STOPPING, 1, 1, 0, 1, NET_ACT_NONE },
		{ "netact-done-nothing", PHASE_DONE, 1, 1, 0, 1, NET_ACT_NONE },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		enum net_action got = network_action(cases[c].phase, cases[c].monitored, cases[c].proven,
						     cases[c].in_flight, cases[c].path_moved);
		resultf(cases[c].name, got == cases[c].want, "got %d, want %d", got, cases[c].want);
	}
}

/* A route socket message built as the kernel would send it. */
struct nl_builder {
	union {
		struct nlmsghdr h;
		char bytes[512];
	} u;
};

static void *nl_start(struct nl_builder *b, int type, size_t body)
{
	memset(b, 0, sizeof *b);
	b->u.h.nlmsg_type = (unsigned short)type;
	b->u.h.nlmsg_len = (unsigned)NLMSG_LENGTH(body);
	return NLMSG_DATA(&b->u.h);
}

static void nl_attr(struct nl_builder *b, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(void *)(b->u.bytes + NLMSG_ALIGN(b->u.h.nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	b->u.h.nlmsg_len = (unsigned)(NLMSG_ALIGN(b->u.h.nlmsg_len) + RTA_ALIGN(a->rta_len));
}

static void address_message(struct nl_builder *b, int type, int family, const char *addr, unsigned flags)
{
	unsigned char bin[16];
	struct ifaddrmsg *ifa = nl_start(b, type, sizeof *ifa);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = family == AF_INET ? 24 : 64;
	ifa->ifa_index = 3;
	ifa->ifa_flags = (unsigned char)flags;
	inet_pton(family, addr, bin);
	nl_attr(b, IFA_ADDRESS, bin, family == AF_INET ? 4 : 16);
	if (flags > 0xff)
		nl_attr(b, IFA_FLAGS, &flags, sizeof flags);
}

static void test_parse_route_message(void)
{
	struct nl_builder b;
	struct net_event ev;
	unsigned char want[16];

	address_message(&b, RTM_DELADDR, AF_INET, "10.231.5.1", 0);
	parse_route_message(&b.u.h, &ev);
	inet_pton(AF_INET, "10.231.5.1", want);
	resultf("rtmsg-address-removed", ev.kind == NET_ADDR_REMOVED && ev.family == AF_INET && ev.ifindex == 3 &&
						 memcmp(ev.addr, want, 4) == 0, "kind %d family %d", ev.kind, ev.family);
	address_message(&b, RTM_NEWADDR, AF_INET6, "2001:db8::5", IFA_F_DEPRECATED);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-address-deprecated", ev.kind == NET_ADDR_ADDED && ev.deprecated && !ev.tentative,
		"kind %d deprecated %d", ev.kind, ev.deprecated);
	address_message(&b, RTM_NEWADDR, AF_INET6, "2001:db8::5", IFA_F_TENTATIVE | 0x100);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-address-flags-attribute", ev.kind == NET_ADDR_ADDED && ev.tentative, "tentative %d", ev.tentative);

	struct ifinfomsg *ifi = nl_start(&b, RTM_NEWLINK, sizeof *ifi);
	ifi->ifi_index = 4;
	ifi->ifi_flags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
	ifi->ifi_change = IFF_UP;
	nl_attr(&b, IFLA_IFNAME, "veth0", 6);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-up", ev.kind == NET_LINK_UP && ev.ifindex == 4 && strcmp(ev.ifname, "veth0") == 0,
		"kind %d name %s", ev.kind, ev.ifname);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_RUNNING | IFF_LOWER_UP;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-carrier-lost-is-nothing", ev.kind == NET_NONE && ev.admin_up, "kind %d", ev.kind);
	ifi->ifi_flags = IFF_UP | IFF_LOWER_UP;
	ifi->ifi_change = IFF_LOWER_UP;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-carrier-back", ev.kind == NET_LINK_UP, "kind %d", ev.kind);
	ifi->ifi_flags = IFF_LOWER_UP;
	ifi->ifi_change = IFF_UP;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-set-down", ev.kind == NET_LINK_DOWN && !ev.admin_up, "kind %d", ev.kind);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = 0;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-no-flag-change", ev.kind == NET_NONE && !ev.link_up, "kind %d", ev.kind);
	b.u.h.nlmsg_type = RTM_DELLINK;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-link-deleted", ev.kind == NET_LINK_DOWN, "kind %d", ev.kind);

	struct rtmsg *rt = nl_start(&b, RTM_NEWROUTE, sizeof *rt);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_type = RTN_UNICAST;
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-default-route", ev.kind == NET_ROUTE_CHANGED && ev.prefix_len == 0, "kind %d", ev.kind);
	rt->rtm_dst_len = 32;
	rt->rtm_table = RT_TABLE_LOCAL;
	rt->rtm_type = RTN_LOCAL;
	inet_pton(AF_INET, "10.231.5.1", want);
	nl_attr(&b, RTA_DST, want, 4);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-local-table-ignored", ev.kind == NET_NONE, "kind %d", ev.kind);
	rt = nl_start(&b, RTM_DELROUTE, sizeof *rt);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_type = RTN_BLACKHOLE;
	rt->rtm_dst_len = 24;
	nl_attr(&b, RTA_DST, want, 4);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-route-removed", ev.kind == NET_ROUTE_CHANGED && ev.prefix_len == 24 && memcmp(ev.addr, want, 4) == 0,
		"kind %d", ev.kind);
	nl_start(&b, RTM_NEWNEIGH, 16);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-other-ignored", ev.kind == NET_NONE, "kind %d", ev.kind);
	nl_start(&b, RTM_NEWADDR, 2);
	parse_route_message(&b.u.h, &ev);
	resultf("rtmsg-short-ignored", ev.kind == NET_NONE, "kind %d", ev.kind);
}

/* ------------------------------------------------------------ TCP evidence */

static struct tcp_reading reading(int state, unsigned unacked, unsigned retransmits, unsigned backoff, unsigned rto,
				  unsigned last_ack)
{
	struct tcp_reading r;
	memset(&r, 0, sizeof r);
	r.valid = 1;
	r.state = state;
	r.unacked = unacked;
	r.retransmits = retransmits;
	r.backoff = backoff;
	r.rto_ms = rto;
	r.last_ack_recv_ms = last_ack;
	return r;
}

static void test_tcp_verdict(void)
{
	struct tcp_reading none;
	memset(&none, 0, sizeof none);
	/* On a LAN the time-out starts at 200 ms: 4 time-outs = 3000 ms, the 5th doubles to 6400 */
	struct tcp_reading rtx1 = reading(TCPS_ESTABLISHED, 1, 1, 1, 400, 250);
	struct tcp_reading dead = reading(TCPS_ESTABLISHED, 2, 4, 4, 3200, 3050);
	struct {
		const char *name;
		struct tcp_reading prev, cur;
		int proven;
		enum tcp_verdict want;
	} cases[] = {
		{ "tcp-healthy", reading(TCPS_ESTABLISHED, 0, 0, 0, 204, 10), reading(TCPS_ESTABLISHED, 0, 0, 0, 204, 2010), 1,
		  TCP_QUIET },
		{ "tcp-idle-long", none, reading(TCPS_ESTABLISHED, 0, 0, 0, 204, 70000), 1, TCP_QUIET },
		{ "tcp-in-flight-no-timeout", none, reading(TCPS_ESTABLISHED, 3, 0, 0, 204, 70000), 1, TCP_QUIET },
		{ "tcp-first-timeout", none, rtx1, 1, TCP_RETRANSMITTING },
		{ "tcp-dead", rtx1, dead, 1, TCP_DEAD },
		{ "tcp-dead-after-idle", rtx1, reading(TCPS_ESTABLISHED, 1, 4, 4, 3200, 73000), 1, TCP_DEAD },
		{ "tcp-dead-needs-two-readings", none, dead, 1, TCP_RETRANSMITTING },
		{ "tcp-dead-needs-proven", rtx1, dead, 0, TCP_RETRANSMITTING },
		{ "tcp-three-rtos-too-soon", rtx1, reading(TCPS_ESTABLISHED, 1, 3, 3, 1600, 1450), 1, TCP_RETRANSMITTING },
		{ "tcp-three-rtos-slow-path", rtx1, reading(TCPS_ESTABLISHED, 1, 3, 3, 8000, 7100), 1, TCP_DEAD },
		{ "tcp-two-rtos-long", rtx1, reading(TCPS_ESTABLISHED, 1, 2, 2, 8000, 6000), 1, TCP_RETRANSMITTING },
		{ "tcp-acks-recent", rtx1, reading(TCPS_ESTABLISHED, 1, 4, 4, 3200, 800), 1, TCP_RETRANSMITTING },
		{ "tcp-backoff-counts", rtx1, reading(TCPS_ESTABLISHED, 1, 0, 5, 6400, 7000), 1, TCP_DEAD },
		{ "tcp-zero-window-probe", rtx1, reading(TCPS_ESTABLISHED, 0, 0, 6, 12800, 9000), 1, TCP_QUIET },
		{ "tcp-connecting-never", reading(TCPS_SYN_SENT, 1, 5, 5, 32000, 0), reading(TCPS_SYN_SENT, 1, 6, 6, 64000, 0), 1,
		  TCP_QUIET },
		{ "tcp-closing-never", rtx1, reading(4, 1, 6, 6, 12800, 20000), 1, TCP_QUIET },
		{ "tcp-no-reading", rtx1, none, 1, TCP_QUIET },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		enum tcp_verdict got = tcp_verdict(&cases[c].prev, &cases[c].cur, cases[c].proven);
		resultf(cases[c].name, got == cases[c].want, "got %d, want %d", got, cases[c].want);
	}
	struct tcp_reading r = reading(TCPS_ESTABLISHED, 1, 4, 4, 3200, 73000);
	resultf("tcp-unacked-for-from-rto", unacked_for_ms(&r) == 3000, "got %u", unacked_for_ms(&r));
	r.last_ack_recv_ms = 1200;
	resultf("tcp-unacked-for-last-ack", unacked_for_ms(&r) == 1200, "got %u", unacked_for_ms(&r));
	r = reading(TCPS_ESTABLISHED, 0, 0, 0, 204, 40);
	resultf("tcp-acks-since-probe", acks_since(&r, 15000), "ACK 40 ms ago, probe 15 s ago");
	r.last_ack_recv_ms = 15000;
	resultf("tcp-ack-as-probe-started", acks_since(&r, 15000), "ACK and probe 15 s ago");
	r.last_ack_recv_ms = 15010;
	resultf("tcp-ack-in-the-same-tick", acks_since(&r, 15000), "ACK 15.01 s ago, probe 15 s ago");
	r.last_ack_recv_ms = 16000;
	resultf("tcp-no-acks-since-probe", !acks_since(&r, 15000), "ACK 16 s ago, probe 15 s ago");
	resultf("tcp-look-healthy", next_look_ms(TCP_QUIET, 0, 60000) == TCP_LOOK_MS, "2 s");
	resultf("tcp-look-retransmitting", next_look_ms(TCP_RETRANSMITTING, 0, 60000) == TCP_LOOK_RETRANS_MS, "250 ms");
	resultf("tcp-look-readiness", next_look_ms(TCP_QUIET, 1, 500) == TCP_LOOK_RETRANS_MS, "250 ms");
	resultf("tcp-look-readiness-late", next_look_ms(TCP_QUIET, 1, 20000) == 1000, "1 s");
	resultf("tcp-find-retry", find_retry_ms(100) == 500 && find_retry_ms(20000) == TCP_LOOK_MS &&
					  find_retry_ms(600000) == 30000, "schedule");
	struct tcp_reading syn = reading(TCPS_SYN_SENT, 0, 0, 0, 0, 0);
	resultf("tcp-handshake-hangs", handshake_hangs(&syn, CONNECTING_TEST_AFTER_MS) && !handshake_hangs(&syn, 999),
		"SYN_SENT from 1 s on");
	resultf("tcp-handshake-done", !handshake_hangs(&r, 60000), "established");
}

static void test_stall_verdict(void)
{
	struct tcp_reading none, quiet = reading(TCPS_ESTABLISHED, 0, 0, 0, 204, 10);
	struct stall fresh = { 0, 0, 0, 0, 0 }, testing = { 1, 0, 0, 0, 0 }, down = { 1, 1, 0, 0, 0 },
		     chance = { 1, 1, 5000, 0, 0 };
	memset(&none, 0, sizeof none);
	struct tcp_reading stuck = reading(TCPS_ESTABLISHED, 2, 5, 5, 6400, 4000);
	/* After an ACK, a second outage at once: new data, 2 time-outs in a row so far. */
	struct tcp_reading stuck_again = reading(TCPS_ESTABLISHED, 1, 2, 2, 800, 600);
	struct stall chance_seen5 = { 1, 1, 5000, 0, 5 };
	struct {
		const char *name;
		struct stall s;
		struct tcp_reading r;
		enum tcp_verdict v;
		int can_test;
		long long now;
		enum stall_action want;
	} looks[] = {
		{ "stall-healthy", fresh, quiet, TCP_QUIET, 1, 1000, STALL_NOTHING },
		{ "stall-retransmitting", fresh, stuck, TCP_RETRANSMITTING, 1, 1000, STALL_NOTHING },
		{ "stall-dead-tests-first", fresh, stuck, TCP_DEAD, 1, 1000, STALL_TEST },
		{ "stall-dead-no-test-restarts", fresh, stuck, TCP_DEAD, 0, 1000, STALL_RESTART },
		{ "stall-test-in-flight-waits", testing, stuck, TCP_DEAD, 1, 1000, STALL_NOTHING },
		{ "stall-path-down-keeps", down, stuck, TCP_DEAD, 1, 9000, STALL_NOTHING },
		{ "stall-acks-back-recovered", down, quiet, TCP_QUIET, 1, 1000, STALL_RECOVERED },
		{ "stall-no-reading-is-no-ack", down, none, TCP_QUIET, 1, 1000, STALL_NOTHING },
		{ "stall-chance-running", chance, stuck, TCP_DEAD, 1, 4999, STALL_NOTHING },
		{ "stall-chance-over", chance, stuck, TCP_DEAD, 1, 5000, STALL_RESTART },
		{ "stall-chance-acked", chance, quiet, TCP_QUIET, 1, 6000, STALL_RECOVERED },
		{ "stall-chance-over-same-rtos", chance_seen5, stuck, TCP_DEAD, 1, 5000, STALL_RESTART },
		{ "stall-acked-then-stuck-again", chance_seen5, stuck_again, TCP_RETRANSMITTING, 1, 5000,
		  STALL_RECOVERED },
	};
	for (size_t c = 0; c < sizeof looks / sizeof looks[0]; c++) {
		enum stall_action got = stall_on_look(&looks[c].s, &looks[c].r, looks[c].v, looks[c].can_test, looks[c].now);
		resultf(looks[c].name, got == looks[c].want, "got %d, want %d", got, looks[c].want);
	}
	resultf("stall-first-test-completes-restart", stall_on_test(&testing, 1) == STALL_RESTART, "restart");
	resultf("stall-test-fails-path-down", stall_on_test(&testing, 0) == STALL_PATH_DOWN, "path down");
	resultf("stall-retest-fails", stall_on_test(&down, 0) == STALL_PATH_DOWN, "path down");
	resultf("stall-later-test-completes-chance", stall_on_test(&down, 1) == STALL_CHANCE, "chance");
	/*
	 * Last send 1000 ms ago, RTO 6400: next retransmission in 5400 ms, up
	 * to 800 + 10 ms late (the timer wheel), plus 2 srtt (2 x 30).
	 */
	struct tcp_reading r = stuck;
	r.last_data_sent_ms = 1000;
	r.srtt_ms = 30;
	resultf("stall-chance-deadline", chance_deadline(&r, 100000) == 100000 + 5400 + 810 + 60, "got %lld",
		chance_deadline(&r, 100000));
	r.last_data_sent_ms = 6500;
	resultf("stall-chance-deadline-timer-late", chance_deadline(&r, 100000) == 100000 + 710 + 60, "got %lld",
		chance_deadline(&r, 100000));
	r.last_data_sent_ms = 9000;
	resultf("stall-chance-deadline-overdue", chance_deadline(&r, 100000) == 100060, "got %lld",
		chance_deadline(&r, 100000));
	resultf("test-timeout-lan", test_timeout_ms(1) == 250, "got %ld", test_timeout_ms(1));
	resultf("test-timeout-far", test_timeout_ms(200) == 800, "got %ld", test_timeout_ms(200));
	resultf("test-timeout-unknown", test_timeout_ms(0) == 1000, "got %ld", test_timeout_ms(0));
	struct {
		const char *name;
		enum ssh_cause cause;
		int authenticated, exited_255, established, want;
	} starts[] = {
		{ "wait-network-cause", CAUSE_NETWORK, 0, 0, 1, 1 },
		{ "wait-network-cause-authenticated", CAUSE_NETWORK, 1, 1, 1, 0 },
		{ "wait-255-never-connected", CAUSE_NONE, 0, 1, 0, 1 },
		{ "wait-unknown-never-connected", CAUSE_UNKNOWN, 0, 1, 0, 1 },
		{ "no-wait-255-connected", CAUSE_NONE, 0, 1, 1, 0 },
		{ "no-wait-other-status", CAUSE_NONE, 0, 0, 0, 0 },
		{ "no-wait-auth", CAUSE_AUTH, 0, 1, 0, 0 },
		{ "no-wait-busy", CAUSE_BUSY, 0, 1, 0, 0 },
		{ "no-wait-hostkey", CAUSE_HOSTKEY, 0, 1, 0, 0 },
		{ "no-wait-config", CAUSE_CONFIG, 0, 1, 0, 0 },
		{ "no-wait-after-login", CAUSE_NONE, 1, 1, 0, 0 },
	};
	for (size_t c = 0; c < sizeof starts / sizeof starts[0]; c++) {
		int got = failed_on_network(starts[c].cause, starts[c].authenticated, starts[c].exited_255,
					    starts[c].established);
		resultf(starts[c].name, got == starts[c].want, "got %d", got);
	}
	resultf("path-wait-start-after-down", path_wait_starts(1, 1, 0), "start");
	resultf("path-wait-start-after-wait", path_wait_starts(1, 0, 1), "start");
	resultf("path-wait-holds-to-wait-end", !path_wait_starts(1, 0, 0), "hold");
	resultf("path-wait-failed-test", !path_wait_starts(0, 1, 1), "no start");

	/* Tests twice a second in the first minute of failures, then once a second. */
	static struct config cfg;
	static struct state st;
	loop_state(&st, &cfg);
	st.test.began_at = 100000;
	resultf("test-every-second-before-failures", next_test_time(&st, 100000) == 101000, "got %lld",
		next_test_time(&st, 100000));
	st.test.failing_since = 100000;
	resultf("test-twice-a-second-first-minute", next_test_time(&st, 100300) == 100500, "got %lld",
		next_test_time(&st, 100300));
	st.test.failing_since = 100000 - 60000;
	resultf("test-every-second-after-a-minute", next_test_time(&st, 100300) == 101000, "got %lld",
		next_test_time(&st, 100300));
	resultf("test-late-is-now", next_test_time(&st, 102000) == 102000, "got %lld", next_test_time(&st, 102000));
}

static void test_netwatch_defects(void)
{
	struct known_net set;
	unsigned char a[16] = { 10, 0, 0, 5 }, b[16] = { 10, 0, 0, 6 };
	memset(&set, 0, sizeof set);
	resultf("addr-new", note_address(&set, 1, AF_INET, 2, a) == 0 && set.n == 1, "n %d", set.n);
	resultf("addr-refresh", note_address(&set, 1, AF_INET, 2, a) == 1 && set.n == 1, "n %d", set.n);
	resultf("addr-other-link-new", note_address(&set, 1, AF_INET, 3, a) == 0 && set.n == 2, "n %d", set.n);
	resultf("addr-other-new", note_address(&set, 1, AF_INET, 2, b) == 0 && set.n == 3, "n %d", set.n);
	note_address(&set, 0, AF_INET, 2, a);
	resultf("addr-removed-then-new", note_address(&set, 1, AF_INET, 2, a) == 0, "n %d", set.n);
	resultf("link-first-seen", note_link(&set, 7, 0, 0) == 0 && set.n_links == 1, "n %d", set.n_links);
	resultf("link-carrier-back", note_link(&set, 7, 1, 0) == 1, "came up");
	resultf("link-still-up", note_link(&set, 7, 1, 0) == 0, "no change");
	resultf("link-first-seen-up", note_link(&set, 8, 1, 0) == 0, "unknown before");
	note_link(&set, 7, 0, 1);
	resultf("link-removed", set.n_links == 1 && note_link(&set, 7, 1, 0) == 0, "n %d", set.n_links);
	struct sockaddr_nl from;
	memset(&from, 0, sizeof from);
	from.nl_family = AF_NETLINK;
	resultf("netlink-from-kernel", netlink_from_kernel(&from, sizeof from), "pid 0");
	from.nl_pid = 4242;
	resultf("netlink-from-process-ignored", !netlink_from_kernel(&from, sizeof from), "pid 4242");
	char *plain[] = { "ssh", "-N", "-L", "1:h:2", "host", NULL };
	char *jump[] = { "ssh", "-N", "-J", "jump", "host", NULL };
	char *cmd[] = { "ssh", "-oProxyCommand=nc -U /s", "host", NULL };
	char *none[] = { "ssh", "-o", "ProxyJump none", "host", NULL };
	char *after[] = { "ssh", "host", "-J", "x", NULL };
	resultf("proxy-none", !proxy_in_arguments(plain), "plain");
	resultf("proxy-J", proxy_in_arguments(jump), "-J");
	resultf("proxy-command", proxy_in_arguments(cmd), "ProxyCommand");
	resultf("proxy-jump-none", !proxy_in_arguments(none), "ProxyJump none");
	resultf("proxy-after-destination", !proxy_in_arguments(after), "command words");
}

static void test_parse_diag_reply(void)
{
	union {
		struct nlmsghdr h;
		char bytes[1024];
	} u;
	struct tcp_reading r;
	struct tcp_info info;

	memset(&u, 0, sizeof u);
	memset(&info, 0, sizeof info);
	info.tcpi_state = TCPS_ESTABLISHED;
	info.tcpi_retransmits = 4;
	info.tcpi_backoff = 4;
	info.tcpi_rto = 3200000;
	info.tcpi_unacked = 2;
	info.tcpi_last_ack_recv = 3050;
	u.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	u.h.nlmsg_seq = 7;
	struct inet_diag_msg *m = NLMSG_DATA(&u.h);
	m->idiag_state = TCPS_ESTABLISHED;
	struct rtattr *a = (struct rtattr *)(void *)(m + 1);
	a->rta_type = INET_DIAG_INFO;
	a->rta_len = (unsigned short)RTA_LENGTH(104);  /* an older kernel's shorter tcp_info */
	memcpy(RTA_DATA(a), &info, 104);
	u.h.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof *m) + RTA_ALIGN(a->rta_len));
	int got = parse_diag_reply(&u.h, u.h.nlmsg_len, 7, &r);
	resultf("diag-reply-read", got == 1 && r.valid && r.state == TCPS_ESTABLISHED && r.unacked == 2 &&
					   r.retransmits == 4 && r.backoff == 4 && r.rto_ms == 3200 && r.last_ack_recv_ms == 3050,
		"got %d state %d unacked %u rto %u last_ack %u", got, r.state, r.unacked, r.rto_ms, r.last_ack_recv_ms);
	got = parse_diag_reply(&u.h, u.h.nlmsg_len, 8, &r);
	resultf("diag-reply-other-seq", got == -1 && !r.valid, "got %d", got);
	u.h.nlmsg_type = NLMSG_ERROR;
	u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(&u.h))->error = -ENOENT;
	got = parse_diag_reply(&u.h, u.h.nlmsg_len, 7, &r);
	resultf("diag-reply-gone", got == 0, "got %d", got);
	((struct nlmsgerr *)NLMSG_DATA(&u.h))->error = -EPERM;
	got = parse_diag_reply(&u.h, u.h.nlmsg_len, 7, &r);
	resultf("diag-reply-error", got == -1, "got %d", got);
	got = parse_diag_reply(&u.h, 8, 7, &r);
	resultf("diag-reply-truncated", got == -1, "got %d", got);
}

static void test_netwatch_config(void)
{
	static const char *const args[] = { "autossh", "-M", "0", "-L", "8080:x:80", "host", NULL };
	static const char *const off[] = { "AUTOSSH_NETWATCH=0", "AUTOSSH_TCP_EVIDENCE=0", "AUTOSSH_TEST_CONNECT=0", NULL };
	static const char *const bad[] = { "AUTOSSH_TEST_CONNECT=yes", NULL };
	static const char *const none[] = { NULL };
	struct config cfg;
	char err[ERRLEN];

	parse(args, none, &cfg, err, sizeof err);
	resultf("netwatch-default-on", cfg.netwatch == 1 && cfg.tcp_evidence == 1, "netwatch %d tcp %d", cfg.netwatch,
		cfg.tcp_evidence);
	config_free(&cfg);
	parse(args, off, &cfg, err, sizeof err);
	resultf("netwatch-turned-off", cfg.netwatch == 0 && cfg.tcp_evidence == 0 && cfg.test_connect == 0,
		"netwatch %d tcp %d test %d", cfg.netwatch, cfg.tcp_evidence, cfg.test_connect);
	config_free(&cfg);
	parse(args, none, &cfg, err, sizeof err);
	resultf("test-connect-default-on", cfg.test_connect == 1, "test %d", cfg.test_connect);
	config_free(&cfg);
	enum parse_result rc = parse(args, bad, &cfg, err, sizeof err);
	resultf("test-connect-validated", rc == PARSE_ERROR && strstr(err, "AUTOSSH_TEST_CONNECT") && strstr(err, "expected 0 or 1"),
		"rc %d: %s", rc, err);
	config_free(&cfg);
}

/* ---------------------------------------------------------------------- main */

static int setup_tmpdir(void)
{
	char ssh[128];
	int fd;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/autossh-unit.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(ssh, sizeof ssh, "%s/ssh", tmpdir);
	fd = open(ssh, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(tmp_path_env, sizeof tmp_path_env, "PATH=%s", tmpdir);
	snprintf(tmp_pidfile_env, sizeof tmp_pidfile_env, "AUTOSSH_PIDFILE=%s/a.pid", tmpdir);
	snprintf(tmp_statusfile_env, sizeof tmp_statusfile_env, "AUTOSSH_STATUSFILE=%s/a.status", tmpdir);
	snprintf(tmp_dir_pidfile_env, sizeof tmp_dir_pidfile_env, "AUTOSSH_PIDFILE=%s", tmpdir);
	snprintf(tmp_noexec_env, sizeof tmp_noexec_env, "AUTOSSH_PATH=%s/plain", tmpdir);
	fd = open(strchr(tmp_noexec_env, '=') + 1, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Nothing but our fake ssh may be left: validation never leaves files. */
static void cleanup_tmpdir(void)
{
	char ssh[128], cmd[160];
	int leftovers;

	snprintf(ssh, sizeof ssh, "%s/ssh", tmpdir);
	unlink(ssh);
	unlink(strchr(tmp_noexec_env, '=') + 1);
	leftovers = rmdir(tmpdir) != 0;
	resultf("validation-leaves-no-files", !leftovers, "%s not empty after the tests", tmpdir);
	if (leftovers) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		(void)!system(cmd);
	}
}


/* ------------------------------------------------------- sharing and doctor */

static void test_handed_off_hint(void)
{
	static const struct {
		const char *name;
		int status;
		long long lived_ms;
		int forwards, want;
	} cases[] = {
		{ "hint-exit-0-at-once-with-forwards", 0 << 8, 300, 1, 1 },
		{ "hint-exit-0-at-9999-ms", 0 << 8, 9999, 1, 1 },
		{ "hint-not-at-10-s", 0 << 8, 10000, 1, 0 },
		{ "hint-not-without-forwards", 0 << 8, 300, 0, 0 },
		{ "hint-not-for-status-255", 255 << 8, 300, 1, 0 },
		{ "hint-not-for-status-1", 1 << 8, 300, 1, 0 },
		{ "hint-not-for-a-signal", SIGKILL, 300, 1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		resultf(cases[i].name,
			looks_handed_off(cases[i].status, cases[i].lived_ms, cases[i].forwards) == cases[i].want,
			"got %d", !cases[i].want);
}

/* One sample of each OpenSSH message the cause table holds (autossh(1) CAUSES). */
static void test_classify_ssh_lines(void)
{
	static const struct {
		const char *line;
		enum ssh_cause cause;
		int flags;      /* the flags that must be set */
	} cases[] = {
		{ "ssh: connect to host 127.0.0.1 port 2222: Connection refused", CAUSE_NETWORK, 0 },
		{ "ssh: connect to host 10.9.9.9 port 22: Connection timed out", CAUSE_NETWORK, 0 },
		{ "ssh: connect to host 10.9.9.9 port 22: Operation timed out", CAUSE_NETWORK, 0 },
		{ "ssh: connect to host 10.9.9.9 port 22: No route to host", CAUSE_NETWORK, 0 },
		{ "ssh: connect to host 10.9.9.9 port 22: Network is unreachable", CAUSE_NETWORK, 0 },
		{ "ssh: Could not resolve hostname example.org: Temporary failure in name resolution", CAUSE_NETWORK, 0 },
		{ "Connection closed by 127.0.0.1 port 2222", CAUSE_NETWORK, LINE_SERVER_DROPPED },
		{ "Connection reset by 127.0.0.1 port 2222", CAUSE_NETWORK, LINE_SERVER_DROPPED },
		{ "Connection to 127.0.0.1 closed by remote host.", CAUSE_NETWORK, LINE_SERVER_DROPPED },
		{ "Timeout, server 127.0.0.1 not responding.", CAUSE_NETWORK, 0 },
		{ "client_loop: send disconnect: Broken pipe", CAUSE_NETWORK, 0 },
		{ "kex_exchange_identification: read: Connection reset by peer", CAUSE_BUSY, 0 },
		{ "kex_exchange_identification: Connection closed by remote host", CAUSE_BUSY, 0 },
		{ "ssh_exchange_identification: Connection closed by remote host", CAUSE_BUSY, 0 },
		{ "banner exchange: Connection to 127.0.0.1 port 2222: invalid format", CAUSE_BUSY, 0 },
		{ "root@127.0.0.1: Permission denied (publickey).", CAUSE_AUTH, 0 },
		{ "Received disconnect from 127.0.0.1 port 2222:2: Too many authentication failures", CAUSE_AUTH, 0 },
		{ "Host key verification failed.", CAUSE_HOSTKEY, 0 },
		{ "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @", CAUSE_HOSTKEY, 0 },
		{ "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.",
		  CAUSE_HOSTKEY, 0 },
		{ "/tmp/x/ssh_config: line 3: Bad configuration option: bogus", CAUSE_CONFIG, 0 },
		{ "ssh: Could not resolve hostname nosuch.invalid: Name or service not known", CAUSE_CONFIG,
		  LINE_NAME_UNKNOWN },
		{ "Warning: remote port forwarding failed for listen port 5432", CAUSE_REMOTE_FORWARD,
		  LINE_FORWARD_FAILED | LINE_AUTHENTICATED },
		{ "Error: remote port forwarding failed for listen port 5432", CAUSE_REMOTE_FORWARD,
		  LINE_FORWARD_FAILED },
		{ "bind [127.0.0.1]:5432: Address already in use", CAUSE_LOCAL_FORWARD, LINE_FORWARD_FAILED },
		{ "channel_setup_fwd_listener_tcpip: cannot listen to port: 5432", CAUSE_LOCAL_FORWARD,
		  LINE_FORWARD_FAILED },
		{ "Could not request local forwarding.", CAUSE_LOCAL_FORWARD, LINE_FORWARD_FAILED },
		{ "bind [::1]:5432: Cannot assign requested address", CAUSE_NONE, 0 },
		{ "Warning: Identity file /home/u/.ssh/id_x not accessible: No such file or directory.", CAUSE_NONE,
		  LINE_NEVER_CAUSE },
		{ "channel 3: open failed: administratively prohibited: open failed", CAUSE_NONE, LINE_NEVER_CAUSE },
		{ "Authenticated to 127.0.0.1 ([127.0.0.1]:2222) using \"publickey\".", CAUSE_NONE, LINE_AUTHENTICATED },
		{ "debug1: Authentication succeeded (publickey).", CAUSE_NONE, LINE_AUTHENTICATED },
		{ "Allocated port 40123 for remote forward to 127.0.0.1:22", CAUSE_NONE, LINE_AUTHENTICATED },
		{ "debug1: connect to address 127.0.0.1 port 2222: Connection refused", CAUSE_NONE, 0 },
		{ "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.", CAUSE_NONE, 0 },
		{ "", CAUSE_NONE, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct line_class c = classify_ssh_line(cases[i].line);
		char name[96];
		snprintf(name, sizeof name, "classify-%zu-%s", i, cause_name(cases[i].cause)[0] ? cause_name(cases[i].cause) : "none");
		resultf(name, c.cause == cases[i].cause && (c.flags & cases[i].flags) == cases[i].flags,
			"\"%s\": got %s flags %d, want %s flags %d", cases[i].line, cause_name(c.cause), c.flags,
			cause_name(cases[i].cause), cases[i].flags);
	}
}

/* Which classified lines become a failure's cause (autossh(1) CAUSES). */
static void test_cause_of_line(void)
{
	static const struct {
		const char *name, *line;
		enum ssh_cause so_far;
		int authenticated, gated_first;
		enum ssh_cause want;
	} cases[] = {
		{ "cause-auth-before-login", "u@h: Permission denied (publickey).", CAUSE_NONE, 0, 0, CAUSE_AUTH },
		{ "cause-auth-not-after-login", "u@h: Permission denied (publickey).", CAUSE_NONE, 1, 0, CAUSE_NONE },
		{ "cause-hostkey-not-after-login", "Host key verification failed.", CAUSE_NONE, 1, 1, CAUSE_NONE },
		{ "cause-config-not-after-login", "x: line 1: Bad configuration option: y", CAUSE_NONE, 1, 1, CAUSE_NONE },
		{ "cause-unknown-host-gated-first", "ssh: Could not resolve hostname h: Name or service not known", CAUSE_NONE, 0, 1,
		  CAUSE_CONFIG },
		{ "cause-unknown-host-later-is-network", "ssh: Could not resolve hostname h: Name or service not known", CAUSE_NONE, 0,
		  0, CAUSE_NETWORK },
		{ "cause-identity-warning-never", "Warning: Identity file k not accessible: No such file or directory.", CAUSE_NONE, 0,
		  1, CAUSE_NONE },
		{ "cause-prohibited-never", "channel 2: open failed: administratively prohibited: open failed", CAUSE_NONE, 1, 0,
		  CAUSE_NONE },
		{ "cause-network-after-login", "Connection to h closed by remote host.", CAUSE_NONE, 1, 0, CAUSE_NETWORK },
		{ "cause-busy", "kex_exchange_identification: read: Connection reset by peer", CAUSE_NONE, 0, 0, CAUSE_BUSY },
		{ "cause-remote-forward", "Warning: remote port forwarding failed for listen port 7", CAUSE_NONE, 1, 0,
		  CAUSE_REMOTE_FORWARD },
		{ "cause-closed-after-kex-stays-busy", "Connection closed by 127.0.0.1 port 2222", CAUSE_BUSY, 0, 0,
		  CAUSE_NONE },
		{ "cause-reset-after-kex-stays-busy", "Connection reset by 127.0.0.1 port 2222", CAUSE_BUSY, 0, 0,
		  CAUSE_NONE },
		{ "cause-refused-after-busy-is-network", "ssh: connect to host h port 22: Connection refused", CAUSE_BUSY,
		  0, 0, CAUSE_NETWORK },
		{ "cause-auth-after-busy", "u@h: Permission denied (publickey).", CAUSE_BUSY, 0, 0, CAUSE_AUTH },
		{ "cause-plain-line-none", "Pseudo-terminal will not be allocated because stdin is not a terminal.", CAUSE_NONE, 0, 0,
		  CAUSE_NONE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ssh_cause got =
			cause_of_line(classify_ssh_line(cases[i].line), cases[i].so_far, cases[i].authenticated,
				      cases[i].gated_first);
		resultf(cases[i].name, got == cases[i].want, "got %s, want %s", cause_name(got), cause_name(cases[i].want));
	}
}

static void test_forward_port_in_line(void)
{
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{ "Warning: remote port forwarding failed for listen port 5432", 5432 },
		{ "channel_setup_fwd_listener_tcpip: cannot listen to port: 8080", 8080 },
		{ "bind [127.0.0.1]:2200: Address already in use", 2200 },
		{ "bind [::1]:65535: Address already in use", 65535 },
		{ "Could not request local forwarding.", 0 },
		{ "bind [127.0.0.1]:99999: Address already in use", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[48];
		snprintf(name, sizeof name, "forward-port-in-line-%zu", i);
		int got = forward_port_in_line(cases[i].line);
		resultf(name, got == cases[i].want, "\"%s\": got %d, want %d", cases[i].line, got, cases[i].want);
	}
}

/* The waits by cause (autossh(1) CAUSES). */
static void test_failure_wait(void)
{
	static const struct {
		const char *name;
		enum ssh_cause cause;
		int consecutive, dropped, tries;
		long poll, jitter;
		double unit;
		long long want_ms;
	} cases[] = {
		{ "wait-network-quick", CAUSE_NETWORK, 1, 0, 1, 600, 0, 0.5, 0 },
		{ "wait-network-schedule", CAUSE_NETWORK, 3, 0, 7, 600, 0, 0.5, 8000 },
		{ "wait-unknown-schedule", CAUSE_UNKNOWN, 1, 0, 6, 600, 0, 0.9, 2000 },
		{ "wait-network-jitter", CAUSE_NETWORK, 1, 0, 7, 600, 50, 1.0, 12000 },
		{ "wait-remote-forward-schedule", CAUSE_REMOTE_FORWARD, 4, 0, 8, 600, 0, 0.3, 18000 },
		{ "wait-local-forward-quick", CAUSE_LOCAL_FORWARD, 1, 0, 0, 600, 0, 0.3, 0 },
		{ "wait-auth-first-60s", CAUSE_AUTH, 1, 0, 0, 600, 0, 0.5, 60000 },
		{ "wait-auth-then-poll", CAUSE_AUTH, 2, 0, 1, 600, 0, 0.5, 600000 },
		{ "wait-hostkey-first-60s", CAUSE_HOSTKEY, 1, 0, 9, 600, 20, 0.0, 60000 },
		{ "wait-config-then-poll", CAUSE_CONFIG, 5, 0, 0, 300, 0, 0.5, 300000 },
		{ "wait-auth-poll-below-60", CAUSE_AUTH, 1, 0, 0, 30, 0, 0.5, 30000 },
		{ "wait-busy-first-full-jitter", CAUSE_BUSY, 1, 0, 0, 600, 0, 0.5, BUSY_BASE_MS / 2 },
		{ "wait-busy-first-top", CAUSE_BUSY, 1, 0, 0, 600, 0, 1.0, BUSY_BASE_MS },
		{ "wait-busy-third-doubles", CAUSE_BUSY, 3, 0, 9, 600, 0, 1.0, BUSY_BASE_MS * 4 },
		{ "wait-busy-zero", CAUSE_BUSY, 3, 0, 0, 600, 0, 0.0, 0 },
		{ "wait-busy-capped-at-poll", CAUSE_BUSY, 40, 0, 0, 30, 0, 1.0, 30000 },
		{ "wait-busy-ignores-jitter-setting", CAUSE_BUSY, 1, 0, 0, 600, 50, 1.0, BUSY_BASE_MS },
		{ "wait-dropped-spread", CAUSE_NETWORK, 1, 1, 0, 600, 0, 0.5, DROPPED_SPREAD_MS / 2 },
		{ "wait-dropped-only-first", CAUSE_NETWORK, 2, 1, 1, 600, 0, 0.5, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wait_inputs in = { cases[i].cause, cases[i].consecutive, cases[i].dropped, cases[i].tries,
					  cases[i].poll, cases[i].jitter, cases[i].unit };
		long long got = failure_wait_ms(&in);
		resultf(cases[i].name, got == cases[i].want_ms, "got %lld ms, want %lld", got, cases[i].want_ms);
	}
}

static void test_ssh_words(void)
{
	static const struct {
		const char *name;
		const char *argv[12];
		int no_shell, has_command, keeps;
	} cases[] = {
		{ "words-plain", { "ssh", "-L", "1:h:2", "host" }, 0, 0, 0 },
		{ "words-N", { "ssh", "-NL", "1:h:2", "host" }, 1, 0, 0 },
		{ "words-command", { "ssh", "host", "uptime" }, 0, 1, 0 },
		{ "words-eoff-no", { "ssh", "-o", "ExitOnForwardFailure=no", "host" }, 0, 0, 1 },
		{ "words-eoff-no-joined-any-case", { "ssh", "-oexitonforwardfailure no", "host" }, 0, 0, 1 },
		{ "words-eoff-yes", { "ssh", "-o", "ExitOnForwardFailure=yes", "host" }, 0, 0, 0 },
		{ "words-eoff-first-wins", { "ssh", "-o", "ExitOnForwardFailure=yes", "-o", "ExitOnForwardFailure=no",
					     "host" }, 0, 0, 0 },
		{ "words-N-value-not-letter", { "ssh", "-l", "N", "host" }, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ssh_words w;
		int dest = 1;
		while (cases[i].argv[dest + 1] && strcmp(cases[i].argv[dest], "host") != 0)
			dest++;
		read_ssh_words((char *const *)cases[i].argv, dest, &w);
		resultf(cases[i].name,
			w.no_shell == cases[i].no_shell && w.has_command == cases[i].has_command &&
				w.keeps_failed_forwards == cases[i].keeps,
			"got -N %d command %d keep %d", w.no_shell, w.has_command, w.keeps_failed_forwards);
	}
}

static void test_shell_hint(void)
{
	resultf("shell-hint-f-no-N", shell_ended_at_once(0, 300, 1, 0, 0) == 1, "no hint");
	resultf("shell-hint-not-with-N", shell_ended_at_once(0, 300, 1, 1, 0) == 0, "hint");
	resultf("shell-hint-not-with-command", shell_ended_at_once(0, 300, 1, 0, 1) == 0, "hint");
	resultf("shell-hint-not-without-f", shell_ended_at_once(0, 300, 0, 0, 0) == 0, "hint");
	resultf("shell-hint-not-status-255", shell_ended_at_once(255 << 8, 300, 1, 0, 0) == 0, "hint");
}

/* local_port_holder finds this process's own listener (Linux /proc). */
static void test_local_port_holder(void)
{
#ifdef __linux__
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	long pid = -1;
	char name[64] = "x";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		result("local-port-holder-own-listener", "cannot listen on a loopback port");
	} else {
		int port = ntohs(a.sin_port);
		int held = local_port_holder(port, &pid, name, sizeof name);
		resultf("local-port-holder-own-listener", held == 1 && pid == (long)getpid() && name[0] != '\0',
			"port %d: held %d pid %ld (want %ld) name \"%s\"", port, held, pid, (long)getpid(), name);
		close(fd);
		fd = -1;
		held = local_port_holder(port, &pid, name, sizeof name);
		resultf("local-port-holder-free-port", held == 0 && pid == 0 && name[0] == '\0', "held %d pid %ld", held,
			pid);
	}
	if (fd >= 0)
		close(fd);
#endif
}

static void test_user_forwards(void)
{
	static const struct {
		const char *name;
		const char *args[8];
		int want;
	} cases[] = {
		{ "forwards-seen-L", { "autossh", "-M", "0", "-L", "1:h:2", "host" }, 1 },
		{ "forwards-seen-in-bundle-NfR", { "autossh", "-M", "0", "-NfR", "1:h:2", "host" }, 1 },
		{ "forwards-seen-D-after-destination", { "autossh", "-M", "0", "host", "-D1080" }, 1 },
		{ "forwards-not-monitor-only", { "autossh", "-M", "20000", "host" }, 0 },
		{ "forwards-not-a-value", { "autossh", "-M", "0", "-o", "L", "-l", "-R", "host" }, 0 },
		{ "forwards-seen-after-destination", { "autossh", "-M", "0", "host", "-L", "1:h:2" }, 1 },
		{ "forwards-not-after-command", { "autossh", "-M", "0", "host", "ls", "-L" }, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[ERRLEN];
		enum parse_result r = parse(cases[i].args, NULL, &cfg, err, sizeof err);
		resultf(cases[i].name, r == PARSE_RUN && cfg.user_forwards == cases[i].want, "%s forwards %d",
			result_name(r), cfg.user_forwards);
		config_free(&cfg);
	}
}

static void test_filter_ssh_words(void)
{
	static const struct {
		const char *name;
		const char *words[12];
		const char *drop_flags, *drop_values;
		int cut;
		const char *want[12];
	} cases[] = {
		{ "filter-drops-E-and-value", { "-v", "-E", "log", "-oX=y", "host", "ls" }, "", "E", 0,
		  { "-v", "-oX=y", "host", "ls" } },
		{ "filter-drops-attached-E", { "-vElog", "host" }, "", "E", 0, { "-v", "host" } },
		{ "filter-bundle-NfL", { "-NfL", "1:h:2", "host", "cmd", "-N" }, "Nf", "", 1, { "-L", "1:h:2", "host" } },
		{ "filter-S-value-dropped", { "-S", "ctl", "-p", "22", "host", "-N", "ls" }, "N", "S", 1,
		  { "-p", "22", "host" } },
		{ "filter-value-is-not-a-letter", { "-o", "-N", "host" }, "N", "", 1, { "-o", "-N", "host" } },
		{ "filter-dashdash-then-destination", { "-v", "--", "-host", "cmd" }, "", "", 1, { "-v", "--", "-host" } },
		{ "filter-dashdash-after-destination", { "host", "-N", "--", "ls" }, "N", "", 0, { "host", "--", "ls" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out[24], got[512], want[512];
		int n = 0;
		while (cases[i].words[n])
			n++;
		filter_ssh_words((char *const *)(uintptr_t)cases[i].words, n, cases[i].drop_flags, cases[i].drop_values,
				 cases[i].cut, out);
		join_words(got, sizeof got, out);
		join_const(want, sizeof want, cases[i].want);
		resultf(cases[i].name, same_words(out, cases[i].want), "got %s, want %s", got, want);
		for (int k = 0; out[k]; k++)
			free(out[k]);
	}
}

static void test_ssh_names(void)
{
	const struct ssh_names names = { "/home/u", "u", "gw.example", "tunnel", "2222" };
	static const struct {
		const char *in, *want;   /* want NULL: cannot be expanded */
	} cases[] = {
		{ "~/.ssh/id_ed25519", "/home/u/.ssh/id_ed25519" },
		{ "%d/k_%h_%r_%u_%p_%%", "/home/u/k_gw.example_tunnel_u_2222_%" },
		{ "/etc/key", "/etc/key" },
		{ "~other/key", NULL },
		{ "/k/%C", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[256], name[64];
		int r = expand_ssh_path(cases[i].in, &names, out, sizeof out);
		snprintf(name, sizeof name, "expand-%s", cases[i].in);
		resultf(name, cases[i].want ? r == 0 && strcmp(out, cases[i].want) == 0 : r != 0, "got %d \"%s\"", r,
			r == 0 ? out : "");
	}
	char kh[128];
	known_hosts_name("gw", "22", NULL, kh, sizeof kh);
	resultf("known-hosts-name-port-22", strcmp(kh, "gw") == 0, "%s", kh);
	known_hosts_name("127.0.0.1", "2222", "", kh, sizeof kh);
	resultf("known-hosts-name-other-port", strcmp(kh, "[127.0.0.1]:2222") == 0, "%s", kh);
	known_hosts_name("127.0.0.1", "2222", "alias", kh, sizeof kh);
	resultf("known-hosts-name-alias", strcmp(kh, "alias") == 0, "%s", kh);
	char value[64];
	const char *g = "host h\nidentityfile ~/.ssh/a\nidentityfilex no\nidentityfile /b c\n";
	resultf("ssh-g-value-nth",
		ssh_g_value(g, "identityfile", 1, value, sizeof value) && strcmp(value, "/b c") == 0 &&
			ssh_g_value(g, "identityfile", 2, value, sizeof value) == NULL,
		"got \"%s\"", value);
}

/* --doctor: the same parser and messages as a start, and no file created. */
static void test_doctor_parse(void)
{
	const char *args[] = { "autossh", "--doctor", "--connect", "-M", "0", "-N", "host", NULL };
	const char *bad[] = { "autossh", "--doctor", "-M", "abc", "host", NULL };
	const char *bad_start[] = { "autossh", "-M", "abc", "host", NULL };
	const char *env_pid[] = { tmp_pidfile_env, NULL };
	const char *env_missing[] = { "AUTOSSH_PIDFILE=/nonexistent-autossh-unit/a.pid", NULL };
	struct config cfg;
	char err[ERRLEN], err_start[ERRLEN];
	enum parse_result r;

	r = parse(args, NULL, &cfg, err, sizeof err);
	resultf("doctor-parse", r == PARSE_DOCTOR && cfg.doctor && cfg.doctor_connect && cfg.destination_at == 6 &&
		strcmp(cfg.ssh_argv[6], "host") == 0, "%s connect %d", result_name(r), cfg.doctor_connect);
	config_free(&cfg);
	r = parse(bad, NULL, &cfg, err, sizeof err);
	config_free(&cfg);
	parse(bad_start, NULL, &cfg, err_start, sizeof err_start);
	resultf("doctor-bad-input-same-message", r == PARSE_ERROR && strcmp(err, err_start) == 0, "%s \"%s\" vs \"%s\"",
		result_name(r), err, err_start);
	config_free(&cfg);
	r = parse(args, env_pid, &cfg, err, sizeof err);
	resultf("doctor-pidfile-probe-creates-nothing", r == PARSE_DOCTOR, "%s %s", result_name(r), err);
	config_free(&cfg);
	r = parse(args, env_missing, &cfg, err, sizeof err);
	config_free(&cfg);
	{
		const char *start_args[] = { "autossh", "-M", "0", "-N", "host", NULL };
		parse(start_args, env_missing, &cfg, err_start, sizeof err_start);
	}
	resultf("doctor-pidfile-missing-dir-same-message", r == PARSE_ERROR && strcmp(err, err_start) == 0,
		"%s \"%s\" vs \"%s\"", result_name(r), err, err_start);
	config_free(&cfg);
}

/* --connect anywhere but right after --doctor: one line, no ssh. */
static void test_connect_order(void)
{
	const char *late[] = { "autossh", "--doctor", "-M", "0", "--connect", "host", NULL };
	const char *start[] = { "autossh", "-M", "0", "--connect", "host", NULL };
	const char *command[] = { "autossh", "-M", "0", "host", "echo", "--connect", NULL };
	struct config cfg;
	char err[ERRLEN];
	enum parse_result r;

	r = parse(late, NULL, &cfg, err, sizeof err);
	resultf("connect-after-options-is-an-error", r == PARSE_ERROR &&
		strcmp(err, "autossh: --connect must follow --doctor") == 0, "%s \"%s\"", result_name(r), err);
	config_free(&cfg);
	r = parse(start, NULL, &cfg, err, sizeof err);
	resultf("connect-without-doctor-is-an-error", r == PARSE_ERROR, "%s \"%s\"", result_name(r), err);
	config_free(&cfg);
	r = parse(command, NULL, &cfg, err, sizeof err);
	resultf("connect-in-the-remote-command-is-passed", r == PARSE_RUN, "%s \"%s\"", result_name(r), err);
	config_free(&cfg);
}

/* ssh's relative file names, noted for -f (autossh(1) DOCTOR). */
static void test_relative_paths(void)
{
	static const struct {
		const char *name;
		const char *args[12];
		int n;
		const char *first;  /* name of the first noted, "" if none */
	} cases[] = {
		{ "relpath-i", { "autossh", "-M", "0", "-i", "key", "host", NULL }, 1, "-i" },
		{ "relpath-i-joined", { "autossh", "-M0", "-ikey", "host", NULL }, 1, "-i" },
		{ "relpath-absolute-home-none", { "autossh", "-M0", "-i", "/k", "-i", "~/k", "-i", "%d/k", "-S", "none",
						  "host", NULL }, 0, "" },
		{ "relpath-F-E", { "autossh", "-M0", "-F", "cfg", "-E", "log", "host", NULL }, 2, "-F" },
		{ "relpath-o-key-value", { "autossh", "-M0", "-o", "identityfile=k", "host", NULL }, 1, "IdentityFile" },
		{ "relpath-o-space", { "autossh", "-M0", "-oUserKnownHostsFile /a kh", "host", NULL }, 1,
		  "UserKnownHostsFile" },
		{ "relpath-o-not-a-file", { "autossh", "-M0", "-o", "User=me", "host", NULL }, 0, "" },
		{ "relpath-after-destination", { "autossh", "-M0", "host", "-i", "k", NULL }, 1, "-i" },
		{ "relpath-remote-command-untouched", { "autossh", "-M0", "host", "cat", "-i", "k", NULL }, 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[ERRLEN];
		enum parse_result r = parse(cases[i].args, NULL, &cfg, err, sizeof err);
		const char *first = cfg.n_relative_paths ? cfg.relative_paths[0].name : "";
		resultf(cases[i].name, r == PARSE_RUN && cfg.n_relative_paths == cases[i].n &&
			strcmp(first, cases[i].first) == 0, "%s n=%d first=%s", result_name(r), cfg.n_relative_paths,
			first);
		config_free(&cfg);
	}
}

static void test_unknown_variables(void)
{
	static const struct {
		const char *entry;
		const char *name;  /* NULL: not reported */
	} cases[] = {
		{ "AUTOSSH_POL=30", "AUTOSSH_POL" },
		{ "AUTOSSH_POLL=30", NULL },
		{ "AUTOSSH_CONNECT_TIMEOUT=5", NULL },
		{ "AUTOSSH_NTSERVICE=yes", NULL },
		{ "AUTOSSH_POLLX=1", "AUTOSSH_POLLX" },
		{ "AUTOSSH_=1", "AUTOSSH_" },
		{ "XAUTOSSH_POL=1", NULL },
		{ "PATH=/bin", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64] = "", test[96];
		int found = unknown_autossh_variable(cases[i].entry, name, sizeof name);
		snprintf(test, sizeof test, "unknown-variable %s", cases[i].entry);
		resultf(test, cases[i].name ? found && strcmp(name, cases[i].name) == 0 : !found, "found %d \"%s\"",
			found, name);
	}
}

/* Every variable the usage text lists is one autossh reads (not warned of as unknown). */
static void test_usage_variables_known(void)
{
	char *text = NULL, missing[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		result("usage-variables-known", "open_memstream failed");
		return;
	}
	print_usage(f, "autossh");
	fclose(f);
	for (const char *at = strstr(text, "AUTOSSH_"); at; at = strstr(at + 1, "AUTOSSH_")) {
		char entry[64], name[64];
		size_t n = strspn(at, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		snprintf(entry, sizeof entry, "%.*s=1", (int)(n < 60 ? n : 60), at);
		if (unknown_autossh_variable(entry, name, sizeof name))
			append_listed(missing, sizeof missing, name);
	}
	free(text);
	resultf("usage-variables-known", missing[0] == '\0', "not in autossh_variables: %s", missing);
}

int main(void)
{
	if (setup_tmpdir() != 0) {
		printf("not ok unit-setup: cannot create a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	test_run_cases();
	test_letter_grammar();
	test_err_cases();
	test_env_order();
	test_env_values();
	test_derive();
	test_wait_encoding();
	test_decide_on_exit();
	test_backoff();
	test_jitter();
	test_probe_message();
	test_probe_reply();
	test_adaptive_timeout();
	test_judge_window();
	test_wake_action();
	test_proc_parsers();
	test_probe_deadlines();
	test_probe_own_connection();
	test_probe_rtt_learning();
	test_parse_number();
	test_usage();
	test_proc_tcp_line();
	test_choose_ssh_sockets();
	test_forward_ports();
	test_net_event_effect();
	test_coalesce();
	test_network_action();
	test_path_changed();
	test_parse_route_message();
	test_tcp_verdict();
	test_stall_verdict();
	test_choose_proxied();
	test_netwatch_defects();
	test_parse_diag_reply();
	test_netwatch_config();
	test_handed_off_hint();
	test_classify_ssh_lines();
	test_cause_of_line();
	test_forward_port_in_line();
	test_failure_wait();
	test_ssh_words();
	test_shell_hint();
	test_local_port_holder();
	test_user_forwards();
	test_filter_ssh_words();
	test_ssh_names();
	test_doctor_parse();
	test_connect_order();
	test_relative_paths();
	test_unknown_variables();
	test_usage_variables_known();
	test_temp_names();
	test_missing_directory_names();
	cleanup_tmpdir();
	test_check_limits();
	test_judge_status();
	test_fleet_helpers();
	test_fork_blocks_signals();
	if (setup_refused_port() != 0) {
		printf("not ok loop-setup: cannot bind a loopback port: %s\n", strerror(errno));
		return 1;
	}
	test_no_deadline_left_past();
	test_usr1_with_exit0();
	test_reap_before_verdict();
	test_lifetime_then_term();
	test_grace_huge_tries();
	return n_failed ? 1 : 0;
}
