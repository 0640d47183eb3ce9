/*
 * tests/fuzz/fuzz_parse.c: libFuzzer target for autossh's command line and
 * environment parsing (parse_config) and the probe message functions.
 *
 * Input: byte 0 chooses the split, the rest is cut into words.
 *   bit 7    words end at '\n' (else at NUL)
 *   bits 0-3 how many leading words are "NAME=value" environment entries
 *   bit 4    argv[0] is the next word (else "autossh")
 *   bit 5    no default AUTOSSH_PATH (else /bin/true when the input sets none)
 * The remaining words are the arguments.  The fake environment never names a
 * pidfile or status file and fixes PATH, so no run touches the disk beyond
 * stat() and access() while resolving AUTOSSH_PATH.
 *
 * Build and run: sh tests/fuzz/run.sh (FUZZ_SECONDS, default 60).
 */

#define main autossh_main
#include "../../autossh.c"
#undef main

enum { MAX_WORDS = 64 };

static char *env_words[16];
static int n_env;
static int default_path;

static const char *fuzz_lookup(const char *name)
{
	size_t len = strlen(name);

	/* Never let validation create probe files. */
	if (strcmp(name, "AUTOSSH_PIDFILE") == 0 || strcmp(name, "AUTOSSH_STATUSFILE") == 0)
		return NULL;
	if (strcmp(name, "PATH") == 0)
		return "/usr/bin:/bin";
	for (int i = 0; i < n_env; i++)
		if (strncmp(env_words[i], name, len) == 0 && env_words[i][len] == '=')
			return env_words[i] + len + 1;
	if (default_path && strcmp(name, "AUTOSSH_PATH") == 0)
		return "/bin/true";
	return NULL;
}

static void check_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz_parse.c:%d: check failed: %s\n", line, what);
	abort();
}

/* Abort (a crash for libFuzzer) naming the property that does not hold. */
#define check(ok) ((ok) ? (void)0 : check_failed(#ok, __LINE__))

/* What every accepted configuration must satisfy (autossh(1) ARGUMENTS FOR SSH, ENVIRONMENT and SCHEDULE AND TIMEOUTS). */
static void check_config(const struct config *cfg, int argc)
{
	int n = 0;

	check(cfg->ssh_argv != NULL && cfg->ssh_argv[0] != NULL);
	check(strcmp(cfg->ssh_argv[0], cfg->ssh_path) == 0);
	while (cfg->ssh_argv[n])
		n++;
	check(n == cfg->ssh_argc);
	/* argv[0], at most one word per argument, four forwards, four no-sharing words */
	check(n <= argc + 8);
	/* The no-sharing options stand right before the destination, or are not there at all. */
	check(cfg->destination_at == -1 ||
	      (cfg->destination_at >= 5 && cfg->destination_at < n &&
	       strcmp(cfg->ssh_argv[cfg->destination_at - 3], "ControlMaster=no") == 0 &&
	       strcmp(cfg->ssh_argv[cfg->destination_at - 1], "ControlPath=none") == 0));
	check(cfg->monitor_port >= 0 && cfg->monitor_port <= 65535);
	check(cfg->echo_port >= 0 && cfg->echo_port <= 65535);
	check(cfg->echo_port != 0 || cfg->monitor_port <= 65534);
	check(cfg->monitor_port != 0 || cfg->echo_port == 0);
	check(cfg->poll >= 1 && cfg->first_poll >= 1);
	check(cfg->net_timeout_ms >= 100 && cfg->net_timeout_ms <= 3600000);
	check(cfg->gatetime >= 0 && (!cfg->background || cfg->gatetime == 0));
	check(cfg->maxstart >= -1);
	check(cfg->maxlifetime == 0 || (cfg->poll <= cfg->maxlifetime && cfg->first_poll <= cfg->maxlifetime));
	check(cfg->loglevel >= 0 && cfg->loglevel <= 7);
	check(cfg->jitter >= 0 && cfg->jitter <= 50);
	check(cfg->connect_timeout == 0 || cfg->monitor_port != 0);
	check(strlen(cfg->message) <= 64 && strpbrk(cfg->message, "\r\n") == NULL);
	check(cfg->pidfile == NULL && cfg->statusfile == NULL);
	check(cfg->ssh_exec != NULL);
}

static void fuzz_probe(const char *node, const char *prog, const char *message, const char *reply,
		       const uint8_t *data, size_t size)
{
	char buf[256], copy[256];
	long pid = size > 4 ? (long)(data[1] | data[2] << 8 | (data[3] & 0x7f) << 16) : 1;
	long random = size > 8 ? (long)((uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
					(uint32_t)(data[7] & 0x7f) << 24)
			       : 0;
	size_t n = probe_message(buf, sizeof buf, node, prog, pid, random, message);

	check(n == strlen(buf) && n >= 2 && n < sizeof buf);
	check(buf[n - 2] == '\r' && buf[n - 1] == '\n');
	check(probe_reply_matches(buf, n, buf, n));
	check(!probe_reply_matches(buf, n, buf, n - 1));
	memcpy(copy, buf, n);
	copy[(size_t)random % n] ^= 0x20;
	check(!probe_reply_matches(buf, n, copy, n));
	size_t rl = strlen(reply);
	check(probe_reply_matches(buf, n, reply, rl) == (rl == n && memcmp(buf, reply, n) == 0));
}

/* Policy functions over the accepted configuration, inputs kept in the ranges autossh uses. */
static void fuzz_policy(const struct config *cfg, const uint8_t *data, size_t size)
{
	unsigned v = size > 10 ? (unsigned)(data[8] | data[9] << 8 | data[10] << 16) : 0;
	int tries = (int)(v % 1000);
	long grace = grace_seconds(tries, cfg->poll);
	long long ms = jittered_ms(grace, cfg->jitter, cfg->poll, (double)(v & 0xffff) / 65535.0);
	long rtts[8];

	check(grace >= 0 && grace <= cfg->poll);
	check(ms >= 0 && ms <= (long long)cfg->poll * 1000);
	check(next_tries(tries, (long long)v, cfg->poll) == 0 || next_tries(tries, (long long)v, cfg->poll) == tries + 1);
	for (int i = 0; i < 8; i++)
		rtts[i] = (long)((v >> i) & 0xfff) * (i + 1);
	long t = adaptive_timeout_ms(cfg->net_timeout_ms, rtts, (int)(v % 9));
	check(t <= cfg->net_timeout_ms && t >= (cfg->net_timeout_ms < 1000 ? cfg->net_timeout_ms : 1000));
	int status = (v & 0x100) ? (int)(v & 0x7f) % 32 + 1 : (int)(v & 0xff) << 8;
	struct exit_decision d = decide_on_exit(status, (v >> 9) & 1, cfg->gatetime > 0 && !cfg->background,
						(long long)(v >> 10), cfg->gatetime, cfg->progname);
	check(d.message[0] != '\0');
	check(d.action == ACTION_RESTART || d.exit_status == 0 || d.exit_status == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_WORDS + 1], *argv[MAX_WORDS + 2];
	int n_words = 0, argc = 0, w = 0;
	struct config cfg;
	char err[ERRLEN];

	if (size < 1)
		return 0;
	char sep = (data[0] & 0x80) ? '\n' : '\0';
	int want_env = data[0] & 0x0f, own_argv0 = data[0] & 0x10;
	default_path = !(data[0] & 0x20);

	/* Each word in its own allocation, so ASan sees any overread. */
	for (size_t start = 1; start <= size && n_words < MAX_WORDS;) {
		size_t end = start;
		while (end < size && (char)data[end] != sep)
			end++;
		words[n_words] = malloc(end - start + 1);
		if (words[n_words] == NULL)
			break;
		memcpy(words[n_words], data + start, end - start);
		words[n_words][end - start] = '\0';
		n_words++;
		start = end + 1;
	}

	n_env = 0;
	while (w < n_words && n_env < want_env)
		env_words[n_env++] = words[w++];
	argv[argc++] = own_argv0 && w < n_words ? words[w++] : (char *)(uintptr_t) "autossh";
	while (w < n_words)
		argv[argc++] = words[w++];
	argv[argc] = NULL;

	enum parse_result r = parse_config(argc, argv, fuzz_lookup, &cfg, err, sizeof err);
	switch (r) {
	case PARSE_RUN:
	case PARSE_DOCTOR:
		check_config(&cfg, argc);
		fuzz_policy(&cfg, data, size);
		break;
	case PARSE_ERROR:
	case PARSE_USAGE:
		check(err[0] != '\0' && strlen(err) < sizeof err);
		/* autossh(1) LOGGING: one line (a CR or LF in argv[0] itself is not checked) */
		check(strpbrk(err + strlen(cfg.progname), "\r\n") == NULL);
		check(strncmp(err, cfg.progname, strlen(cfg.progname)) == 0);
		break;
	default:
		break;
	}
	fuzz_probe(argc > 1 ? argv[1] : "", cfg.progname, r == PARSE_RUN ? cfg.message : "",
		   n_words > 0 ? words[n_words - 1] : "", data, size);
	config_free(&cfg);

	for (int i = 0; i < n_words; i++)
		free(words[i]);
	return 0;
}
