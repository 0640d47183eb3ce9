/*
 * autossh: start ssh, watch it and the connection, restart it when it
 * dies or stops carrying data.  A clean-room reimplementation of autossh
 * 1.4g.  The user documentation is the man page autossh.1; comments cite
 * its sections by name, as in "autossh(1) RESTARTS".
 *
 * Sections, in order: util (helpers several sections use), config (command
 * line and environment), log, policy (pure decisions), monitor (probes),
 * child (spawning and reaping ssh), notify (sd_notify), netwatch (route
 * socket, ssh's sockets), evidence (was it a stall of ours?), loop (the
 * state and the one poll()), daemon (-f), check (--check, --list), doctor
 * (--doctor), main (signals and the ladder).  Mutable file-scope state is
 * only the signal handler's pipe end, the logger, the random generator and
 * one netlink buffer; the rest is the loop's struct state.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netdb.h>
#include <pwd.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>

#include <linux/if.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#endif

#ifndef VERSION
#define VERSION "2.0.0"
#endif
#ifndef SSH_PATH
#define SSH_PATH "ssh"
#endif

extern char **environ;

/* -------------------------------------------------------------------- util */

/* Helpers used by several sections: memory, numbers, clocks, descriptors, files, randomness. */

enum { MAX_MESSAGE = 64, MAX_NAME = 64, ERRLEN = 512 };
static const long INT_MAX_L = 2147483647L;

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL) {
		fputs("autossh: out of memory\n", stderr);
		exit(1);
	}
	return copy;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL) {
		fputs("autossh: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/*
 * Numbers are read as strtoul base 0 reads them (0x hex, leading 0 octal),
 * but the whole text must be the number: no sign, blank or suffix.  A
 * leading '-' is allowed only where the range is negative.
 */
static int parse_number(const char *text, long min, long max, long *out)
{
	int negative = 0;
	const char *digits = text;
	char *end;
	unsigned long value;

	if (text[0] == '-' && min < 0) {
		negative = 1;
		digits++;
	}
	if (digits[0] < '0' || digits[0] > '9')
		return -1;
	errno = 0;
	value = strtoul(digits, &end, 0);
	if (errno != 0 || *end != '\0' || end == digits)
		return -1;
	if (value > (unsigned long)INT_MAX_L + (negative ? 1 : 0))
		return -1;
	/* -(value - 1) - 1: 2147483648 is never made a long, as long may have 32 bits. */
	long signed_value = !negative ? (long)value : value == 0 ? 0 : -(long)(value - 1) - 1;
	if (signed_value < min || signed_value > max)
		return -1;
	*out = signed_value;
	return 0;
}

/* A whole decimal number and nothing else, or -1. */
static long long decimal_or_minus1(const char *text)
{
	char *end;
	long long value;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : value;
}

/* The decimal number at the start of text (up to a blank or the end), or -1. */
static long long decimal_or_minus1_prefix(const char *text)
{
	char digits[24];
	size_t n = strcspn(text, " \n");

	if (n == 0 || n >= sizeof digits)
		return -1;
	memcpy(digits, text, n);
	digits[n] = '\0';
	return decimal_or_minus1(digits);
}

/* Quote a user's value for a one-line message: control bytes as \n, \r, \xHH. */
static const char *printable(const char *value, char *buf, size_t len)
{
	size_t k = 0;
	for (const unsigned char *c = (const unsigned char *)value; *c && k + 5 < len; c++) {
		if (*c == '\n' || *c == '\r') {
			buf[k++] = '\\';
			buf[k++] = *c == '\n' ? 'n' : 'r';
		} else if (*c < 0x20 || *c == 0x7f) {
			k += (size_t)snprintf(buf + k, len - k, "\\x%02x", *c);
		} else {
			buf[k++] = (char)*c;
		}
	}
	buf[k] = '\0';
	return buf;
}

/* Look a name up in PATH; an empty PATH entry means the current directory. */
static char *resolve_executable(const char *name, const char *path_env)
{
	struct stat st;

	if (strchr(name, '/')) {
		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0)
			return xstrdup(name);
		return NULL;
	}
	const char *dirs = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
	while (1) {
		const char *colon = strchr(dirs, ':');
		size_t dlen = colon ? (size_t)(colon - dirs) : strlen(dirs);
		char *candidate = xcalloc(dlen + strlen(name) + 3, 1);
		if (dlen == 0)
			strcpy(candidate, "./");
		else {
			memcpy(candidate, dirs, dlen);
			candidate[dlen] = '/';
		}
		strcat(candidate, name);
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
		if (!colon)
			return NULL;
		dirs = colon + 1;
	}
}

static long long timespec_ms(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/*
 * The one clock every deadline uses: CLOCK_BOOTTIME where it exists (a
 * deadline missed in a suspend fires on resume), else CLOCK_MONOTONIC.
 */
static long long monotime_ms(void)
{
	struct timespec ts;
#ifdef CLOCK_BOOTTIME
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		return timespec_ms(&ts);
#endif
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_ms(&ts);
}

struct clocks {
	long long mono_ms, boot_ms;     /* boot time counts a suspend, monotonic time does not */
};

/* Both clocks at once: their difference growing is a suspend. */
static void read_clocks(struct clocks *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->mono_ms = timespec_ms(&ts);
	c->boot_ms = c->mono_ms;
#ifdef CLOCK_BOOTTIME
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		c->boot_ms = timespec_ms(&ts);
#endif
}

/* O_NONBLOCK on: nothing in the supervisor may block. */
static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* pipe() with both ends close-on-exec (pipe2 is not in POSIX.1-2008). */
static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* All of buf, through EINTR and short writes; gives up silently on an error. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;  /* a failed write never stops supervision */
		buf += n;
		len -= (size_t)n;
	}
}

/* Random letters for a temporary name: from /dev/urandom, else time and pid mixed. */
static void random_letters(char *buf, size_t n)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char bytes[32];
	struct timespec ts;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t got = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;

	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t mix = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 40;
	for (size_t i = 0; i < n && i < sizeof bytes; i++) {
		mix = mix * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned v = (got > (ssize_t)i ? bytes[i] : 0) ^ (unsigned)(mix >> 56);
		buf[i] = letters[v % (sizeof letters - 1)];
	}
	buf[n < sizeof bytes ? n : sizeof bytes] = '\0';
}

/*
 * Create <path>.<12 random letters> exclusively, never through a symlink,
 * 0644 & ~umask: nobody can plant the name beforehand.  *tmp gets the
 * name (free it); -1 with errno if no name could be created.
 */
static int create_temp_beside(const char *path, char **tmp)
{
	size_t len = strlen(path) + 16;
	int fd = -1;

	*tmp = xcalloc(len, 1);
	for (int i = 0; i < 20 && fd < 0; i++) {
		char suffix[13];
		random_letters(suffix, 12);
		snprintf(*tmp, len, "%s.%s", path, suffix);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int saved = errno;
		free(*tmp);
		*tmp = NULL;
		errno = saved;
	}
	return fd;
}

/* A file cannot be created in path's directory because it is missing: say which. */
static void name_missing_directory(const char *path, char *why, size_t why_len)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash == NULL ? 1 : slash == path ? 1 : (int)(slash - path);

	snprintf(why, why_len, "directory %.*s does not exist", dir_len, slash == NULL ? "." : path);
}

/*
 * Can a file be created beside path?  Probes with a temporary file of an
 * unpredictable name, removed at once: a start and --doctor use the same
 * probe, so they fail on the same paths.
 */
static int probe_writable(const char *path, char *why, size_t why_len)
{
	struct stat st;
	char *tmp;
	int fd;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "%s", strerror(EISDIR));
		return -1;
	}
	fd = create_temp_beside(path, &tmp);
	if (fd < 0 && errno == ENOENT) {
		name_missing_directory(path, why, why_len);
		return -1;
	}
	if (fd < 0) {
		snprintf(why, why_len, "%s", strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
}

/* Write a temporary file beside path, then rename it over path: readers never see half a file. */
static int write_file_atomically(const char *path, const char *content)
{
	char *tmp;
	int saved = 0;
	int fd = create_temp_beside(path, &tmp);

	if (fd < 0)
		return -1;
	size_t want = strlen(content);
	ssize_t n = write(fd, content, want);
	if (n != (ssize_t)want)
		saved = n < 0 ? errno : EIO;
	if (close(fd) != 0 && saved == 0)
		saved = errno;
	if (saved == 0 && rename(tmp, path) != 0)
		saved = errno;
	if (saved != 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return saved == 0 ? 0 : -1;
}

/*
 * When a process started, in clock ticks since boot (/proc/PID/stat field
 * 22): with the pid it names one process, never a later one that reused
 * the pid.  -1 where the system does not show it.
 */
static long long process_start_time(long pid)
{
	char path[48], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold blanks and parentheses: count from the last ')'. */
	const char *field = strrchr(buf, ')');
	for (int k = 2; field != NULL && k < 22; k++)
		field = strchr(field + 1, ' ');
	return field ? decimal_or_minus1_prefix(field + 1) : -1;
}

/*
 * A tunnel's name from its status file's path (autossh(1) FILES): the
 * directory's name for ".../NAME/status", else the base name without
 * ".status".
 */
static void name_from_status_path(const char *path, char *out, size_t len)
{
	const char *base = base_name(path);
	size_t n = strlen(base);

	if (strcmp(base, "status") == 0 && base != path) {
		const char *end = base - 1, *start = end;
		while (start > path && start[-1] != '/')
			start--;
		n = (size_t)(end - start);
		snprintf(out, len, "%.*s", (int)n, start);
		if (n > 0)
			return;
	}
	if (n > 7 && strcmp(base + n - 7, ".status") == 0)
		n -= 7;
	snprintf(out, len, "%.*s", (int)n, base);
}

/* A small generator for the probe number and jitter: xorshift64*. */
static uint64_t rng_state = 88172645463325252ULL;

static void rng_seed(uint64_t seed)
{
	rng_state ^= seed * 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0)
		rng_state = 88172645463325252ULL;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* 0..2147483647, as random(3) gives. */
static long rng_probe_number(void)
{
	return (long)(rng_next() >> 33);
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740991.0;
}

#ifdef __linux__
/* Inodes of the sockets listening on TCP port in one /proc/net/tcp{,6} table; returns how many. */
static int listening_inodes(const char *table, int port, unsigned long *inodes, int max)
{
	FILE *f = fopen(table, "re");
	char line[512];
	int n = 0;

	if (f == NULL)
		return 0;
	/* "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...", in hex but the last */
	while (n < max && fgets(line, sizeof line, f)) {
		char *field[10], *save = NULL, *colon;
		int k = 0;
		for (char *w = strtok_r(line, " ", &save); w && k < 10; w = strtok_r(NULL, " ", &save))
			field[k++] = w;
		if (k < 10 || (colon = strchr(field[1], ':')) == NULL)
			continue;
		if (strtol(colon + 1, NULL, 16) == port && strtol(field[3], NULL, 16) == 0x0A)
			inodes[n++] = strtoul(field[9], NULL, 10);
	}
	(void)fclose(f);
	return n;
}

/* Does process pid hold one of the socket inodes? */
static int holds_inode(const char *pid, const unsigned long *inodes, int n)
{
	char dir_path[300], link_path[600], target[64];
	struct dirent *e;
	DIR *dir;
	int found = 0;

	snprintf(dir_path, sizeof dir_path, "/proc/%s/fd", pid);
	if ((dir = opendir(dir_path)) == NULL)
		return 0;
	while (!found && (e = readdir(dir)) != NULL) {
		ssize_t len;
		unsigned long inode;
		snprintf(link_path, sizeof link_path, "%s/%s", dir_path, e->d_name);
		len = readlink(link_path, target, sizeof target - 1);
		if (len <= 8)
			continue;
		target[len] = '\0';
		if (strncmp(target, "socket:[", 8) != 0)
			continue;
		inode = strtoul(target + 8, NULL, 10);
		for (int i = 0; i < n && !found; i++)
			found = inodes[i] == inode;
	}
	closedir(dir);
	return found;
}
#endif

/*
 * Does some socket listen on TCP port (any local address, IPv4 or IPv6)?
 * Fills pid (0 if not visible) and name ("" if not visible) of a process
 * holding it.  Linux only (/proc); elsewhere 0.
 */
static int local_port_holder(int port, long *pid, char *name, size_t name_len)
{
	*pid = 0;
	if (name_len > 0)
		name[0] = '\0';
#ifdef __linux__
	unsigned long inodes[16];
	int n = listening_inodes("/proc/net/tcp", port, inodes, 16);
	struct dirent *e;
	DIR *proc;

	n += listening_inodes("/proc/net/tcp6", port, inodes + n, 16 - n);
	if (n == 0)
		return 0;
	if ((proc = opendir("/proc")) == NULL)
		return 1;
	while ((e = readdir(proc)) != NULL) {
		char comm_path[300];
		FILE *f;
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !holds_inode(e->d_name, inodes, n))
			continue;
		*pid = strtol(e->d_name, NULL, 10);
		snprintf(comm_path, sizeof comm_path, "/proc/%s/comm", e->d_name);
		if ((f = fopen(comm_path, "re")) != NULL) {
			if (name_len > 0 && fgets(name, (int)name_len, f))
				name[strcspn(name, "\n")] = '\0';
			(void)fclose(f);
		}
		break;
	}
	closedir(proc);
	return 1;
#else
	(void)port;
	return 0;
#endif
}

/* ------------------------------------------------------------------ config */

struct config {
	const char *progname;           /* argv[0]'s base name, printable */
	char progname_buf[MAX_NAME * 4 + 8];
	int background;                 /* -f */
	int monitor_port;               /* 0: monitoring off */
	int echo_port;                  /* 0: loop mode */
	int port_given;                 /* -M or AUTOSSH_PORT seen */
	int port_from_env;
	const char *monitor_addr;       /* loopback literal */
	int monitor_addr_set;
	int debug;
	int loglevel;
	long poll, first_poll, gatetime, maxstart, maxlifetime;
	long net_timeout_ms;            /* T */
	int net_timeout_fixed;          /* AUTOSSH_NET_TIMEOUT given */
	long jitter, connect_timeout;
	int netwatch, tcp_evidence;     /* AUTOSSH_NETWATCH, AUTOSSH_TCP_EVIDENCE */
	int test_connect;               /* AUTOSSH_TEST_CONNECT */
	char message[MAX_MESSAGE + 1];
	const char *ssh_path;           /* AUTOSSH_PATH as given */
	char *ssh_exec;                 /* resolved executable */
	char *pidfile, *logfile, *statusfile;
	const char *notify_socket;
	long long watchdog_usec;
	const char *watchdog_pid;
	const char *journal_stream;
	char **ssh_argv;                /* NULL-terminated, argv[0] = ssh_path */
	int ssh_argc;
	char **ssh_envp;                /* environment minus systemd's variables */
	int poll_adjusted, first_poll_adjusted, short_poll;
	int destination_at;             /* index of the destination in ssh_argv, -1 if unexamined */
	int user_forwards;              /* -L, -R or -D among the user's words */
	const char *identity_args[16];  /* the user's -i values */
	int n_identity_args;
	int n_relative_paths;
	int doctor, doctor_connect;     /* --doctor [--connect] */
	struct { const char *name, *value; } relative_paths[8];  /* ssh's relative file names (-f breaks them) */
	const char *name;               /* AUTOSSH_NAME, NULL: from the status file's path */
	const char *onchange;           /* AUTOSSH_ONCHANGE: absolute path of a program */
	char forwards[1024];            /* the user's -L, -R, -D as given (status file "forwards") */
};

enum parse_result { PARSE_RUN, PARSE_VERSION, PARSE_HELP, PARSE_CHECK, PARSE_DOCTOR, PARSE_ERROR, PARSE_USAGE,
		    PARSE_LIST };

typedef const char *(*env_lookup)(const char *name);

/* Letters of ssh's own grammar that take a value (current OpenSSH). */
static const char ssh_value_letters[] = "BbcDEeFIiJLlmOoPpQRSWw";

/* Parse "P" or "P:E" into ports; on error fill reason and return -1. */
static int parse_monitor_spec(const char *text, int *port, int *echo_port, const char **reason)
{
	char head[64];
	const char *colon = strchr(text, ':');
	size_t head_len = colon ? (size_t)(colon - text) : strlen(text);
	long p, e = 0;

	if (head_len >= sizeof head) {
		*reason = "invalid monitor port";
		return -1;
	}
	memcpy(head, text, head_len);
	head[head_len] = '\0';
	if (parse_number(head, 0, LONG_MAX, &p) != 0) {
		*reason = "invalid monitor port";
		return -1;
	}
	if (colon) {
		if (parse_number(colon + 1, 0, LONG_MAX, &e) != 0) {
			*reason = "invalid echo port";
			return -1;
		}
		if (e < 1 || e > 65535) {
			*reason = "echo port out of range (1-65535)";
			return -1;
		}
		if (p > 65535) {
			*reason = "monitor port out of range (1-65535)";
			return -1;
		}
	} else if (p > 65534) {
		*reason = "monitor port out of range (1-65534)";
		return -1;
	}
	*port = (int)p;
	*echo_port = p == 0 ? 0 : (int)e;
	return 0;
}

struct arg_scan {
	const char *monitor_text;       /* last -M value */
	int monitor_missing;            /* -M at the end with no value */
	int monitor_insert;             /* output index where the first -M stood */
	int version;
	int destination_seen;
	int destination_at;             /* output index of the destination, -1 if none or unexamined */
	int connect_misplaced;          /* --connect not right after --doctor */
};

/* A file name ssh would take relative to its working directory (none of /, ~, %d). */
static int is_relative_ssh_path(const char *value)
{
	return *value && value[0] != '/' && value[0] != '~' && strncmp(value, "%d", 2) != 0 &&
	       strcmp(value, "none") != 0;
}

/* Does a value (space-separated file names for the known_hosts options) hold a relative name? */
static int has_relative_ssh_path(const char *value)
{
	char word[PATH_MAX];

	while (*value) {
		size_t n = strcspn(value, " ");
		snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), value);
		if (is_relative_ssh_path(word))
			return 1;
		value += n + (value[n] == ' ');
	}
	return 0;
}

/* ssh's options that name a file (ssh_config spelling); NULL if key is none of them. */
static const char *ssh_file_option(const char *key, size_t key_len)
{
	static const char *const names[] = { "IdentityFile", "CertificateFile", "UserKnownHostsFile",
					     "GlobalKnownHostsFile", "ControlPath", "IdentityAgent",
					     "RevokedHostKeys", "XAuthLocation" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == key_len && strncasecmp(names[i], key, key_len) == 0)
			return names[i];
	return NULL;
}

/* Note a relative file name among ssh's words: autossh -f runs ssh in / (autossh(1) DOCTOR). */
static void note_relative_path(struct config *cfg, char letter, const char *value)
{
	static const char letters[] = "iFES", *const letter_names[] = { "-i", "-F", "-E", "-S" };
	const char *name = NULL, *slot;

	if ((slot = strchr(letters, letter)) != NULL && letter != '\0') {
		name = letter_names[slot - letters];
	} else if (letter == 'o') {
		size_t key_len = strcspn(value, "= \t");
		name = ssh_file_option(value, key_len);
		value += key_len;
		value += strspn(value, " \t");
		value += *value == '=';
		value += strspn(value, " \t");
	}
	if (name && has_relative_ssh_path(value) && cfg->n_relative_paths < 8) {
		cfg->relative_paths[cfg->n_relative_paths].name = name;
		cfg->relative_paths[cfg->n_relative_paths++].value = value;
	}
}

/* What autossh needs to know of the user's own ssh options (those taking a value). */
static void note_ssh_option(struct config *cfg, char letter, const char *value)
{
	if (strchr("LRD", letter)) {
		size_t used = strlen(cfg->forwards);
		cfg->user_forwards = 1;
		/* Cut, not failed: the status file only shows them (autossh(1) FILES). */
		snprintf(cfg->forwards + used, sizeof cfg->forwards - used, "%s-%c %s", used ? " " : "", letter, value);
	}
	if (letter == 'i' && *value && cfg->n_identity_args < 16)
		cfg->identity_args[cfg->n_identity_args++] = value;
	note_relative_path(cfg, letter, value);
}

static int is_option_group(const char *word)
{
	return word[0] == '-' && word[1] != '\0';
}

/*
 * Read one option group (autossh(1) ARGUMENTS FOR SSH): remove autossh's letters, keep ssh's.
 * Returns how many extra words (0 or 1) the group consumed as a value.
 */
static int scan_group(char **argv, int i, int argc, struct config *cfg, struct arg_scan *scan,
		      char **out, int *out_n)
{
	const char *word = argv[i];
	size_t len = strlen(word);
	char *kept = xcalloc(len + 1, 1);
	size_t k = 0;
	int consumed = 0, value_word = -1;

	if (strcmp(word, "--connect") == 0)
		scan->connect_misplaced = 1;
	kept[k++] = '-';
	for (size_t pos = 1; pos < len; pos++) {
		char letter = word[pos];
		const char *rest = word + pos + 1;
		if (letter == 'M') {
			/* The forwards go after the letters kept before M, if any. */
			if (scan->monitor_insert < 0)
				scan->monitor_insert = *out_n + (k > 1);
			if (*rest) {
				scan->monitor_text = rest;
			} else if (i + 1 < argc) {
				scan->monitor_text = argv[i + 1];
				consumed = 1;
			} else {
				scan->monitor_missing = 1;
			}
			break;
		}
		if (letter == 'f') {
			cfg->background = 1;
			continue;
		}
		if (letter == 'V') {
			scan->version = 1;
			continue;
		}
		kept[k++] = letter;
		if (strchr(ssh_value_letters, letter)) {
			if (*rest) {
				note_ssh_option(cfg, letter, rest);
				memcpy(kept + k, rest, strlen(rest));
				k += strlen(rest);
			} else if (i + 1 < argc) {
				note_ssh_option(cfg, letter, argv[i + 1]);
				value_word = i + 1;
				consumed = 1;
			}
			break;
		}
	}
	kept[k] = '\0';
	if (k > 1)
		out[(*out_n)++] = kept;
	else
		free(kept);
	if (value_word >= 0)
		out[(*out_n)++] = xstrdup(argv[value_word]);
	return consumed;
}

/* Split the command line into ssh's words and autossh's options (autossh(1) ARGUMENTS FOR SSH). */
static void scan_arguments(int argc, char **argv, int first, struct config *cfg, struct arg_scan *scan,
			   char **out, int *out_n)
{
	int i = first;

	scan->monitor_insert = -1;
	scan->destination_at = -1;
	/* Before the destination. */
	while (i < argc && is_option_group(argv[i])) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			if (i < argc)
				scan->destination_seen = 1;
			while (i < argc)
				out[(*out_n)++] = xstrdup(argv[i++]);
			return;
		}
		i += 1 + scan_group(argv, i, argc, cfg, scan, out, out_n);
	}
	if (i >= argc)
		return;
	scan->destination_seen = 1;
	scan->destination_at = *out_n;
	out[(*out_n)++] = xstrdup(argv[i++]);
	/* After the destination, up to the remote command. */
	while (i < argc && is_option_group(argv[i]) && strcmp(argv[i], "--") != 0)
		i += 1 + scan_group(argv, i, argc, cfg, scan, out, out_n);
	while (i < argc)
		out[(*out_n)++] = xstrdup(argv[i++]);
}

static int is_loopback_literal(const char *addr, int *is_v6)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, addr, &v4) == 1) {
		*is_v6 = 0;
		return (ntohl(v4.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, addr, &v6) == 1) {
		*is_v6 = 1;
		return IN6_IS_ADDR_LOOPBACK(&v6);
	}
	return 0;
}

/* "127.0.0.1" or "[::1]" for use inside ssh forward specifications. */
static void forward_addr(const struct config *cfg, char *buf, size_t len)
{
	int is_v6 = 0;
	is_loopback_literal(cfg->monitor_addr, &is_v6);
	snprintf(buf, len, is_v6 ? "[%s]" : "%s", cfg->monitor_addr);
}

/* The -L/-R words that monitoring adds to ssh's command line (autossh(1) MONITORING). */
static int monitor_forwards(const struct config *cfg, char words[4][160])
{
	char a[64];
	int p = cfg->monitor_port;

	if (p == 0)
		return 0;
	forward_addr(cfg, a, sizeof a);
	strcpy(words[0], "-L");
	if (cfg->echo_port) {
		if (cfg->monitor_addr_set)
			snprintf(words[1], 160, "%s:%d:%s:%d", a, p, a, cfg->echo_port);
		else
			snprintf(words[1], 160, "%d:%s:%d", p, a, cfg->echo_port);
		return 2;
	}
	if (cfg->monitor_addr_set)
		snprintf(words[1], 160, "%s:%d:%s:%d", a, p, a, p);
	else
		snprintf(words[1], 160, "%d:%s:%d", p, a, p);
	strcpy(words[2], "-R");
	snprintf(words[3], 160, "%d:%s:%d", p, a, p + 1);
	return 4;
}

/*
 * A supervisor must own its ssh: no connection sharing.  ssh keeps the first
 * value it reads, so the user's own options before the destination still win
 * and only ssh_config's sharing lines lose (autossh(1) CONNECTION SHARING).
 */
static const char *const no_sharing_words[] = { "-o", "ControlMaster=no", "-o", "ControlPath=none" };
enum { N_NO_SHARING = 4 };

/* ssh's argv: the user's words, the monitor's forwards where -M stood, no sharing before the destination. */
static void build_ssh_argv(struct config *cfg, char **words, int n_words, int insert_at, int destination_at)
{
	char forwards[4][160];
	int n_fwd = monitor_forwards(cfg, forwards);
	int k = 0;

	cfg->ssh_argv = xcalloc((size_t)n_words + (size_t)n_fwd + N_NO_SHARING + 2, sizeof(char *));
	cfg->ssh_argv[k++] = xstrdup(cfg->ssh_path);
	cfg->destination_at = -1;
	if (insert_at < 0 || insert_at > n_words)
		insert_at = 0;
	for (int i = 0; i <= n_words; i++) {
		if (i == insert_at)
			for (int f = 0; f < n_fwd; f++)
				cfg->ssh_argv[k++] = xstrdup(forwards[f]);
		if (i == destination_at) {
			for (int s = 0; s < N_NO_SHARING; s++)
				cfg->ssh_argv[k++] = xstrdup(no_sharing_words[s]);
			cfg->destination_at = k;
		}
		if (i < n_words)
			cfg->ssh_argv[k++] = words[i];
	}
	cfg->ssh_argv[k] = NULL;
	cfg->ssh_argc = k;
}

/* What the user's own ssh words say about the session (autossh(1) CAUSES). */
struct ssh_words {
	int no_shell;                   /* -N */
	int has_command;                /* words after the destination */
	int keeps_failed_forwards;      /* -o ExitOnForwardFailure=no, the first such option given */
};

/* Is this -o value "ExitOnForwardFailure=no" (ssh_config syntax: any case, '=' or blanks)? */
static int option_value_is(const char *option, const char *key, const char *value)
{
	size_t key_len = strlen(key);

	if (strncasecmp(option, key, key_len) != 0)
		return -1;
	option += key_len;
	if (*option != '=' && *option != ' ' && *option != '\t')
		return -1;
	option += strspn(option, " \t");
	if (*option == '=')
		option++;
	option += strspn(option, " \t");
	return strcasecmp(option, value) == 0;
}

/* One option group: -N, and the first -o ExitOnForwardFailure; returns the index of its last word. */
static int read_ssh_group(char *const *argv, int i, int destination_at, struct ssh_words *out, int *eoff_seen)
{
	for (const char *c = argv[i] + 1; *c; c++) {
		if (*c == 'N')
			out->no_shell = 1;
		if (!strchr(ssh_value_letters, *c))
			continue;
		const char *value = c[1] ? c + 1 : argv[i + 1];
		if (!c[1] && i + 1 < destination_at)
			i++;
		int is_no = *c == 'o' && value ? option_value_is(value, "ExitOnForwardFailure", "no") : -1;
		if (is_no >= 0 && !*eoff_seen) {
			*eoff_seen = 1;
			out->keeps_failed_forwards = is_no;
		}
		break;
	}
	return i;
}

/* Walk ssh's words up to the destination as ssh reads them. */
static void read_ssh_words(char *const *argv, int destination_at, struct ssh_words *out)
{
	int eoff_seen = 0;

	memset(out, 0, sizeof *out);
	if (destination_at < 0)
		return;
	out->has_command = argv[destination_at] != NULL && argv[destination_at + 1] != NULL;
	for (int i = 1; i < destination_at && argv[i]; i++)
		if (is_option_group(argv[i]))
			i = read_ssh_group(argv, i, destination_at, out, &eoff_seen);
}

/* resolve_executable, or NULL and why not, in the words every error message uses. */
static char *find_executable(const char *name, const char *path_env, const char **why)
{
	char *found = resolve_executable(name, path_env);

	if (found == NULL)
		*why = strchr(name, '/') ? "not an executable file" : "not found in PATH";
	return found;
}

/* Make a relative path absolute against the current directory: -f changes it to / (autossh(1) FILES). */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX];

	if (path == NULL || path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return path ? xstrdup(path) : NULL;
	char *joined = xcalloc(strlen(cwd) + strlen(path) + 2, 1);
	sprintf(joined, "%s/%s", cwd, path);
	return joined;
}

/* The one form of a bad-value message: `progname: NAME: invalid value "value" (why)`. */
static void format_invalid(char *err, size_t err_len, const char *progname, const char *name, const char *value,
			   const char *why)
{
	char shown[256];
	snprintf(err, err_len, "%s: %s: invalid value \"%s\" (%s)", progname, name,
		 printable(value, shown, sizeof shown), why);
}

struct env_ctx {
	env_lookup lookup;
	const char *progname;
	char *err;
	size_t err_len;
};

/* Value of a variable, NULL if unset or empty. */
static const char *env_value(struct env_ctx *ctx, const char *name)
{
	const char *v = ctx->lookup(name);
	return v && *v ? v : NULL;
}

static int env_invalid(struct env_ctx *ctx, const char *name, const char *value, const char *expected)
{
	format_invalid(ctx->err, ctx->err_len, ctx->progname, name, value, expected);
	return -1;
}

static int env_number(struct env_ctx *ctx, const char *name, long min, long max, long *out)
{
	const char *v = env_value(ctx, name);
	char expected[96];

	if (v == NULL)
		return 0;
	if (parse_number(v, min, max, out) == 0)
		return 1;
	snprintf(expected, sizeof expected, "expected a whole number from %ld to %ld", min, max);
	return env_invalid(ctx, name, v, expected);
}

static int env_path_var(struct env_ctx *ctx, const char *name, char **out, int probe)
{
	const char *v = env_value(ctx, name);
	char why[256];

	if (v == NULL)
		return 0;
	if (probe && probe_writable(v, why, sizeof why) != 0)
		return env_invalid(ctx, name, v, why);
	*out = xstrdup(v);
	return 1;
}

/* The timing variables, in the order autossh(1) ENVIRONMENT lists them. */
static int parse_env_times(struct env_ctx *ctx, struct config *cfg)
{
	long n;
	int r;

	if (env_number(ctx, "AUTOSSH_POLL", 1, INT_MAX_L, &cfg->poll) < 0)
		return -1;
	if ((r = env_number(ctx, "AUTOSSH_FIRST_POLL", 1, INT_MAX_L, &n)) < 0)
		return -1;
	cfg->first_poll = r ? n : -1;
	if ((r = env_number(ctx, "AUTOSSH_GATETIME", 0, INT_MAX_L, &n)) < 0)
		return -1;
	if (r)
		cfg->gatetime = n;
	return env_number(ctx, "AUTOSSH_MAXSTART", -1, INT_MAX_L, &cfg->maxstart) < 0 ? -1 : 0;
}

static int parse_env_port(struct env_ctx *ctx, struct config *cfg)
{
	const char *v = env_value(ctx, "AUTOSSH_PORT");
	int port, echo;
	const char *reason;

	if (v == NULL)
		return 0;
	if (parse_monitor_spec(v, &port, &echo, &reason) != 0)
		return env_invalid(ctx, "AUTOSSH_PORT", v, reason);
	if (!cfg->port_given) {  /* -M wins over AUTOSSH_PORT */
		cfg->monitor_port = port;
		cfg->echo_port = echo;
		cfg->port_given = cfg->port_from_env = 1;
	}
	return 0;
}

static int parse_env_core(struct env_ctx *ctx, struct config *cfg)
{
	const char *v, *why;
	long n;
	int r;

	if ((v = env_value(ctx, "AUTOSSH_PATH")) != NULL) {
		cfg->ssh_path = v;
		cfg->ssh_exec = find_executable(v, ctx->lookup("PATH"), &why);
		if (cfg->ssh_exec == NULL)
			return env_invalid(ctx, "AUTOSSH_PATH", v, why);
	}
	if (ctx->lookup("AUTOSSH_DEBUG") != NULL)
		cfg->debug = 1;
	if ((r = env_number(ctx, "AUTOSSH_LOGLEVEL", 0, 7, &n)) < 0)
		return -1;
	if (r)
		cfg->loglevel = (int)n;
	if (parse_env_times(ctx, cfg) != 0)
		return -1;
	if ((v = env_value(ctx, "AUTOSSH_MESSAGE")) != NULL) {
		if (strlen(v) > MAX_MESSAGE || strpbrk(v, "\r\n"))
			return env_invalid(ctx, "AUTOSSH_MESSAGE", v, "at most 64 bytes, no CR or LF");
		strcpy(cfg->message, v);
	}
	if (parse_env_port(ctx, cfg) != 0)
		return -1;
	if (env_number(ctx, "AUTOSSH_MAXLIFETIME", 0, INT_MAX_L, &cfg->maxlifetime) < 0)
		return -1;
	if (env_path_var(ctx, "AUTOSSH_PIDFILE", &cfg->pidfile, 1) < 0)
		return -1;
	/* AUTOSSH_NTSERVICE: Cygwin-only in 1.4g, accepted and ignored. */
	if (env_path_var(ctx, "AUTOSSH_LOGFILE", &cfg->logfile, 0) < 0)
		return -1;
	return 0;
}

/* A switch: exactly 0 or 1. */
static int env_switch(struct env_ctx *ctx, const char *name, int *out)
{
	const char *v = env_value(ctx, name);

	if (v == NULL)
		return 0;
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return env_invalid(ctx, name, v, "expected 0 or 1");
	*out = v[0] == '1';
	return 1;
}

/* An absolute path to an executable regular file (AUTOSSH_ONCHANGE), or why not. */
static const char *onchange_path_problem(const char *path)
{
	struct stat st;

	if (path[0] != '/')
		return "expected an absolute path";
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		return "expected an absolute path to an executable file";
	return NULL;
}

/* The tunnel's name and the change hook (autossh(1) ENVIRONMENT). */
static int parse_env_fleet(struct env_ctx *ctx, struct config *cfg)
{
	const char *v;

	if ((v = env_value(ctx, "AUTOSSH_NAME")) != NULL) {
		if (strchr(v, '\n'))
			return env_invalid(ctx, "AUTOSSH_NAME", v, "expected text without a newline");
		cfg->name = v;
	}
	if ((v = env_value(ctx, "AUTOSSH_ONCHANGE")) != NULL) {
		const char *why = onchange_path_problem(v);
		if (why != NULL)
			return env_invalid(ctx, "AUTOSSH_ONCHANGE", v, why);
		cfg->onchange = v;
	}
	return 0;
}

static int parse_env_extensions(struct env_ctx *ctx, struct config *cfg)
{
	const char *v;
	long n;
	int r;

	if (env_switch(ctx, "AUTOSSH_NETWATCH", &cfg->netwatch) < 0 ||
	    env_switch(ctx, "AUTOSSH_TCP_EVIDENCE", &cfg->tcp_evidence) < 0 ||
	    env_switch(ctx, "AUTOSSH_TEST_CONNECT", &cfg->test_connect) < 0)
		return -1;
	if ((v = env_value(ctx, "AUTOSSH_MONITOR_ADDR")) != NULL) {
		int is_v6;
		if (!is_loopback_literal(v, &is_v6))
			return env_invalid(ctx, "AUTOSSH_MONITOR_ADDR", v,
					   "expected a loopback address such as 127.0.0.1 or ::1");
		cfg->monitor_addr = v;
		cfg->monitor_addr_set = 1;
	}
	if ((r = env_number(ctx, "AUTOSSH_NET_TIMEOUT", 100, 3600000, &n)) < 0)
		return -1;
	if (r) {
		cfg->net_timeout_ms = n;
		cfg->net_timeout_fixed = 1;
	}
	if (env_path_var(ctx, "AUTOSSH_STATUSFILE", &cfg->statusfile, 1) < 0)
		return -1;
	if (env_number(ctx, "AUTOSSH_JITTER", 0, 50, &cfg->jitter) < 0)
		return -1;
	if (env_number(ctx, "AUTOSSH_CONNECT_TIMEOUT", 0, INT_MAX_L, &cfg->connect_timeout) < 0)
		return -1;
	if (cfg->connect_timeout > 0 && cfg->monitor_port == 0) {
		v = env_value(ctx, "AUTOSSH_CONNECT_TIMEOUT");
		return env_invalid(ctx, "AUTOSSH_CONNECT_TIMEOUT", v, "needs a monitor port");
	}
	if (parse_env_fleet(ctx, cfg) != 0)
		return -1;
	cfg->notify_socket = env_value(ctx, "NOTIFY_SOCKET");
	if ((v = env_value(ctx, "WATCHDOG_USEC")) != NULL) {
		char *end;
		errno = 0;
		long long usec = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && usec > 0)
			cfg->watchdog_usec = usec;
	}
	cfg->watchdog_pid = env_value(ctx, "WATCHDOG_PID");
	cfg->journal_stream = env_value(ctx, "JOURNAL_STREAM");
	return 0;
}

/* Values derived from others once everything is read (autossh(1) SCHEDULE AND TIMEOUTS). */
static void derive_config(struct config *cfg)
{
	if (cfg->background)
		cfg->gatetime = 0;
	if (cfg->maxlifetime > 0 && cfg->poll > cfg->maxlifetime) {
		cfg->poll = cfg->maxlifetime;
		cfg->poll_adjusted = 1;
	}
	if (cfg->first_poll < 0)
		cfg->first_poll = cfg->poll;
	else if (cfg->maxlifetime > 0 && cfg->first_poll > cfg->maxlifetime) {
		cfg->first_poll = cfg->maxlifetime;
		cfg->first_poll_adjusted = 1;
	}
	if (!cfg->net_timeout_fixed) {
		cfg->net_timeout_ms = 15000;
		if (cfg->poll < 30) {
			cfg->net_timeout_ms = cfg->poll * 500;
			cfg->short_poll = 1;
		}
	}
}

/* The AUTOSSH_* variables autossh reads (autossh(1) ENVIRONMENT); keep in step with parse_env_*. */
static const char *const autossh_variables[] = {
	"AUTOSSH_PATH", "AUTOSSH_DEBUG", "AUTOSSH_LOGLEVEL", "AUTOSSH_POLL", "AUTOSSH_FIRST_POLL",
	"AUTOSSH_GATETIME", "AUTOSSH_MAXSTART", "AUTOSSH_MESSAGE", "AUTOSSH_PORT", "AUTOSSH_MAXLIFETIME",
	"AUTOSSH_PIDFILE", "AUTOSSH_LOGFILE", "AUTOSSH_NTSERVICE", "AUTOSSH_NETWATCH", "AUTOSSH_TCP_EVIDENCE",
	"AUTOSSH_MONITOR_ADDR", "AUTOSSH_NET_TIMEOUT", "AUTOSSH_STATUSFILE", "AUTOSSH_JITTER",
	"AUTOSSH_CONNECT_TIMEOUT", "AUTOSSH_TEST_CONNECT", "AUTOSSH_NAME", "AUTOSSH_ONCHANGE"
};

/*
 * An environment entry (NAME=value) named AUTOSSH_* that autossh does not
 * read: its name in buf and 1; else 0.  Not an error: 1.4g ignored them.
 */
static int unknown_autossh_variable(const char *entry, char *buf, size_t len)
{
	size_t n = strcspn(entry, "=");

	if (strncmp(entry, "AUTOSSH_", 8) != 0 || entry[n] != '=')
		return 0;
	for (size_t i = 0; i < sizeof autossh_variables / sizeof autossh_variables[0]; i++)
		if (strlen(autossh_variables[i]) == n && strncmp(entry, autossh_variables[i], n) == 0)
			return 0;
	snprintf(buf, len, "%.*s", (int)n, entry);
	return 1;
}

/* The one wording of the warning, for the doctor and a start. */
static void format_unknown_variable(char *out, size_t len, const char *name)
{
	char shown[128];
	snprintf(out, len, "%s is not an autossh variable and is ignored; check its spelling",
		 printable(name, shown, sizeof shown));
}

/* The one wording of the -f relative path warning, for the doctor and a start. */
static void format_relative_path(char *out, size_t len, const char *name, const char *value)
{
	char shown[256];
	snprintf(out, len, "%s %s is a relative path, but autossh -f runs ssh in /: give an absolute path",
		 name, printable(value, shown, sizeof shown));
}

static int is_systemd_variable(const char *entry)
{
	static const char *const names[] = { "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

static char **filtered_environment(char **env)
{
	size_t n = 0, k = 0;
	while (env && env[n])
		n++;
	char **copy = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (!is_systemd_variable(env[i]))
			copy[k++] = env[i];
	copy[k] = NULL;
	return copy;
}

static void config_defaults(struct config *cfg, const char *argv0)
{
	/* Shown in every message and log line: keep it to one line. */
	memset(cfg, 0, sizeof *cfg);
	cfg->progname = printable(base_name(argv0 && *argv0 ? argv0 : "autossh"), cfg->progname_buf,
				  sizeof cfg->progname_buf);
	cfg->monitor_addr = "127.0.0.1";
	cfg->loglevel = LOG_INFO;
	cfg->poll = 600;
	cfg->first_poll = -1;
	cfg->gatetime = 30;
	cfg->maxstart = -1;
	cfg->netwatch = cfg->tcp_evidence = cfg->test_connect = 1;
	cfg->ssh_path = SSH_PATH;
}

static void config_free(struct config *cfg)
{
	if (cfg->ssh_argv)
		for (int i = 0; cfg->ssh_argv[i]; i++)
			free(cfg->ssh_argv[i]);
	free(cfg->ssh_argv);
	free(cfg->ssh_envp);
	free(cfg->ssh_exec);
	free(cfg->pidfile);
	free(cfg->logfile);
	free(cfg->statusfile);
	cfg->ssh_argv = NULL;
	cfg->ssh_envp = NULL;
	cfg->ssh_exec = cfg->pidfile = cfg->logfile = cfg->statusfile = NULL;
}

/*
 * --doctor [--connect] first: the same parser and checks as a start follow,
 * so the two never disagree.  Returns the index of the first ssh word.
 */
static int doctor_words(int argc, char **argv, struct config *cfg)
{
	if (argc < 2 || strcmp(argv[1], "--doctor") != 0)
		return 1;
	cfg->doctor = 1;
	cfg->doctor_connect = argc >= 3 && strcmp(argv[2], "--connect") == 0;
	return cfg->doctor_connect ? 3 : 2;
}

static void free_words(char **words, int n_words)
{
	for (int i = 0; i < n_words; i++)
		free(words[i]);
	free(words);
}

/* After the scan: -M's value, the destination, the environment, ssh's executable; then ssh's argv. */
static enum parse_result check_and_build(struct config *cfg, struct env_ctx *ctx, const struct arg_scan *scan,
					 char **words, int n_words)
{
	if (scan->connect_misplaced) {
		snprintf(ctx->err, ctx->err_len, "%s: --connect must follow --doctor", cfg->progname);
		return PARSE_ERROR;
	}
	if (scan->monitor_missing) {
		snprintf(ctx->err, ctx->err_len, "%s: -M: option requires a port", cfg->progname);
		return PARSE_ERROR;
	}
	if (scan->monitor_text) {
		const char *reason;
		if (parse_monitor_spec(scan->monitor_text, &cfg->monitor_port, &cfg->echo_port, &reason) != 0) {
			char shown[256];
			snprintf(ctx->err, ctx->err_len, "%s: -M \"%s\": %s", cfg->progname,
				 printable(scan->monitor_text, shown, sizeof shown), reason);
			return PARSE_ERROR;
		}
		cfg->port_given = 1;
	}
	if (!scan->destination_seen) {
		snprintf(ctx->err, ctx->err_len, "%s: no destination host given", cfg->progname);
		return PARSE_USAGE;
	}
	if (parse_env_core(ctx, cfg) != 0 || parse_env_extensions(ctx, cfg) != 0)
		return PARSE_ERROR;
	if (cfg->ssh_exec == NULL) {
		const char *why;
		cfg->ssh_exec = find_executable(cfg->ssh_path, ctx->lookup("PATH"), &why);
		if (cfg->ssh_exec == NULL) {
			snprintf(ctx->err, ctx->err_len, "%s: %s: %s", cfg->progname, cfg->ssh_path, why);
			return PARSE_ERROR;
		}
	}
	derive_config(cfg);
	build_ssh_argv(cfg, words, n_words, cfg->port_from_env ? 0 : scan->monitor_insert, scan->destination_at);
	return cfg->doctor ? PARSE_DOCTOR : PARSE_RUN;
}

/*
 * Everything the command line and environment say, validated.  Pure but for
 * reading the filesystem to resolve AUTOSSH_PATH and to probe that the pid
 * and status files can be created.
 */
static enum parse_result parse_config(int argc, char **argv, env_lookup lookup, struct config *cfg,
				      char *err, size_t err_len)
{
	struct arg_scan scan;
	struct env_ctx ctx = { lookup, NULL, err, err_len };
	enum parse_result result;
	char **words;
	int n_words = 0;

	config_defaults(cfg, argc > 0 ? argv[0] : NULL);
	ctx.progname = cfg->progname;
	err[0] = '\0';
	/* -h is no ssh option, and neither is --version: answer them, as --help. */
	if ((argc == 2 && strcmp(argv[1], "--help") == 0) || (argc >= 2 && strcmp(argv[1], "-h") == 0))
		return PARSE_HELP;
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		return PARSE_VERSION;
	if (argc >= 2 && strcmp(argv[1], "--check") == 0)
		return PARSE_CHECK;
	if (argc >= 2 && strcmp(argv[1], "--list") == 0)
		return PARSE_LIST;
	memset(&scan, 0, sizeof scan);
	words = xcalloc((size_t)argc + 1, sizeof(char *));
	scan_arguments(argc, argv, doctor_words(argc, argv, cfg), cfg, &scan, words, &n_words);
	result = scan.version ? PARSE_VERSION : check_and_build(cfg, &ctx, &scan, words, n_words);
	if (result == PARSE_RUN || result == PARSE_DOCTOR)
		free(words);  /* its strings now belong to cfg->ssh_argv */
	else
		free_words(words, n_words);
	return result;
}

static void print_usage(FILE *to, const char *progname)
{
	fprintf(to,
		"usage: %s [-V] [-M monitor_port[:echo_port]] [-f] [SSH_OPTIONS]\n"
		"       %s --check STATUSFILE\n"
		"       %s --list [--json|--prometheus] [PATH...]\n"
		"       %s --doctor [--connect] [SSH_OPTIONS] destination\n"
		"    -M port[:echo_port]  monitor the connection on port (0 turns monitoring off);\n"
		"                         with :echo_port, use a remote echo service\n"
		"    -f                   run in the background (gate time forced to 0)\n"
		"    -V                   print the version and exit\n"
		"    --check STATUSFILE   health check: exit 0 if the tunnel is up\n"
		"    --list               every tunnel's status file, one line each\n"
		"    --doctor             check the set-up without starting it (--connect: log in once)\n"
		"environment (default):\n"
		"    AUTOSSH_PATH         ssh program to run (ssh in PATH)\n"
		"    AUTOSSH_DEBUG        log debug messages, copy to stderr (unset)\n"
		"    AUTOSSH_LOGLEVEL     syslog level threshold 0-7 (6)\n"
		"    AUTOSSH_POLL         seconds between probes (600)\n"
		"    AUTOSSH_FIRST_POLL   seconds to the first probe (AUTOSSH_POLL)\n"
		"    AUTOSSH_GATETIME     seconds ssh must live to count as started (30)\n"
		"    AUTOSSH_MAXSTART     maximum number of ssh starts (-1: no limit)\n"
		"    AUTOSSH_MESSAGE      text appended to the probe (empty)\n"
		"    AUTOSSH_PORT         monitor port, as -M (unset)\n"
		"    AUTOSSH_MAXLIFETIME  seconds before exiting (0: forever)\n"
		"    AUTOSSH_PIDFILE      write autossh's pid to this file (unset)\n"
		"    AUTOSSH_LOGFILE      log to this file, - for stderr (syslog)\n"
		"    AUTOSSH_NETWATCH     act on network changes and resume, 0 or 1 (1)\n"
		"    AUTOSSH_TCP_EVIDENCE read ssh's TCP connection state, 0 or 1 (1)\n"
		"    AUTOSSH_TEST_CONNECT test the path before a restart, 0 or 1 (1)\n"
		"    AUTOSSH_NTSERVICE    ignored (unset)\n"
		"    AUTOSSH_MONITOR_ADDR loopback address for the probe (127.0.0.1)\n"
		"    AUTOSSH_NET_TIMEOUT  fixed probe timeout in ms (adaptive)\n"
		"    AUTOSSH_STATUSFILE   keep a key=value status file here (unset)\n"
		"    AUTOSSH_JITTER       spread restart waits by +-percent (0)\n"
		"    AUTOSSH_CONNECT_TIMEOUT  restart ssh not proven after seconds (0: off)\n"
		"    AUTOSSH_NAME         the tunnel's name (from AUTOSSH_STATUSFILE)\n"
		"    AUTOSSH_ONCHANGE     program run when the state changes (unset)\n",
		progname, progname, progname, progname);
}

static const char *real_getenv(const char *name)
{
	return getenv(name);
}

static void make_paths_absolute(struct config *cfg)
{
	char **paths[] = { &cfg->pidfile, &cfg->statusfile, &cfg->ssh_exec };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char **slot = paths[i];
		char *abs = absolute_path(*slot);
		free(*slot);
		*slot = abs;
	}
	if (cfg->logfile && strcmp(cfg->logfile, "-") != 0) {
		char *abs = absolute_path(cfg->logfile);
		free(cfg->logfile);
		cfg->logfile = abs;
	}
}


/* --------------------------------------------------------------------- log */

enum log_sink { SINK_SYSLOG, SINK_FILE, SINK_STDERR, SINK_JOURNAL };

static struct {
	const char *progname;
	int threshold;
	int debug_copy;         /* AUTOSSH_DEBUG with syslog: copy to stderr */
	enum log_sink sink;
	int fd;                 /* file or stderr descriptor, -1 if none */
	int copy_fd;            /* the debug copy's descriptor, -1 if none */
	const char *path;       /* reopened on SIGHUP; NULL for inherited ones */
	int ready;              /* set up: errors go to the log as well */
	unsigned long dropped;  /* lines that did not fit since the last that did */
} logger = { "autossh", LOG_INFO, 0, SINK_SYSLOG, -1, -1, NULL, 0, 0 };

/* "alice (uid 1001)", or "uid 1001" where the name is unknown. */
static void describe_user(uid_t uid, char *out, size_t out_len)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL)
		snprintf(out, out_len, "%s (uid %ld)", found->pw_name, (long)uid);
	else
		snprintf(out, out_len, "uid %ld", (long)uid);
}

/*
 * As 1.4g, a symlinked log file is followed, unless someone else planted the
 * link: a root autossh must not append where another user points it.
 */
static int open_log_symlink(const char *path, int flags, const struct stat *link, char *why, size_t why_len)
{
	struct stat again;
	int fd;

	if (link->st_uid != 0 && link->st_uid != geteuid()) {
		char owner[96];
		describe_user(link->st_uid, owner, sizeof owner);
		snprintf(why, why_len, "a symlink owned by %s, not by root or the user autossh runs as", owner);
		errno = EPERM;
		return -1;
	}
	fd = open(path, flags, 0644);
	if (fd < 0) {
		int saved = errno;
		snprintf(why, why_len, "%s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (lstat(path, &again) != 0 || again.st_ino != link->st_ino || again.st_dev != link->st_dev) {
		close(fd);
		snprintf(why, why_len, "the symlink was replaced while it was opened");
		errno = EAGAIN;
		return -1;
	}
	return fd;
}

/*
 * O_NONBLOCK, kept: a FIFO with no reader fails at once instead of hanging
 * us, and one whose reader stalls drops lines (regular files ignore it).
 */
static int open_log_file(const char *path, int create, char *why, size_t why_len)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (create ? O_CREAT : 0);
	int fd = open(path, flags | O_NOFOLLOW, 0644);
	int saved = errno;
	struct stat link;

	if (fd >= 0)
		return fd;
	if (lstat(path, &link) == 0 && S_ISLNK(link.st_mode))
		return open_log_symlink(path, flags, &link, why, why_len);
	if (create && saved == ENOENT)
		name_missing_directory(path, why, why_len);
	else
		snprintf(why, why_len, "%s", strerror(saved));
	errno = saved;
	return -1;
}

/*
 * A descriptor of our own, above 2, for writing log lines to an inherited
 * one.  A pipe, FIFO or terminal is opened again where the system allows
 * (Linux: /proc/self/fd/N gives a new open file description), so it can be
 * non-blocking without changing the descriptor ssh shares; elsewhere the
 * writes poll first.  Sockets get non-blocking sends.
 */
static int log_writer_for(int inherited)
{
	struct stat st;

	if (fstat(inherited, &st) != 0)
		return -1;
#ifdef __linux__
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		char path[40];
		snprintf(path, sizeof path, "/proc/self/fd/%d", inherited);
		int own = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (own >= 0 && own <= STDERR_FILENO) {
			int moved = fcntl(own, F_DUPFD_CLOEXEC, 3);
			close(own);
			own = moved;
		}
		if (own >= 0)
			return own;
	}
#endif
	return fcntl(inherited, F_DUPFD_CLOEXEC, 3);
}

/* Does JOURNAL_STREAM ("device:inode") name our stderr? */
static int stderr_is_journal(const char *journal_stream)
{
	struct stat st;
	char *end;

	if (journal_stream == NULL || fstat(STDERR_FILENO, &st) != 0)
		return 0;
	errno = 0;
	unsigned long long dev = strtoull(journal_stream, &end, 10);
	if (errno != 0 || *end != ':')
		return 0;
	unsigned long long ino = strtoull(end + 1, &end, 10);
	return errno == 0 && *end == '\0' && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Set up the sinks; on failure fill why and return -1 (nothing is created). */
static int log_setup(const struct config *cfg, char *why, size_t why_len)
{
	logger.progname = cfg->progname;
	logger.threshold = cfg->debug ? LOG_DEBUG : cfg->loglevel;
	logger.debug_copy = cfg->debug;
	if (cfg->logfile == NULL) {
		logger.sink = SINK_SYSLOG;
		openlog(cfg->progname, LOG_PID, LOG_USER);
		if (cfg->debug)
			logger.copy_fd = log_writer_for(STDERR_FILENO);
	} else if (strcmp(cfg->logfile, "-") == 0) {
		logger.sink = stderr_is_journal(cfg->journal_stream) ? SINK_JOURNAL : SINK_STDERR;
		logger.fd = log_writer_for(STDERR_FILENO);
	} else if (strcmp(cfg->logfile, "/dev/stdout") == 0 || strcmp(cfg->logfile, "/dev/stderr") == 0) {
		logger.sink = SINK_FILE;
		logger.fd = log_writer_for(strcmp(cfg->logfile, "/dev/stdout") == 0 ? STDOUT_FILENO : STDERR_FILENO);
	} else {
		logger.sink = SINK_FILE;
		logger.path = cfg->logfile;
		logger.fd = open_log_file(cfg->logfile, 1, why, why_len);
		if (logger.fd < 0)
			return -1;
	}
	if (logger.sink != SINK_SYSLOG && logger.fd < 0) {
		snprintf(why, why_len, "%s", strerror(errno));
		return -1;
	}
	logger.ready = 1;
	return 0;
}

static void log_reopen(void)
{
	if (logger.path == NULL)
		return;
	char why[256];
	int fd = open_log_file(logger.path, 1, why, sizeof why);
	if (fd < 0)
		return;  /* keep writing to the old one */
	dup2(fd, logger.fd);
	close(fd);
	fcntl(logger.fd, F_SETFD, FD_CLOEXEC);
}

/*
 * One attempt to write a whole line, never waiting: 0 if it went out.  A
 * descriptor that is still blocking (no private reopen) is polled first.
 */
static int write_line_now(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	int flags = fcntl(fd, F_GETFL);
	ssize_t n;

	if (flags >= 0 && !(flags & O_NONBLOCK) && (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)))
		return -1;
	do
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOTSOCK) {
		do
			n = write(fd, buf, len);
		while (n < 0 && errno == EINTR);
	}
	return n == (ssize_t)len ? 0 : -1;
}

/* Format one line for the file, stderr or journal sink; returns its length. */
static size_t format_line(char *line, size_t size, int level, const char *message, int plain)
{
	int n;

	if (plain) {
		n = snprintf(line, size, "%s[%ld]: %s\n", logger.progname, (long)getpid(), message);
	} else if (logger.sink == SINK_JOURNAL) {
		n = snprintf(line, size, "<%d>%s\n", level, message);
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &tm);
		n = snprintf(line, size, "%s %s[%ld]: %s\n", stamp, logger.progname, (long)getpid(), message);
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		n = (int)size - 1;
		line[n - 1] = '\n';
	}
	return (size_t)n;
}

/*
 * Lines that did not fit are counted; the next line that fits goes out
 * after `<n> log lines dropped`, in the same write.
 */
static void log_line(int level, const char *message)
{
	char line[2048];
	size_t len = 0;
	int fd = logger.fd, plain = 0;

	if (logger.sink == SINK_SYSLOG) {
		syslog(level, "%s", message);
		if (!logger.debug_copy)
			return;
		fd = logger.copy_fd >= 0 ? logger.copy_fd : STDERR_FILENO;
		plain = 1;
	}
	if (logger.dropped > 0) {
		char note[64];
		snprintf(note, sizeof note, "%lu log lines dropped", logger.dropped);
		len = format_line(line, sizeof line / 2, LOG_INFO, note, plain);
	}
	len += format_line(line + len, sizeof line / 2, level, message, plain);
	if (write_line_now(fd, line, len) == 0)
		logger.dropped = 0;
	else
		logger.dropped++;
}

/* Format once, then send the same text to the sink: one line, never interleaved. */
static void logmsg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(int level, const char *fmt, ...)
{
	char message[768];
	va_list ap;

	if (level > logger.threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	for (char *c = message; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	log_line(level, message);
}

/* A setup error: one line on stderr, and in the log once it is open. */
static void report_error(const char *line)
{
	if (logger.ready) {
		/* Supervising (an exec failure): stderr may be a stalled pipe, never wait for it. */
		char copy[ERRLEN + 2];
		int n = snprintf(copy, sizeof copy, "%s\n", line);
		write_line_now(STDERR_FILENO, copy, n < (int)sizeof copy ? (size_t)n : sizeof copy - 1);
	} else {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
	if (logger.ready && !(logger.sink == SINK_STDERR || logger.sink == SINK_JOURNAL)) {
		size_t skip = strlen(logger.progname) + 2;  /* the message without "progname: " */
		int old_copy = logger.debug_copy;
		logger.debug_copy = 0;
		logmsg(LOG_ERR, "%s", strlen(line) > skip ? line + skip : line);
		logger.debug_copy = old_copy;
	}
}

static void log_startup_notes(const struct config *cfg)
{
	if (!cfg->port_given)
		logmsg(LOG_INFO, "no monitor port given, monitoring disabled");
	else if (cfg->monitor_port == 0)
		logmsg(LOG_INFO, "port set to 0, monitoring disabled");
	if (cfg->poll_adjusted)
		logmsg(LOG_INFO, "poll time is greater than lifetime, dropping poll time to %ld", cfg->poll);
	if (cfg->first_poll_adjusted)
		logmsg(LOG_INFO, "first poll time is greater than lifetime, dropping first poll time to %ld",
		       cfg->first_poll);
	if (cfg->short_poll && cfg->monitor_port)
		logmsg(LOG_INFO, "short poll time: adjusting net timeouts to %ld", cfg->net_timeout_ms);
}

/* Once, before -f goes to the background: what the doctor also warns of (autossh(1) DOCTOR). */
static void log_start_warnings(const struct config *cfg)
{
	char line[512], name[128];

	for (char **e = environ; e && *e; e++)
		if (unknown_autossh_variable(*e, name, sizeof name)) {
			format_unknown_variable(line, sizeof line, name);
			logmsg(LOG_WARNING, "%s", line);
		}
	for (int i = 0; cfg->background && i < cfg->n_relative_paths; i++) {
		format_relative_path(line, sizeof line, cfg->relative_paths[i].name, cfg->relative_paths[i].value);
		logmsg(LOG_WARNING, "%s", line);
	}
}

/* ------------------------------------------------------------------ policy */

enum exit_action { ACTION_RESTART, ACTION_EXIT };

struct exit_decision {
	enum exit_action action;
	int exit_status;
	int level;
	char message[160];
};

/* What to do when ssh exits on its own (autossh(1) RESTARTS, rows in order). */
static struct exit_decision decide_on_exit(int wait_status, int first, int gate_on, long long lived_ms,
					   long gatetime, const char *progname)
{
	struct exit_decision d = { ACTION_RESTART, 0, LOG_INFO, "" };
	int status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;

	if (WIFSIGNALED(wait_status)) {
		snprintf(d.message, sizeof d.message, "ssh exited on signal %d, restarting ssh",
			 WTERMSIG(wait_status));
		return d;
	}
	if (first && gate_on && lived_ms <= (long long)gatetime * 1000) {
		d.action = ACTION_EXIT;
		d.exit_status = 1;
		d.level = LOG_ERR;
		snprintf(d.message, sizeof d.message, "ssh exited prematurely with status %d; %s exiting", status,
			 progname);
		return d;
	}
	if (status == 255 || ((status == 1 || status == 2) && !(first && gate_on))) {
		snprintf(d.message, sizeof d.message, "ssh exited with error status %d; restarting ssh", status);
		return d;
	}
	d.action = ACTION_EXIT;
	d.exit_status = status == 0 ? 0 : 1;
	snprintf(d.message, sizeof d.message, "ssh exited with status %d; %s exiting", status, progname);
	return d;
}

/*
 * Why an ssh failed, from its own words (autossh(1) RESTARTS): each cause gets
 * its own answer.  CAUSE_NONE while the tunnel is healthy.
 */
enum ssh_cause {
	CAUSE_NONE, CAUSE_NETWORK, CAUSE_BUSY, CAUSE_AUTH, CAUSE_HOSTKEY, CAUSE_CONFIG,
	CAUSE_REMOTE_FORWARD, CAUSE_LOCAL_FORWARD, CAUSE_UNKNOWN, N_CAUSES
};

/* The cause's name in the status file, STATUS=, --check and --list (a fixed list). */
static const char *cause_name(enum ssh_cause cause)
{
	static const char *const names[N_CAUSES] = {
		"", "network", "busy", "auth", "hostkey", "config",
		"remote-forward", "local-forward", "unknown"
	};
	return (unsigned)cause < N_CAUSES ? names[cause] : "unknown";
}

/*
 * ssh's "Allocated port N for remote forward to H:P" (a -R with port 0):
 * "N:H:P" into out, as a -R specification with the port the server chose.
 */
static int parse_allocated_port(const char *line, char *out, size_t len)
{
	static const char lead[] = "Allocated port ", middle[] = " for remote forward to ";
	const char *at = strstr(line, lead);
	char *end;

	if (at == NULL)
		return 0;
	at += sizeof lead - 1;
	errno = 0;
	unsigned long port = strtoul(at, &end, 10);
	if (end == at || errno != 0 || port == 0 || port > 65535 ||
	    strncmp(end, middle, sizeof middle - 1) != 0 || end[sizeof middle - 1] == '\0')
		return 0;
	snprintf(out, len, "%lu:%s", port, end + sizeof middle - 1);
	out[strcspn(out, " \t")] = '\0';
	return 1;
}

enum { HANDED_OFF_MS = 10000 };

/*
 * An ssh asked for forwards that exits 0 at once has most likely handed its
 * session to another process (a ControlPersist master, ForkAfterAuthentication):
 * say so after the exit line, since autossh cannot supervise that process.
 */
static int looks_handed_off(int wait_status, long long lived_ms, int user_forwards)
{
	return user_forwards && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 &&
	       lived_ms < HANDED_OFF_MS;
}

/*
 * With -f ssh's stdin is /dev/null: without -N or a command the remote
 * shell reads end-of-file and ends at once, and ssh exits 0.
 */
static int shell_ended_at_once(int wait_status, long long lived_ms, int background, int no_shell, int has_command)
{
	return background && !no_shell && !has_command && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 &&
	       lived_ms < HANDED_OFF_MS;
}

/* A start this soon after the previous one counts as a quick retry (autossh(1) RESTARTS). */
static long min_uptime_seconds(long poll)
{
	return poll / 10 > 10 ? poll / 10 : 10;
}

static int next_tries(int tries, long long since_previous_start_ms, long poll)
{
	if (since_previous_start_ms >= (long long)min_uptime_seconds(poll) * 1000)
		return 0;
	return tries < INT_MAX ? tries + 1 : tries;
}

/* Seconds to wait before a start with this many quick retries behind it. */
static long grace_seconds(int tries, long poll)
{
	if (tries <= 5)
		return 0;
	long long t = tries - 5;
	if (t * t >= 300)  /* POLL·t²/300 ≥ POLL; also keeps the product in range */
		return poll;
	return (long)((long long)poll * t * t / 300);
}

/* Spread a wait by +-jitter percent, never beyond POLL; unit01 is in [0, 1]. */
static long long jittered_ms(long seconds, long jitter_percent, long poll, double unit01)
{
	double factor = 1.0 + (double)jitter_percent / 100.0 * (2.0 * unit01 - 1.0);
	long long ms = (long long)((double)seconds * 1000.0 * factor);
	long long cap = (long long)poll * 1000;
	if (jitter_percent == 0)
		return (long long)seconds * 1000;
	return ms > cap ? cap : ms;
}

/* How a line of ssh's stderr bears on the cause (autossh(1) CAUSES). */
enum line_flag {
	LINE_PLAIN = 0,
	LINE_NEVER_CAUSE = 1,           /* logged, named by the doctor, never a failure's cause */
	LINE_FORWARD_FAILED = 2,        /* a forward failed as a whole: a failed start */
	LINE_NAME_UNKNOWN = 4,          /* unknown host name: config only for a gated first start */
	LINE_AUTHENTICATED = 8,         /* ssh got past authentication */
	LINE_SERVER_DROPPED = 16        /* the server ended an established session */
};

struct line_class {
	enum ssh_cause cause;           /* CAUSE_NONE: the line tells no cause */
	int flags;
};

/* OpenSSH's own words, first match wins; kept as ssh prints them. */
static const struct {
	const char *text;
	enum ssh_cause cause;
	int flags;
} ssh_messages[] = {
	{ "Identity file ", CAUSE_NONE, LINE_NEVER_CAUSE },      /* "... not accessible: ..." */
	{ "administratively prohibited", CAUSE_NONE, LINE_NEVER_CAUSE },
	{ "Cannot assign requested address", CAUSE_NONE, LINE_PLAIN },  /* ::1 without IPv6 */
	{ "Authenticated to ", CAUSE_NONE, LINE_AUTHENTICATED },
	{ "Authentication succeeded", CAUSE_NONE, LINE_AUTHENTICATED },
	{ "Allocated port ", CAUSE_NONE, LINE_AUTHENTICATED },
	{ "remote port forwarding failed for listen port", CAUSE_REMOTE_FORWARD,
	  LINE_FORWARD_FAILED | LINE_AUTHENTICATED },
	{ "cannot listen to port", CAUSE_LOCAL_FORWARD, LINE_FORWARD_FAILED | LINE_AUTHENTICATED },
	{ "Could not request local forwarding", CAUSE_LOCAL_FORWARD, LINE_FORWARD_FAILED | LINE_AUTHENTICATED },
	{ "Address already in use", CAUSE_LOCAL_FORWARD, LINE_FORWARD_FAILED | LINE_AUTHENTICATED },
	{ "kex_exchange_identification", CAUSE_BUSY, LINE_PLAIN },
	{ "ssh_exchange_identification", CAUSE_BUSY, LINE_PLAIN },
	{ "banner exchange", CAUSE_BUSY, LINE_PLAIN },
	{ "Permission denied (", CAUSE_AUTH, LINE_PLAIN },
	{ "Too many authentication failures", CAUSE_AUTH, LINE_PLAIN },
	{ "Host key verification failed", CAUSE_HOSTKEY, LINE_PLAIN },
	{ "REMOTE HOST IDENTIFICATION HAS CHANGED", CAUSE_HOSTKEY, LINE_PLAIN },
	{ "host key is known for", CAUSE_HOSTKEY, LINE_PLAIN },
	{ "Bad configuration option", CAUSE_CONFIG, LINE_PLAIN },
	{ "Temporary failure in name resolution", CAUSE_NETWORK, LINE_PLAIN },
	{ "Could not resolve hostname", CAUSE_CONFIG, LINE_NAME_UNKNOWN },
	{ "Connection refused", CAUSE_NETWORK, LINE_PLAIN },
	{ "Connection timed out", CAUSE_NETWORK, LINE_PLAIN },
	{ "Operation timed out", CAUSE_NETWORK, LINE_PLAIN },
	{ "No route to host", CAUSE_NETWORK, LINE_PLAIN },
	{ "Network is unreachable", CAUSE_NETWORK, LINE_PLAIN },
	{ "closed by remote host", CAUSE_NETWORK, LINE_SERVER_DROPPED },
	{ "Connection closed by ", CAUSE_NETWORK, LINE_SERVER_DROPPED },
	{ "Connection reset", CAUSE_NETWORK, LINE_SERVER_DROPPED },
	{ "Timeout, server ", CAUSE_NETWORK, LINE_PLAIN },       /* "... not responding." */
	{ "Broken pipe", CAUSE_NETWORK, LINE_PLAIN },
};

/* One line of ssh's stderr against the table; ssh's debug output tells nothing but authentication. */
static struct line_class classify_ssh_line(const char *line)
{
	struct line_class c = { CAUSE_NONE, LINE_PLAIN };
	int debug = strncmp(line, "debug", 5) == 0;

	for (size_t i = 0; i < sizeof ssh_messages / sizeof ssh_messages[0]; i++) {
		if (strstr(line, ssh_messages[i].text) == NULL)
			continue;
		if (debug && !(ssh_messages[i].flags & LINE_AUTHENTICATED))
			return c;
		c.cause = ssh_messages[i].cause;
		c.flags = ssh_messages[i].flags;
		return c;
	}
	return c;
}

/*
 * What a classified line makes of this ssh's cause so far (autossh(1)
 * CAUSES): CAUSE_NONE if it changes nothing.  auth, hostkey and config only
 * before authentication; an unknown host name is config only for a gated
 * first start; the "Connection closed by ..." that follows a busy server's
 * kex_exchange_identification line restates it.
 */
static enum ssh_cause cause_of_line(struct line_class c, enum ssh_cause so_far, int authenticated, int gated_first)
{
	if (c.cause == CAUSE_NONE || (c.flags & LINE_NEVER_CAUSE))
		return CAUSE_NONE;
	if (so_far == CAUSE_BUSY && c.cause == CAUSE_NETWORK && (c.flags & LINE_SERVER_DROPPED))
		return CAUSE_NONE;
	if ((c.flags & LINE_NAME_UNKNOWN) && !gated_first)
		return CAUSE_NETWORK;
	if (authenticated && (c.cause == CAUSE_AUTH || c.cause == CAUSE_HOSTKEY || c.cause == CAUSE_CONFIG))
		return CAUSE_NONE;
	return c.cause;
}

/* The port a forward failure line names ("listen port N", "port: N", "bind [A]:N: ..."), 0 if none. */
static int forward_port_in_line(const char *line)
{
	static const char *const before[] = { "listen port ", "listen to port: ", "]:" };
	long port;

	for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
		const char *at = strstr(line, before[i]);
		if (at == NULL)
			continue;
		at += strlen(before[i]);
		char digits[8];
		size_t n = strspn(at, "0123456789");
		if (n == 0 || n >= sizeof digits)
			continue;
		memcpy(digits, at, n);
		digits[n] = '\0';
		port = strtol(digits, NULL, 10);
		return port >= 1 && port <= 65535 ? (int)port : 0;
	}
	return 0;
}

/* In STATUS= and --check: what went wrong, in words. */
static const char *cause_phrase(enum ssh_cause cause)
{
	static const char *const phrases[N_CAUSES] = {
		"", "network error", "server busy", "authentication failed", "host key not accepted",
		"configuration error", "remote forward failed", "local forward failed", "ssh failed"
	};
	return (unsigned)cause < N_CAUSES ? phrases[cause] : "ssh failed";
}

/* Causes a retry within seconds cannot fix (autossh(1) CAUSES): 60 s, then POLL. */
static int cause_needs_a_fix(enum ssh_cause cause)
{
	return cause == CAUSE_AUTH || cause == CAUSE_HOSTKEY || cause == CAUSE_CONFIG;
}

/*
 * The waits by cause (autossh(1) CAUSES).  BUSY_BASE_MS: the first busy
 * wait is drawn from 0..0.5 s, doubling with each busy failure in a row up
 * to POLL ("full jitter"), so a fleet that a full MaxStartups turned away
 * comes back spread out.  DROPPED_SPREAD_MS: after the server ended an
 * established session, the first restart is spread over 0..2 s, so the
 * sessions of one restarted sshd do not all knock at the same moment.
 */
enum { BUSY_BASE_MS = 500, DROPPED_SPREAD_MS = 2000, NEEDS_FIX_FIRST_WAIT_S = 60 };

struct wait_inputs {
	enum ssh_cause cause;
	int consecutive;                /* failures with this cause in a row, this one included (>= 1) */
	int server_dropped;             /* the server ended this ssh's established session */
	int tries;                      /* the quick restarts of autossh(1) RESTARTS */
	long poll, jitter_percent;
	double unit01;                  /* uniform in [0, 1] */
};

/* Milliseconds to wait before the next start after a failed one. */
static long long failure_wait_ms(const struct wait_inputs *in)
{
	long long poll_ms = (long long)in->poll * 1000;
	long long schedule = jittered_ms(grace_seconds(in->tries, in->poll), in->jitter_percent, in->poll, in->unit01);

	if (cause_needs_a_fix(in->cause))
		return in->consecutive <= 1 && NEEDS_FIX_FIRST_WAIT_S * 1000LL < poll_ms ? NEEDS_FIX_FIRST_WAIT_S * 1000LL
											 : poll_ms;
	if (in->cause == CAUSE_BUSY) {
		long long cap = BUSY_BASE_MS;
		for (int k = 1; k < in->consecutive && cap < poll_ms; k++)
			cap *= 2;
		if (cap > poll_ms)
			cap = poll_ms;
		return (long long)(in->unit01 * (double)cap);
	}
	if (in->server_dropped && in->consecutive <= 1) {
		long long spread = (long long)(in->unit01 * DROPPED_SPREAD_MS);
		return schedule > spread ? schedule : spread;
	}
	return schedule;
}

/* The probe line (autossh(1) MONITORING); returns its length. */
static size_t probe_message(char *buf, size_t len, const char *node, const char *prog, long pid, long random,
			    const char *message)
{
	int n = snprintf(buf, len, "%.64s %.64s %ld %ld %s\r\n", node, prog, pid, random, message);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static int probe_reply_matches(const char *expected, size_t expected_len, const char *reply, size_t reply_len)
{
	return expected_len == reply_len && memcmp(expected, reply, expected_len) == 0;
}

enum { ADAPTIVE_FACTOR = 8, ADAPTIVE_MIN_MS = 1000 };  /* first attempt: 8 x the longest round trip, >= 1 s */

/* First-attempt timeout from recent round trips (autossh(1) SCHEDULE AND TIMEOUTS). */
static long adaptive_timeout_ms(long net_timeout_ms, const long *rtts, int n_rtts)
{
	long longest = 0;
	if (n_rtts == 0)
		return net_timeout_ms;
	for (int i = 0; i < n_rtts; i++)
		if (rtts[i] > longest)
			longest = rtts[i];
	long adaptive = longest * ADAPTIVE_FACTOR < ADAPTIVE_MIN_MS ? ADAPTIVE_MIN_MS : longest * ADAPTIVE_FACTOR;
	return adaptive < net_timeout_ms ? adaptive : net_timeout_ms;
}


/* ----------------------------------------------------------------- monitor */

static socklen_t monitor_sockaddr(const struct config *cfg, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, cfg->monitor_addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return sizeof *v6;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, cfg->monitor_addr, &v4->sin_addr);
	return sizeof *v4;
}

/* A non-blocking, close-on-exec TCP socket of this family. */
static int tcp_socket_nonblocking(int family)
{
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	/* One call instead of three: probes run for months. */
	return socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
#else
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (set_nonblocking(fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
#endif
}

/* A non-blocking, close-on-exec TCP socket for addr:port. */
static int monitor_socket(const struct config *cfg, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = monitor_sockaddr(cfg, port, ss);
	return tcp_socket_nonblocking(ss->ss_family);
}

/* Bind addr:port; listen if asked, else only show that it can be bound. */
static int bind_monitor_port(const struct config *cfg, int port, int do_listen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, saved;
	int fd = monitor_socket(cfg, port, &ss, &len);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) == 0 && (!do_listen || listen(fd, 16) == 0)) {
		if (do_listen)
			return fd;
		close(fd);
		return 0;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

enum probe_phase { PROBE_IDLE, PROBE_CONNECTING, PROBE_ACCEPTING, PROBE_READING };
enum probe_result { PROBE_PENDING, PROBE_PASSED, PROBE_FAILED };

enum { RTT_HISTORY = 8 };

struct probe {
	enum probe_phase phase;
	int attempt;                    /* 1 or 2 */
	int early;                      /* failures only debug-logged */
	int extended;                   /* a local stall made this attempt wait until T */
	int conn_fd;                    /* our connection into ssh's -L port */
	int reply_fd;                   /* where the reply arrives */
	long long deadline;
	long long attempt_started_at;
	long long wrote_at;
	long timeout_ms;
	char message[256];
	size_t message_len;
	char reply[256];
	size_t reply_len;
	long rtt_ms;                    /* of the last pass */
	long rtts[RTT_HISTORY];
	int n_rtts, next_rtt;
	char node[MAX_NAME + 1];        /* uname's node name, read at the first probe */
	long pid;                       /* our pid then (after any -f fork) */
};

static void probe_close(struct probe *p)
{
	if (p->conn_fd >= 0)
		close(p->conn_fd);
	if (p->reply_fd >= 0 && p->reply_fd != p->conn_fd)
		close(p->reply_fd);
	p->conn_fd = p->reply_fd = -1;
	p->phase = PROBE_IDLE;
}

/*
 * An attempt has two bounded phases: connect (and, in loop mode, the
 * looped connection) within the timeout of the attempt's start, then the
 * reply within the timeout of the write.  Two attempts: at most 4 T.
 */
static long long probe_phase_deadline(enum probe_phase phase, long long attempt_started_at, long long wrote_at,
				      long timeout_ms)
{
	return (phase == PROBE_READING ? wrote_at : attempt_started_at) + timeout_ms;
}

static void probe_set_deadline(struct probe *p)
{
	p->deadline = probe_phase_deadline(p->phase, p->attempt_started_at, p->wrote_at, p->timeout_ms);
}

static void probe_forget_rtts(struct probe *p)
{
	p->n_rtts = 0;
	p->next_rtt = 0;
}

/* The first attempt's short window, not yet judged (autossh(1) MONITORING). */
static int probe_window_is_soft(const struct config *cfg, const struct probe *p)
{
	return p->phase != PROBE_IDLE && p->attempt == 1 && p->timeout_ms < cfg->net_timeout_ms;
}

/* Evidence of a local stall: the same attempt goes on until T. */
static void probe_extend(const struct config *cfg, struct probe *p)
{
	p->extended = 1;
	p->timeout_ms = cfg->net_timeout_ms;
	probe_set_deadline(p);
}

static void probe_send(struct probe *p, long long now)
{
	ssize_t n;
	do
		n = write(p->conn_fd, p->message, p->message_len);
	while (n < 0 && errno == EINTR);
	p->wrote_at = now;
	p->phase = PROBE_READING;
	probe_set_deadline(p);
	p->reply_len = 0;
	if (n != (ssize_t)p->message_len)
		p->deadline = now;  /* a short write is a socket error: next attempt */
}

/* The connection into ssh is up: loop mode waits for it to come back round. */
static void probe_connected(const struct config *cfg, struct probe *p, long long now)
{
	if (cfg->echo_port) {
		p->reply_fd = p->conn_fd;
		probe_send(p, now);
	} else {
		p->phase = PROBE_ACCEPTING;  /* same deadline: connect and loop within one timeout */
	}
}

static enum probe_result probe_fail_now(const struct config *cfg, struct probe *p, const char *reason)
{
	if (reason)
		logmsg(p->early ? LOG_DEBUG : LOG_INFO, "%s:%d: %s", cfg->monitor_addr, cfg->monitor_port, reason);
	probe_close(p);
	probe_forget_rtts(p);
	return PROBE_FAILED;
}

static enum probe_result probe_attempt(const struct config *cfg, struct probe *p, long long now)
{
	struct sockaddr_storage ss;
	socklen_t len;

	p->timeout_ms = p->attempt == 1 ? adaptive_timeout_ms(cfg->net_timeout_ms, p->rtts, p->n_rtts)
					: cfg->net_timeout_ms;
	logmsg(LOG_DEBUG, "%s probe to %s:%d, attempt %d, timeout %ld ms", p->early ? "early" : "regular",
	       cfg->monitor_addr, cfg->monitor_port, p->attempt, p->timeout_ms);
	p->attempt_started_at = now;
	p->extended = 0;
	p->conn_fd = monitor_socket(cfg, cfg->monitor_port, &ss, &len);
	if (p->conn_fd < 0)
		return probe_fail_now(cfg, p, strerror(errno));
	if (connect(p->conn_fd, (struct sockaddr *)&ss, len) == 0) {
		probe_connected(cfg, p, now);
		return PROBE_PENDING;
	}
	if (errno != EINPROGRESS)
		return probe_fail_now(cfg, p, strerror(errno));
	p->phase = PROBE_CONNECTING;
	probe_set_deadline(p);
	return PROBE_PENDING;
}

/* Start a probe: a new random number, shared by both attempts. */
static enum probe_result probe_start(const struct config *cfg, struct probe *p, int early, long long now)
{
	/* Read once: probes come after any -f fork and run for months. */
	if (p->node[0] == '\0') {
		struct utsname un;
		snprintf(p->node, sizeof p->node, "%s", uname(&un) == 0 ? un.nodename : "unknown");
		p->pid = (long)getpid();
	}
	p->early = early;
	p->message_len = probe_message(p->message, sizeof p->message, p->node, cfg->progname, p->pid,
				       rng_probe_number(), cfg->message);
	p->attempt = 1;
	return probe_attempt(cfg, p, now);
}

/* A late, wrong or cut-off reply or a socket error: one more try (autossh(1) SCHEDULE AND TIMEOUTS). */
static enum probe_result probe_retry(const struct config *cfg, struct probe *p, long long now, const char *why)
{
	logmsg(LOG_DEBUG, "probe attempt %d failed: %s", p->attempt, why);
	probe_close(p);
	if (p->attempt >= 2) {
		probe_forget_rtts(p);
		return PROBE_FAILED;
	}
	p->attempt = 2;
	return probe_attempt(cfg, p, now);
}

static enum probe_result probe_read_reply(const struct config *cfg, struct probe *p, long long now)
{
	ssize_t n = read(p->reply_fd, p->reply + p->reply_len, p->message_len - p->reply_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return PROBE_PENDING;
	if (n < 0)
		return probe_retry(cfg, p, now, strerror(errno));
	if (n == 0)
		return probe_retry(cfg, p, now, "connection closed before the full reply");
	p->reply_len += (size_t)n;
	if (p->reply_len < p->message_len)
		return PROBE_PENDING;
	if (!probe_reply_matches(p->message, p->message_len, p->reply, p->reply_len))
		return probe_retry(cfg, p, now, "reply does not match the message");
	p->rtt_ms = (long)(now - p->wrote_at);
	/* A round trip that waited out a local stall measured the stall, not the path. */
	if (!p->extended) {
		p->rtts[p->next_rtt] = p->rtt_ms;
		p->next_rtt = (p->next_rtt + 1) % RTT_HISTORY;
		if (p->n_rtts < RTT_HISTORY)
			p->n_rtts++;
	}
	probe_close(p);
	logmsg(LOG_DEBUG, "connection ok");
	return PROBE_PASSED;
}

/*
 * Loop mode, waiting for the looped connection: nothing is ever sent to us
 * on our own connection, so anything readable there (ssh closed it: the
 * channel was refused) ends the attempt now rather than at the timeout.
 */
static enum probe_result probe_check_own_connection(const struct config *cfg, struct probe *p, long long now)
{
	char byte;
	ssize_t n = read(p->conn_fd, &byte, 1);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return PROBE_PENDING;
	if (n < 0)
		return probe_retry(cfg, p, now, strerror(errno));
	return probe_retry(cfg, p, now, n == 0 ? "ssh closed the connection before it looped back"
					       : "data on the probe connection before it looped back");
}

/* Advance the probe after poll(); revents are for conn_fd, reply_fd, listener. */
static enum probe_result probe_advance(const struct config *cfg, struct probe *p, int listener, int conn_ev,
				       int reply_ev, int listen_ev, long long now)
{
	int was_accepting = p->phase == PROBE_ACCEPTING;

	if (p->phase == PROBE_CONNECTING && conn_ev) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(p->conn_fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0)
			return probe_fail_now(cfg, p, strerror(err));
		probe_connected(cfg, p, now);
	}
	if (p->phase == PROBE_ACCEPTING && listen_ev) {
		/* Read only after poll() says so: the accepted socket may block. */
		int fd = accept(listener, NULL, NULL);
		if (fd >= 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			p->reply_fd = fd;
			probe_send(p, now);
			return PROBE_PENDING;
		}
	}
	if (was_accepting && p->phase == PROBE_ACCEPTING && conn_ev)
		return probe_check_own_connection(cfg, p, now);
	if (p->phase == PROBE_READING && reply_ev)
		return probe_read_reply(cfg, p, now);
	return PROBE_PENDING;
}

/* What poll() would say now: a reply that came late must not lose the verdict. */
static enum probe_result probe_poll_once(const struct config *cfg, struct probe *p, int listener, long long now)
{
	struct pollfd fds[3] = { { p->conn_fd, POLLIN, 0 }, { p->reply_fd, POLLIN, 0 }, { listener, POLLIN, 0 } };

	if (p->phase == PROBE_CONNECTING)
		fds[0].events = POLLOUT;
	if (p->phase == PROBE_READING)
		fds[0].fd = -1;
	if (p->phase != PROBE_ACCEPTING)
		fds[2].fd = -1;
	if (poll(fds, 3, 0) <= 0)
		return PROBE_PENDING;
	return probe_advance(cfg, p, listener, fds[0].revents, fds[1].revents, fds[2].revents, now);
}

static enum probe_result probe_timeout(const struct config *cfg, struct probe *p, long long now)
{
	if (p->phase == PROBE_IDLE || now < p->deadline)
		return PROBE_PENDING;
	switch (p->phase) {
	case PROBE_CONNECTING:
		return probe_fail_now(cfg, p, strerror(ETIMEDOUT));
	case PROBE_ACCEPTING:
		logmsg(p->early ? LOG_DEBUG : LOG_INFO, "timeout polling to accept read connection");
		return probe_fail_now(cfg, p, NULL);
	default:
		return probe_retry(cfg, p, now, p->reply_len ? "reply cut off" : "no reply in time");
	}
}

/* Close connections to the listener that no probe is waiting for. */
static void drop_stray_connection(int listener)
{
	int fd = accept(listener, NULL, NULL);
	if (fd >= 0)
		close(fd);
}

/* Open the listener and check the monitor port (autossh(1) MONITORING). */
static int setup_monitor(const struct config *cfg, int *listener, char *err, size_t err_len)
{
	*listener = -1;
	if (cfg->monitor_port == 0)
		return 0;
	if (!cfg->echo_port) {
		*listener = bind_monitor_port(cfg, cfg->monitor_port + 1, 1);
		if (*listener < 0) {
			snprintf(err, err_len, "%s: echo port %s:%d (monitor port %d + 1): %s", cfg->progname,
				 cfg->monitor_addr, cfg->monitor_port + 1, cfg->monitor_port, strerror(errno));
			return -1;
		}
	}
	if (bind_monitor_port(cfg, cfg->monitor_port, 0) != 0) {
		snprintf(err, err_len, "%s: monitor port %s:%d: %s", cfg->progname, cfg->monitor_addr,
			 cfg->monitor_port, strerror(errno));
		return -1;
	}
	return 0;
}


/* ------------------------------------------------------------------- child */

/*
 * fork() with every signal blocked until the child has reset its handlers:
 * a signal in between would run autossh's handler in the child and write
 * into the self-pipe they share (a Ctrl-C counted twice).  The parent's
 * mask is restored at once; the child returns with everything blocked.
 */
static pid_t fork_signals_blocked(void)
{
	sigset_t all, saved;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	pid = fork();
	if (pid != 0) {
		int fork_errno = errno;
		sigprocmask(SIG_SETMASK, &saved, NULL);
		errno = fork_errno;
	}
	return pid;
}

/* In the child: default handling for every signal, then nothing blocked (async-signal-safe). */
static void child_default_signals(void)
{
	struct sigaction dfl;
	sigset_t none;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 65; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Start ssh: no shell, default signal handling, nothing blocked: ssh must behave as if started by hand. */
static pid_t spawn_ssh(const struct config *cfg, int stderr_fd, int *exec_errno)
{
	int report[2];
	pid_t parent = getpid(), pid;

	*exec_errno = 0;
	if (cloexec_pipe(report) != 0) {
		*exec_errno = errno;
		return -1;
	}
	pid = fork_signals_blocked();
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		int err;
		child_default_signals();
#ifdef PR_SET_PDEATHSIG
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
#else
		(void)parent;
#endif
		if (stderr_fd >= 0)
			dup2(stderr_fd, STDERR_FILENO);
		execve(cfg->ssh_exec, cfg->ssh_argv, cfg->ssh_envp);
		err = errno;
		(void)!write(report[1], &err, sizeof err);
		_exit(127);
	}
	close(report[1]);
	if (pid < 0) {
		*exec_errno = errno;
		close(report[0]);
		return -1;
	}
	/* The report pipe closes at exec: this read ends as soon as ssh runs. */
	ssize_t n;
	do
		n = read(report[0], exec_errno, sizeof *exec_errno);
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n == (ssize_t)sizeof *exec_errno) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	*exec_errno = 0;
	return pid;
}

/*
 * AUTOSSH_ONCHANGE's program (autossh(1) ENVIRONMENT): at most one runs, in its
 * own process group; changes while it runs are coalesced into the next run.
 */
struct onchange {
	pid_t pid;                      /* the running hook (its group's id too), 0 if none */
	int exited, wait_status;        /* reaped, not yet acted on */
	int out_fd;                     /* read end of its stdout and stderr, -1 if none */
	char out_line[513];             /* a partial line of its output */
	size_t out_len;
	long long kill_at;              /* when its group is killed; 0 if not pending */
	int due;                        /* a change not yet announced: run once the current run ends */
	char said_state[16];            /* the state and reason the last run was for */
	char said_reason[300];
};

static void onchange_init(struct onchange *h)
{
	memset(h, 0, sizeof *h);
	h->out_fd = -1;
}

/* Reap every exited child; report our ssh's status if it was among them, and note the hook's. */
static int reap_children(pid_t ssh_pid, int *ssh_status, struct onchange *hook)
{
	int status, found = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == ssh_pid) {
			*ssh_status = status;
			found = 1;
		} else if (hook && pid == hook->pid) {
			hook->wait_status = status;
			hook->exited = 1;
		}
	return found;
}

/*
 * Start the hook: no shell, its own process group, stdin /dev/null, stdout
 * and stderr into out_fd, default signal handling.  Everything it needs is
 * built before the fork (only async-signal-safe calls in the child).
 */
static pid_t spawn_onchange(const char *path, char *const envp[], int out_fd)
{
	char *const argv[] = { (char *)path, NULL };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	pid_t pid;

	if (devnull < 0)
		return -1;
	pid = fork_signals_blocked();
	if (pid == 0) {
		child_default_signals();
		setpgid(0, 0);
		dup2(devnull, STDIN_FILENO);
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
		execve(path, argv, envp);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid);  /* as in the child: whichever runs first */
	close(devnull);
	return pid;
}


/* ------------------------------------------------------------------ notify */

/* Remove path only if it still says what we wrote there. */
static void remove_if_ours(const char *path, const char *expected_start)
{
	char buf[64];
	ssize_t n = 0;
	int fd;

	if (path == NULL)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return;
	buf[n] = '\0';
	if (strncmp(buf, expected_start, strlen(expected_start)) == 0)
		unlink(path);
}

/* Where sd_notify datagrams go: NOTIFY_SOCKET, and our socket once opened (-1 before). */
struct notifier {
	const char *socket;
	int fd;
};

/*
 * One sd_notify datagram; other forms of the address and errors are ignored.
 * Non-blocking: a stalled service manager drops a datagram, never stops us.
 */
static void notify_send(struct notifier *n, const char *text)
{
	const char *notify_socket = n->socket;
	struct sockaddr_un addr;
	size_t path_len;

	if (notify_socket == NULL || (notify_socket[0] != '/' && notify_socket[0] != '@'))
		return;
	path_len = strlen(notify_socket);
	if (path_len >= sizeof addr.sun_path)
		return;
	if (n->fd < 0) {
		n->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (n->fd < 0)
			return;
		fcntl(n->fd, F_SETFD, FD_CLOEXEC);
		set_nonblocking(n->fd);
	}
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, notify_socket, path_len);
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0';
	sendto(n->fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&addr,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len));
}


/* ---------------------------------------------------------------- netwatch */

/*
 * What the host's own network says (autossh(1) NETWORK CHANGES): the route
 * socket, resume from suspend, and which TCP connection is ssh's.  The
 * decisions are pure functions; only the socket and /proc readers are not.
 */

enum { NET_REPEAT_MS = 1000, NET_HOLD_MS = 1000 };
enum { MAX_FORWARDS = 16, MAX_OWNED = 64, WHAT_LEN = 96 };
enum { NETLINK_OVERRUN = 1, ROUTE_RCVBUF = 256 * 1024 };

/* TCP states as /proc/net/tcp and tcp_info number them. */
enum { TCPS_ESTABLISHED = 1, TCPS_SYN_SENT = 2, TCPS_LISTEN = 10 };

struct tcp_socket {
	int family;                     /* AF_INET or AF_INET6; 0: none */
	unsigned char local[16], remote[16];
	int local_port, remote_port;
	int state;
	unsigned long inode;
	long pid;                       /* the process holding it */
	int fd, depth;                  /* its descriptor; 0: ssh itself, 1: a child ... */
};

/* ssh's connection to the server, and the ports ssh listens on. */
struct ssh_sockets {
	struct tcp_socket conn;         /* family 0: none found */
	int listen_ports[MAX_FORWARDS];
	int n_listen;
	int proxied;                    /* a proxy holds the connection: never one of ssh's own sockets */
	unsigned long held;             /* a digest of the socket inodes ssh and its children held then */
	int unplaced;                   /* of those, not in the TCP tables: not TCP, or not yet listening */
};

static int port_listed(int port, const int *ports, int n)
{
	for (int i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* Split a forward specification at the colons outside [brackets]; returns the number of fields. */
static int split_forward_spec(const char *spec, char fields[4][256])
{
	int n = 0, bracket = 0;
	size_t k = 0;

	for (const char *c = spec;; c++) {
		if (*c == '[' || *c == ']')
			bracket = *c == '[';
		if ((*c == ':' && !bracket) || *c == '\0') {
			if (n < 4)
				fields[n][k] = '\0';
			n++;
			k = 0;
			if (*c == '\0')
				return n;
		} else if (n < 4 && k < 255) {
			fields[n][k++] = *c;
		}
	}
}

/* The local port of a -L specification (0 where it listens on a socket path). */
static int forward_port_of(const char *spec)
{
	char fields[4][256];
	int n;
	long value;

	if (spec[0] == '/' || strlen(spec) >= 256)
		return 0;
	n = split_forward_spec(spec, fields);
	/* port:host:hostport, bind:port:host:hostport, [bind:]port:/socket */
	const char *port = n == 4 ? fields[1] : n == 3 && fields[2][0] == '/' ? fields[1] : n >= 2 ? fields[0] : "";
	return parse_number(port, 1, 65535, &value) == 0 ? (int)value : 0;
}

/* Walk ssh's options as ssh reads them, up to the destination. */
static int local_forward_ports(char *const *argv, int *ports, int max)
{
	int n = 0;

	for (int i = 1; argv[i] && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		for (const char *c = argv[i] + 1; *c; c++) {
			if (!strchr(ssh_value_letters, *c))
				continue;
			const char *value = c[1] ? c + 1 : argv[i + 1];
			if (!c[1] && argv[i + 1])
				i++;
			int port = value && *c == 'L' ? forward_port_of(value) : 0;
			if (port > 0 && n < max && !port_listed(port, ports, n))
				ports[n++] = port;
			break;
		}
	}
	return n;
}

/* ssh option letter with its value: -J, or -o ProxyJump or ProxyCommand (not "none")? */
static int names_proxy(char letter, const char *value)
{
	if (letter == 'J')
		return 1;
	if (letter != 'o' || (strncasecmp(value, "ProxyJump", 9) != 0 && strncasecmp(value, "ProxyCommand", 12) != 0))
		return 0;
	value += strcspn(value, " \t=");
	value += strspn(value, " \t=");
	return strcasecmp(value, "none") != 0;
}

/* -J, or -o ProxyJump or ProxyCommand (not "none"), among ssh's options up to the destination. */
static int proxy_in_arguments(char *const *argv)
{
	for (int i = 1; argv[i] && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		for (const char *c = argv[i] + 1; *c; c++) {
			if (!strchr(ssh_value_letters, *c))
				continue;
			const char *value = c[1] ? c + 1 : argv[i + 1];
			if (!c[1] && argv[i + 1])
				i++;
			if (value && names_proxy(*c, value))
				return 1;
			break;
		}
	}
	return 0;
}

/* Every -L port has a listener of ssh's own. */
static int forwards_listening(const struct ssh_sockets *s, const int *wanted, int n_wanted)
{
	for (int i = 0; i < n_wanted; i++)
		if (!port_listed(wanted[i], s->listen_ports, s->n_listen))
			return 0;
	return 1;
}

/* Where the kernel would send a packet to the server from (view_path). */
struct path_end {
	int reachable;
	unsigned char source[16];
};

struct path_view {
	int looked;                     /* 0: not looked at (no route socket, not Linux) */
	struct path_end ends[2];        /* the server; or IPv4 and IPv6 "anywhere" */
};

/*
 * Did the path to the server change between two views?  Only then can a
 * network change be why a start failed, or a reason to start before the
 * backoff wait ends: churn elsewhere (a container's veth) changes nothing.
 */
static int path_changed(const struct path_view *before, const struct path_view *after)
{
	if (!before->looked || !after->looked)
		return 0;
	for (int i = 0; i < 2; i++)
		if (before->ends[i].reachable != after->ends[i].reachable ||
		    memcmp(before->ends[i].source, after->ends[i].source, sizeof before->ends[i].source) != 0)
			return 1;
	return 0;
}

enum net_kind { NET_NONE, NET_LINK_UP, NET_LINK_DOWN, NET_ADDR_ADDED, NET_ADDR_REMOVED, NET_ROUTE_CHANGED };
enum net_effect { NET_IGNORE, NET_CHEAP, NET_SUSPICIOUS };

/* One message of the route socket, reduced to what the decisions need. */
struct net_event {
	enum net_kind kind;
	int family, ifindex, prefix_len;
	unsigned char addr[16];
	int link_up;                    /* links: up and running */
	int admin_up;                   /* links: IFF_UP (set up by an administrator) */
	int deprecated, tentative;      /* addresses */
	char ifname[32];
};

/* Coalescing: cheap actions at most once per NET_REPEAT_MS, none lost; a hold for suspects. */
struct net_coalesce {
	long long last_cheap_at;        /* 0: never */
	long long cheap_due;            /* a cheap action held back by the repeat limit */
	long long hold_until;           /* 0: no suspect change pending */
	long long hold_since;
	char what[WHAT_LEN];            /* the first change that mattered since the last action */
	char hold_what[WHAT_LEN];
};

enum { NET_DO_CHEAP = 1, NET_DO_HOLD = 2 };

/* A held-back cheap action whose time has come. */
static int coalesce_due(struct net_coalesce *c, long long now)
{
	if (c->cheap_due == 0 || now < c->cheap_due)
		return 0;
	c->cheap_due = 0;
	c->last_cheap_at = now;
	return 1;
}

static void describe_address(int family, const unsigned char *addr, char *buf, size_t len)
{
	if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

enum addr_state { ADDR_PRESENT, ADDR_GONE, ADDR_IF_DOWN, ADDR_UNKNOWN };

/* addr (4 or 16 bytes of family) and port as a socket address. */
static socklen_t socket_address(int family, const unsigned char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		memcpy(&v4->sin_addr, addr, 4);
		return sizeof *v4;
	}
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons((uint16_t)port);
	memcpy(&v6->sin6_addr, addr, 16);
	return sizeof *v6;
}

/*
 * The host's addresses and links as the route socket announced them: an
 * address announced again (a lifetime refresh: a router advertisement, a
 * DHCP renewal) is no change; a link seen without carrier and then with
 * it is a carrier back, which the kernel reports with no flag change.  A
 * full table forgets nothing and treats the rest as new.
 */
enum { MAX_KNOWN_ADDRS = 64, MAX_KNOWN_LINKS = 32 };
struct known_address {
	int family, ifindex;
	unsigned char addr[16];
};
struct known_link {
	int ifindex, up;
};
struct known_net {
	int n, n_links;
	struct known_address a[MAX_KNOWN_ADDRS];
	struct known_link links[MAX_KNOWN_LINKS];
};


#ifdef __linux__

/* Linux: the readers of /proc and route messages and their decisions (pure), then the sockets. */

static int address_index(const struct known_net *set, int family, int ifindex, const unsigned char *addr)
{
	for (int i = 0; i < set->n; i++)
		if (set->a[i].family == family && set->a[i].ifindex == ifindex &&
		    memcmp(set->a[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return i;
	return -1;
}

/* Record an address added (1 if it was already there: a refresh) or removed (0). */
static int note_address(struct known_net *set, int added, int family, int ifindex, const unsigned char *addr)
{
	int i = address_index(set, family, ifindex, addr);

	if (!added) {
		if (i >= 0)
			set->a[i] = set->a[--set->n];
		return 0;
	}
	if (i >= 0)
		return 1;
	if (set->n < MAX_KNOWN_ADDRS) {
		struct known_address *k = &set->a[set->n++];
		k->family = family;
		k->ifindex = ifindex;
		memcpy(k->addr, addr, 16);
	}
	return 0;
}

/* 8 or 32 hex digits, 32-bit words in host order as /proc/net/tcp prints them. */
static int parse_hex_address(const char *hex, unsigned char *out)
{
	size_t len = strlen(hex);

	if (len != 8 && len != 32)
		return -1;
	for (size_t w = 0; w < len / 8; w++) {
		char word[9], *end;
		memcpy(word, hex + 8 * w, 8);
		word[8] = '\0';
		uint32_t v = (uint32_t)strtoul(word, &end, 16);
		if (*end != '\0')
			return -1;
		memcpy(out + 4 * w, &v, 4);
	}
	return (int)(len / 8);
}

/* The next blank-separated word of *line, at most len - 1 bytes; "" at the end. */
static const char *next_word(const char **line, char *word, size_t len)
{
	const char *c = *line + strspn(*line, " \t");
	size_t n = strcspn(c, " \t\n");

	if (n >= len)
		n = len - 1;
	memcpy(word, c, n);
	word[n] = '\0';
	*line = c + strcspn(c, " \t\n");
	return word;
}

/* "0100007F:0016": an address and a port, both hex. */
static int parse_endpoint(const char *text, unsigned char *addr, int *port)
{
	char hex[40], *end;
	const char *colon = strchr(text, ':');
	unsigned long value;

	if (colon == NULL || (size_t)(colon - text) >= sizeof hex)
		return -1;
	memcpy(hex, text, (size_t)(colon - text));
	hex[colon - text] = '\0';
	value = strtoul(colon + 1, &end, 16);
	if (*end != '\0' || end == colon + 1 || value > 65535)
		return -1;
	*port = (int)value;
	return parse_hex_address(hex, addr);
}

/* One line of /proc/net/tcp or tcp6; -1 for the header or anything else. */
static int parse_proc_tcp_line(const char *line, struct tcp_socket *s)
{
	char word[64], *end;
	int words;

	memset(s, 0, sizeof *s);
	next_word(&line, word, sizeof word);  /* "sl:" */
	if (word[0] == '\0' || word[strlen(word) - 1] != ':')
		return -1;
	words = parse_endpoint(next_word(&line, word, sizeof word), s->local, &s->local_port);
	if (words < 0 || parse_endpoint(next_word(&line, word, sizeof word), s->remote, &s->remote_port) != words)
		return -1;
	s->state = (int)strtoul(next_word(&line, word, sizeof word), &end, 16);
	if (*end != '\0' || end == word)
		return -1;
	for (int skip = 0; skip < 5; skip++)  /* tx:rx, tr:when, retrnsmt, uid, timeout */
		next_word(&line, word, sizeof word);
	s->inode = strtoul(next_word(&line, word, sizeof word), &end, 10);
	if (*end != '\0' || end == word)
		return -1;
	s->family = words == 1 ? AF_INET : AF_INET6;
	return 0;
}

/* Does candidate a beat b?  A proxy below ssh first, then the oldest descriptor. */
static int better_connection(const struct tcp_socket *a, const struct tcp_socket *b)
{
	if (b->family == 0)
		return 1;
	if ((a->depth > 0) != (b->depth > 0))
		return a->depth > 0;
	if (a->depth != b->depth)
		return a->depth < b->depth;
	return a->fd < b->fd;
}

/*
 * From the TCP sockets of ssh and its descendants: the ports ssh listens on
 * and its connection to the server, the established (or connecting) socket
 * that is not one its own listeners accepted.  With ProxyJump or
 * ProxyCommand (proxied: ssh has a child, or a proxy is configured) the
 * proxy below ssh holds it, never ssh (ssh's own are forwarded
 * connections then); otherwise ssh's oldest one.
 */
static void choose_ssh_sockets(const struct tcp_socket *socks, int n, int proxied, struct ssh_sockets *out)
{
	memset(out, 0, sizeof *out);
	out->proxied = proxied;
	for (int i = 0; i < n; i++)
		if (socks[i].depth == 0 && socks[i].state == TCPS_LISTEN && out->n_listen < MAX_FORWARDS &&
		    !port_listed(socks[i].local_port, out->listen_ports, out->n_listen))
			out->listen_ports[out->n_listen++] = socks[i].local_port;
	for (int i = 0; i < n; i++) {
		const struct tcp_socket *s = &socks[i];
		if (s->state != TCPS_ESTABLISHED && s->state != TCPS_SYN_SENT)
			continue;
		if (s->depth == 0 && (proxied || port_listed(s->local_port, out->listen_ports, out->n_listen)))
			continue;
		if (better_connection(s, &out->conn))
			out->conn = *s;
	}
}

/* a (family fa) and b (family fb) are the same address; IPv4-mapped IPv6 counts. */
static int same_address(int fa, const unsigned char *a, int fb, const unsigned char *b)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (fa == fb)
		return memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
	if (fa == AF_INET6)
		return memcmp(a, mapped, 12) == 0 && memcmp(a + 12, b, 4) == 0;
	return memcmp(b, mapped, 12) == 0 && memcmp(b + 12, a, 4) == 0;
}

/* Is addr inside the route's prefix? */
static int route_covers(const struct net_event *route, int family, const unsigned char *addr)
{
	unsigned char v4[4];
	if (family == AF_INET6 && route->family == AF_INET) {
		if (!same_address(AF_INET6, addr, AF_INET, addr + 12))
			return 0;
		memcpy(v4, addr + 12, 4);
		addr = v4;
		family = AF_INET;
	}
	if (family != route->family)
		return 0;
	int bits = route->prefix_len;
	int bytes = bits / 8;
	if (memcmp(route->addr, addr, (size_t)bytes) != 0)
		return 0;
	if (bits % 8 == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
	return (route->addr[bytes] & mask) == (addr[bytes] & mask);
}

/* 169.254.0.0/16 or fe80::/10: an address for the link itself. */
static int is_link_local(int family, const unsigned char *addr)
{
	if (family == AF_INET)
		return addr[0] == 169 && addr[1] == 254;
	return family == AF_INET6 && addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

/*
 * Does this change matter (autossh(1) NETWORK CHANGES)?  A cheap one asks
 * for a start or a probe now; a suspect one may have cut ssh's connection
 * off, which is checked again once it has held for NET_HOLD_MS.  conn is
 * ssh's connection if known (family 0 otherwise).
 */
static enum net_effect net_event_effect(const struct net_event *ev, const struct tcp_socket *conn)
{
	switch (ev->kind) {
	case NET_LINK_UP:
		return NET_CHEAP;
	case NET_LINK_DOWN:
		return NET_SUSPICIOUS;
	case NET_ADDR_ADDED:
		/*
		 * Not usable yet, still valid (a deprecated IPv6 address is not
		 * removed), or link-local (every new link gets one; it reaches no server).
		 */
		return ev->tentative || ev->deprecated || is_link_local(ev->family, ev->addr) ? NET_IGNORE : NET_CHEAP;
	case NET_ADDR_REMOVED:
		if (conn->family && same_address(ev->family, ev->addr, conn->family, conn->local))
			return NET_SUSPICIOUS;
		if (is_link_local(ev->family, ev->addr))
			return NET_IGNORE;
		return conn->family ? NET_CHEAP : NET_SUSPICIOUS;
	case NET_ROUTE_CHANGED:
		if (ev->prefix_len == 0 || (conn->family && route_covers(ev, conn->family, conn->remote)))
			return NET_CHEAP;
		return NET_IGNORE;
	default:
		return NET_IGNORE;
	}
}

static int coalesce_change(struct net_coalesce *c, enum net_effect effect, const char *what, long long now)
{
	int act = 0;

	if (effect == NET_IGNORE)
		return 0;
	if (c->what[0] == '\0')
		snprintf(c->what, sizeof c->what, "%s", what);
	if (c->last_cheap_at == 0 || now - c->last_cheap_at >= NET_REPEAT_MS) {
		c->last_cheap_at = now;
		c->cheap_due = 0;
		act |= NET_DO_CHEAP;
	} else if (c->cheap_due == 0) {
		c->cheap_due = c->last_cheap_at + NET_REPEAT_MS;
	}
	/* The condition must hold NET_HOLD_MS after the last suspect change; a storm delays it a little. */
	if (effect == NET_SUSPICIOUS) {
		if (c->hold_until == 0) {
			c->hold_since = now;
			snprintf(c->hold_what, sizeof c->hold_what, "%s", what);
			act |= NET_DO_HOLD;
		}
		c->hold_until = now + NET_HOLD_MS;
		if (c->hold_until > c->hold_since + 4LL * NET_HOLD_MS)
			c->hold_until = c->hold_since + 4LL * NET_HOLD_MS;
	}
	return act;
}

/* "link eth0 down", "address 10.0.0.5 removed", "route 0.0.0.0/0 changed" */
static void describe_event(const struct net_event *ev, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	describe_address(ev->family == AF_INET6 ? AF_INET6 : AF_INET, ev->addr, addr, sizeof addr);
	switch (ev->kind) {
	case NET_LINK_UP:
	case NET_LINK_DOWN:
		if (ev->ifname[0])
			snprintf(buf, len, "link %s %s", ev->ifname, ev->kind == NET_LINK_UP ? "up" : "down");
		else
			snprintf(buf, len, "link %d %s", ev->ifindex, ev->kind == NET_LINK_UP ? "up" : "down");
		break;
	case NET_ADDR_ADDED:
	case NET_ADDR_REMOVED:
		snprintf(buf, len, "address %s %s", addr, ev->kind == NET_ADDR_ADDED ? "added" : "removed");
		break;
	default:
		snprintf(buf, len, "route %s/%d changed", addr, ev->prefix_len);
		break;
	}
}


/* Copy attribute a into out (at most len bytes, zero-filled). */
static void take_attribute(const struct rtattr *a, void *out, size_t len)
{
	size_t have = RTA_PAYLOAD(a);
	memset(out, 0, len);
	memcpy(out, RTA_DATA(a), have < len ? have : len);
}

static void parse_link_message(const struct nlmsghdr *h, struct net_event *ev)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);

	ev->ifindex = ifi->ifi_index;
	/* Carrier (LOWER_UP) comes before the operational state (RUNNING) follows it. */
	ev->admin_up = (ifi->ifi_flags & IFF_UP) != 0;
	ev->link_up = ev->admin_up && (ifi->ifi_flags & (IFF_RUNNING | IFF_LOWER_UP));
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			take_attribute(a, ev->ifname, sizeof ev->ifname - 1);
	/*
	 * Down means set down or removed; a carrier loss alone is nothing (the
	 * routes stay, and TCP carries a connection across it), its return is
	 * a link up.
	 */
	if (h->nlmsg_type == RTM_DELLINK || ((ifi->ifi_change & IFF_UP) && !ev->admin_up))
		ev->kind = NET_LINK_DOWN;
	else if ((ifi->ifi_change & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP)) && ev->link_up)
		ev->kind = NET_LINK_UP;
}

static void parse_address_message(const struct nlmsghdr *h, struct net_event *ev)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h);
	uint32_t flags = ifa->ifa_flags;
	int have_local = 0;

	ev->family = ifa->ifa_family;
	ev->ifindex = (int)ifa->ifa_index;
	ev->prefix_len = ifa->ifa_prefixlen;
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		/* IFA_LOCAL is this host's end of a point-to-point link; IFA_ADDRESS the peer's. */
		if (a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !have_local)) {
			take_attribute(a, ev->addr, sizeof ev->addr);
			have_local |= a->rta_type == IFA_LOCAL;
		} else if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= sizeof flags) {
			memcpy(&flags, RTA_DATA(a), sizeof flags);
		}
	}
	ev->deprecated = (flags & IFA_F_DEPRECATED) != 0;
	ev->tentative = (flags & IFA_F_TENTATIVE) != 0;
	ev->kind = h->nlmsg_type == RTM_NEWADDR ? NET_ADDR_ADDED : NET_ADDR_REMOVED;
}

static void parse_route_change(const struct nlmsghdr *h, struct net_event *ev)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h);
	unsigned table = rt->rtm_table;

	ev->family = rt->rtm_family;
	ev->prefix_len = rt->rtm_dst_len;
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_DST)
			take_attribute(a, ev->addr, sizeof ev->addr);
		else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(uint32_t))
			memcpy(&table, RTA_DATA(a), sizeof(uint32_t));
	}
	/* The host's own addresses (table local), broadcast, multicast and cache entries are not paths. */
	if (table == RT_TABLE_LOCAL || (rt->rtm_flags & RTM_F_CLONED) ||
	    (rt->rtm_type != RTN_UNICAST && rt->rtm_type != RTN_BLACKHOLE && rt->rtm_type != RTN_UNREACHABLE &&
	     rt->rtm_type != RTN_PROHIBIT))
		return;
	ev->kind = NET_ROUTE_CHANGED;
}

/* A route socket message as a net_event (kind NET_NONE for anything else). */
static void parse_route_message(const struct nlmsghdr *h, struct net_event *ev)
{
	memset(ev, 0, sizeof *ev);
	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			parse_link_message(h, ev);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
			parse_address_message(h, ev);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg)))
			parse_route_change(h, ev);
		break;
	default:
		break;
	}
}

/* The route socket: links, addresses, routes; close-on-exec, non-blocking. */
static int route_socket_open(void)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
		       RTMGRP_IPV6_ROUTE;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* Room for a burst (a VPN coming up, a container host's churn); an overrun is still survived. */
	int rcvbuf = ROUTE_RCVBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	return fd;
}

/* Aligned for struct nlmsghdr; one datagram of either netlink socket. */
static union {
	struct nlmsghdr h;
	char bytes[16384];
} netlink_buf;

/* NLMSG_OK and NLMSG_NEXT without their mixed-sign comparisons. */
static int netlink_fits(const struct nlmsghdr *h, size_t left)
{
	return left >= sizeof *h && h->nlmsg_len >= sizeof *h && h->nlmsg_len <= left;
}

static const struct nlmsghdr *netlink_next(const struct nlmsghdr *h, size_t *left)
{
	size_t step = NLMSG_ALIGN(h->nlmsg_len);
	*left = step < *left ? *left - step : 0;
	return (const struct nlmsghdr *)(const void *)((const char *)h + step);
}

/* Only the kernel speaks on these sockets: a process that sends to ours is not heard. */
static int netlink_from_kernel(const struct sockaddr_nl *from, socklen_t len)
{
	return len >= sizeof *from && from->nl_family == AF_NETLINK && from->nl_pid == 0;
}

/*
 * Read one datagram; call each(message) for every message in it.  -1 when
 * empty, NETLINK_OVERRUN when messages were lost (ENOBUFS: the socket goes on).
 */
static int netlink_read(int fd, void (*each)(const struct nlmsghdr *, void *), void *ctx)
{
	struct sockaddr_nl from;
	socklen_t from_len;
	ssize_t n;

	do {
		from_len = sizeof from;
		memset(&from, 0, sizeof from);
		n = recvfrom(fd, netlink_buf.bytes, sizeof netlink_buf.bytes, MSG_DONTWAIT, (struct sockaddr *)&from,
			     &from_len);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 && errno == ENOBUFS ? NETLINK_OVERRUN : -1;
	if (!netlink_from_kernel(&from, from_len))
		return 0;
	size_t left = (size_t)n;
	for (const struct nlmsghdr *h = &netlink_buf.h; netlink_fits(h, left); h = netlink_next(h, &left))
		each(h, ctx);
	return 0;
}

/* Record a link's state (up: set up and with carrier); 1 if a link known to be down came up. */
static int note_link(struct known_net *set, int ifindex, int up, int removed)
{
	for (int i = 0; i < set->n_links; i++) {
		if (set->links[i].ifindex != ifindex)
			continue;
		if (removed) {
			set->links[i] = set->links[--set->n_links];
			return 0;
		}
		int came_up = up && !set->links[i].up;
		set->links[i].up = up;
		return came_up;
	}
	if (!removed && set->n_links < MAX_KNOWN_LINKS) {
		set->links[set->n_links].ifindex = ifindex;
		set->links[set->n_links++].up = up;
	}
	return 0;
}

struct route_reading {
	struct net_coalesce *coalesce;
	struct known_net *known;
	const struct tcp_socket *conn;
	long long now;
	int act;
};

static void route_message(const struct nlmsghdr *h, void *ctx)
{
	struct route_reading *rr = ctx;
	struct net_event ev;
	char what[WHAT_LEN];

	parse_route_message(h, &ev);
	if ((h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) &&
	    note_link(rr->known, ev.ifindex, ev.link_up, h->nlmsg_type == RTM_DELLINK) && ev.kind == NET_NONE)
		ev.kind = NET_LINK_UP;  /* carrier back */
	/* A tentative address is not known yet: its announcement once usable is news. */
	if (ev.kind == NET_ADDR_REMOVED)
		note_address(rr->known, 0, ev.family, ev.ifindex, ev.addr);
	else if (ev.kind == NET_ADDR_ADDED && !ev.tentative &&
		 note_address(rr->known, 1, ev.family, ev.ifindex, ev.addr))
		return;  /* announced again: a refresh */
	enum net_effect effect = net_event_effect(&ev, rr->conn);
	if (effect == NET_IGNORE)
		return;
	describe_event(&ev, what, sizeof what);
	logmsg(LOG_DEBUG, "route socket: %s", what);
	rr->act |= coalesce_change(rr->coalesce, effect, what, rr->now);
}

/*
 * Read the route socket to empty; NET_DO_* for what the changes ask.  Lost
 * messages (an overrun) may have said anything: a suspect change.
 */
static int read_route_changes(int fd, struct net_coalesce *c, struct known_net *known,
			      const struct tcp_socket *conn, long long now)
{
	struct route_reading rr = { c, known, conn, now, 0 };
	int got;

	while ((got = netlink_read(fd, route_message, &rr)) >= 0)
		if (got == NETLINK_OVERRUN) {
			logmsg(LOG_DEBUG, "route socket: overrun, changes lost");
			rr.act |= coalesce_change(c, NET_SUSPICIOUS, "route socket overrun: changes lost", now);
		}
	return rr.act;
}

struct address_search {
	const struct tcp_socket *conn;
	int ifindex;                    /* of the address, 0: not (yet) found */
	int link_seen, link_up, done;
	char ifname[32];
};

static void search_dump_message(const struct nlmsghdr *h, void *ctx)
{
	struct address_search *s = ctx;
	struct net_event ev;

	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
		s->done = 1;
		return;
	}
	parse_route_message(h, &ev);
	if (h->nlmsg_type == RTM_NEWADDR && !s->ifindex &&
	    same_address(ev.family, ev.addr, s->conn->family, s->conn->local))
		s->ifindex = ev.ifindex;
	if (h->nlmsg_type == RTM_NEWLINK && s->ifindex && ev.ifindex == s->ifindex) {
		s->link_seen = 1;
		s->link_up = ev.admin_up;
		memcpy(s->ifname, ev.ifname, sizeof s->ifname);
	}
}

/*
 * Ask the route socket: every address (a dump), or one link by index; the
 * answers go to take until it sets *done.  The kernel answers as it is
 * read: never a wait.
 */
static int netlink_ask(int fd, int type, int ifindex, void (*take)(const struct nlmsghdr *, void *), void *ctx,
		       int *done)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;     /* family left 0 (unspecified): every family */
	} req;

	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | (ifindex ? NLM_F_ACK : NLM_F_DUMP));
	req.i.ifi_index = ifindex;
	if (send(fd, &req, sizeof req, 0) < 0)
		return -1;
	for (*done = 0; !*done;)
		if (netlink_read(fd, take, ctx) != 0)
			return -1;
	return 0;
}

/* Can a socket be bound to conn's local address?  1 yes, 0 it is gone, -1 unknown. */
static int address_bindable(const struct tcp_socket *conn)
{
	struct sockaddr_storage ss;
	socklen_t len = socket_address(conn->family, conn->local, 0, &ss);
	int fd, saved;

	if ((fd = socket(conn->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	saved = bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
	close(fd);
	return saved == 0 ? 1 : saved == EADDRNOTAVAIL ? 0 : -1;
}

/*
 * The route the kernel would take to addr now, and the local address it
 * would send from: a connected UDP socket asks the routing table, and no
 * packet is sent.
 */
static void view_one_path(int family, const unsigned char *addr, int port, struct path_end *end)
{
	struct sockaddr_storage to, from;
	socklen_t to_len = socket_address(family, addr, port, &to), from_len = sizeof from;
	int fd;

	memset(end, 0, sizeof *end);
	if ((fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&to, to_len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&from, &from_len) == 0) {
		end->reachable = 1;
		memcpy(end->source, family == AF_INET ? (const void *)&((struct sockaddr_in *)&from)->sin_addr
						      : (const void *)&((struct sockaddr_in6 *)&from)->sin6_addr,
		       family == AF_INET ? 4 : 16);
	}
	close(fd);
}

/*
 * The path to the server (its last known connection), or without one to
 * anywhere: the documentation addresses 192.0.2.1 and 2001:db8::1
 * (RFC 5737, RFC 3849) stand for what the default routes say.
 */
static void view_path(const struct tcp_socket *server, struct path_view *view)
{
	static const unsigned char doc_v4[4] = { 192, 0, 2, 1 };
	static const unsigned char doc_v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	memset(view, 0, sizeof *view);
	view->looked = 1;
	if (server->family) {
		view_one_path(server->family, server->remote, server->remote_port, &view->ends[0]);
		return;
	}
	view_one_path(AF_INET, doc_v4, 9, &view->ends[0]);
	view_one_path(AF_INET6, doc_v6, 9, &view->ends[1]);
}

/*
 * Is conn's local address still on this host, on an interface that is up?
 * A dump is not atomic (links coming and going meanwhile can hide one), so
 * "gone" is decided by bind() and "down" by asking for that one link.
 */
static enum addr_state local_address_state(const struct tcp_socket *conn, char *what, size_t what_len)
{
	struct address_search s = { conn, 0, 0, 0, 0, "" };
	enum addr_state result = ADDR_UNKNOWN;
	char addr[INET6_ADDRSTRLEN];
	int fd, bindable = address_bindable(conn);

	describe_address(conn->family, conn->local, addr, sizeof addr);
	snprintf(what, what_len, "address %s removed", addr);
	if (bindable == 0)
		return ADDR_GONE;
	if (bindable < 0 || (fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)) < 0)
		return ADDR_UNKNOWN;
	if (netlink_ask(fd, RTM_GETADDR, 0, search_dump_message, &s, &s.done) == 0 && s.ifindex != 0 &&
	    netlink_ask(fd, RTM_GETLINK, s.ifindex, search_dump_message, &s, &s.done) == 0 && s.link_seen)
		result = s.link_up ? ADDR_PRESENT : ADDR_IF_DOWN;
	close(fd);
	if (s.ifname[0])
		snprintf(what, what_len, "link %s down", s.ifname);
	else
		snprintf(what, what_len, "link %d down", s.ifindex);
	return result;
}

/* The socket inodes a process holds, with their descriptor numbers. */
static int add_process_sockets(long pid, int depth, struct tcp_socket *out, int n, int max)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof path, "/proc/%ld/fd", pid);
	if ((dir = opendir(path)) == NULL)
		return n;
	while ((e = readdir(dir)) != NULL && n < max) {
		long long fd = decimal_or_minus1(e->d_name);
		unsigned long inode;
		char *end;
		ssize_t len;
		if (fd < 0 || fd > INT_MAX)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/fd/%lld", pid, fd);
		if ((len = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:[", 8) != 0)
			continue;
		inode = strtoul(link + 8, &end, 10);
		if (end == link + 8 || strcmp(end, "]") != 0)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		out[n].inode = inode;
		out[n].pid = pid;
		out[n].fd = (int)fd;
		out[n++].depth = depth;
	}
	closedir(dir);
	return n;
}

/* The children of pid: /proc/PID/task/PID/children lists them. */
static int child_pids(long pid, long *out, int max)
{
	char path[64], text[512], *c, *end;
	ssize_t got;
	int fd, n = 0;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", pid, pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	got = read(fd, text, sizeof text - 1);
	close(fd);
	text[got > 0 ? got : 0] = '\0';
	for (c = text; n < max; c = end) {
		long child = strtol(c, &end, 10);
		if (end == c)
			break;
		out[n++] = child;
	}
	return n;
}

/* Fill in the /proc/net/tcp{,6} lines of the sockets whose inodes we hold. */
static void read_tcp_table(long pid, const char *table, struct tcp_socket *owned, int n_owned)
{
	char path[64], line[512];
	struct tcp_socket s;
	FILE *f;
	char buf[16384];  /* a few reads for a whole table, not dozens */

	snprintf(path, sizeof path, "/proc/%ld/net/%s", pid, table);
	if ((f = fopen(path, "re")) == NULL)
		return;
	(void)setvbuf(f, buf, _IOFBF, sizeof buf);
	while (fgets(line, sizeof line, f))
		if (parse_proc_tcp_line(line, &s) == 0)
			for (int i = 0; i < n_owned; i++)
				if (owned[i].inode == s.inode && owned[i].family == 0) {
					s.pid = owned[i].pid;
					s.fd = owned[i].fd;
					s.depth = owned[i].depth;
					owned[i] = s;
				}
	(void)fclose(f);
}

/* A digest of the socket inodes held (FNV-1a): the same set of sockets, the same digest. */
static unsigned long sockets_digest(const struct tcp_socket *owned, int n)
{
	unsigned long h = 2166136261UL ^ (unsigned long)n;
	for (int i = 0; i < n; i++)
		h = (h ^ owned[i].inode) * 16777619UL;
	return h;
}

/*
 * ssh's connection to the server and its listeners, looking through ssh's
 * descendants.  The TCP tables cost a walk of the kernel's whole hash
 * table each (a fleet of tunnels starting at once felt it): with known,
 * they are read only if ssh's sockets changed since known was found, and
 * 0 is returned with known's findings.
 */
static int find_ssh_sockets(long ssh_pid, int proxy_configured, const struct ssh_sockets *known,
			    struct ssh_sockets *out)
{
	struct tcp_socket owned[MAX_OWNED];
	long level[8], next[8];
	int n = add_process_sockets(ssh_pid, 0, owned, 0, MAX_OWNED);
	int n_level = child_pids(ssh_pid, level, 8);
	int proxied = proxy_configured || n_level > 0;

	for (int depth = 1; depth <= 3 && n_level > 0; depth++) {
		int n_next = 0;
		for (int i = 0; i < n_level; i++) {
			n = add_process_sockets(level[i], depth, owned, n, MAX_OWNED);
			n_next += child_pids(level[i], next + n_next, 8 - n_next);
		}
		memcpy(level, next, sizeof next);
		n_level = n_next;
	}
	unsigned long held = sockets_digest(owned, n);
	if (known && n > 0 && known->held == held) {
		*out = *known;
		return 0;
	}
	memset(out, 0, sizeof *out);
	out->proxied = proxied;
	if (n == 0)
		return 1;  /* no socket at all: the tables would not help */
	read_tcp_table(ssh_pid, "tcp", owned, n);
	read_tcp_table(ssh_pid, "tcp6", owned, n);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (owned[i].family)
			owned[k++] = owned[i];
	choose_ssh_sockets(owned, k, proxied, out);
	out->held = held;
	out->unplaced = n - k;
	return 1;
}

struct address_dump {
	struct known_net *set;
	int done;
};

static void dump_address_message(const struct nlmsghdr *h, void *ctx)
{
	struct address_dump *d = ctx;
	struct net_event ev;

	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
		d->done = 1;
		return;
	}
	parse_route_message(h, &ev);
	if (ev.kind == NET_ADDR_ADDED && !ev.tentative)
		note_address(d->set, 1, ev.family, ev.ifindex, ev.addr);
}

/* The host's addresses now (a dump; the kernel answers as it is read). */
static void read_known_addresses(struct known_net *set)
{
	struct address_dump d = { set, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return;
	(void)netlink_ask(fd, RTM_GETADDR, 0, dump_address_message, &d, &d.done);
	close(fd);
}

#else /* not Linux: nothing to watch */

static int route_socket_open(void)
{
	errno = ENOSYS;
	return -1;
}

static int read_route_changes(int fd, struct net_coalesce *c, struct known_net *known,
			      const struct tcp_socket *conn, long long now)
{
	(void)fd;
	(void)c;
	(void)known;
	(void)conn;
	(void)now;
	return 0;
}

static enum addr_state local_address_state(const struct tcp_socket *conn, char *what, size_t what_len)
{
	(void)conn;
	snprintf(what, what_len, "?");
	return ADDR_UNKNOWN;
}

static int find_ssh_sockets(long ssh_pid, int proxy_configured, const struct ssh_sockets *known,
			    struct ssh_sockets *out)
{
	(void)ssh_pid;
	(void)proxy_configured;
	(void)known;
	memset(out, 0, sizeof *out);
	return 1;
}

static void read_known_addresses(struct known_net *set)
{
	set->n = 0;
}

static void view_path(const struct tcp_socket *server, struct path_view *view)
{
	(void)server;
	memset(view, 0, sizeof *view);
}

#endif


/* ---------------------------------------------------------------- evidence */

/*
 * A timer decides nothing alone where evidence exists: before a probe's
 * short window becomes a verdict, ask whether autossh, ssh or the host was
 * stalled.  Any such stall lets the same attempt go on until T
 * (autossh(1) MONITORING); only a clean window fails early.
 */
enum {
	EVIDENCE_LATE_MS = 100,     /* an autossh wake-up this late past its deadline: autossh stalled */
	SUSPEND_JUMP_MS = 500,      /* boot time gained this on monotonic time: the host slept */
	STARVED_PERCENT = 25,       /* ssh waited for a CPU this share of the window: starved */
	BUSY_IO_BYTES = 65536,      /* ssh moved this much beyond the probe's bytes: probe queued */
	EVIDENCE_SAMPLE_MS = 250    /* ssh's state is read this often during a window */
};

enum stall_verdict {
	STALL_CLEAN,
	STALL_SUSPENDED,
	STALL_AUTOSSH_LATE,
	STALL_SSH_STOPPED,
	STALL_SSH_STARVED,
	STALL_SSH_BUSY
};

struct ssh_reading {
	char state;                     /* /proc/PID/stat state, 0 if unknown */
	long long wait_ns;              /* run-queue wait, -1 if unknown */
	long long io_bytes;             /* rchar + wchar, -1 if unknown */
};

/* What one window showed; -1 where the system does not say. */
struct window_evidence {
	long long window_ms;
	long long suspend_jump_ms;
	long long late_ms;              /* worst lateness of an autossh wake-up */
	int ssh_stopped;                /* state T or t at some reading */
	long long ssh_wait_ns;          /* growth of ssh's run-queue wait */
	long long ssh_io_bytes;         /* growth of ssh's I/O counters */
	long long probe_bytes;          /* what the probe itself makes ssh read and write */
};

enum { PROC_STAT, PROC_SCHEDSTAT, PROC_IO, N_PROC_FILES };

/*
 * The watch over the current soft window, the clocks of the last wake-up,
 * and ssh's /proc files, held open while ssh runs: a reading is then one
 * pread() per file, and never of another process that reused the pid.
 */
struct evidence {
	pid_t proc_pid;                 /* 0: no files open */
	int proc_fds[N_PROC_FILES];     /* -1 where a file could not be opened */
	int watching;
	struct clocks start;
	struct ssh_reading ssh_start;
	long long late_ms;
	int ssh_stopped;
	long long next_sample_at;
	struct clocks last_wakeup;
};

/*
 * The decision table: the first row that holds names the stall.  Rows
 * with unknown readings (-1) never hold, so where the system shows
 * nothing the verdict rests on autossh's own readings.  New evidence
 * adds its readings to struct window_evidence and its row here, in the
 * order of which explanation should win.
 */
static enum stall_verdict judge_window(const struct window_evidence *w)
{
	const struct {
		int holds;
		enum stall_verdict verdict;
	} rows[] = {
		{ w->suspend_jump_ms > SUSPEND_JUMP_MS, STALL_SUSPENDED },
		{ w->late_ms > EVIDENCE_LATE_MS, STALL_AUTOSSH_LATE },
		{ w->ssh_stopped, STALL_SSH_STOPPED },
		{ w->ssh_wait_ns >= 0 && w->window_ms > 0 &&
			  w->ssh_wait_ns * 100 > w->window_ms * 1000000LL * STARVED_PERCENT,
		  STALL_SSH_STARVED },
		{ w->ssh_io_bytes >= 0 && w->ssh_io_bytes > w->probe_bytes + BUSY_IO_BYTES, STALL_SSH_BUSY },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (rows[i].holds)
			return rows[i].verdict;
	return STALL_CLEAN;
}

static const char *stall_verdict_name(enum stall_verdict v)
{
	static const char *const names[] = { "clean", "host suspended", "autossh late", "ssh stopped",
					     "ssh starved of CPU", "ssh busy with other data" };
	return names[v];
}

/* How much longer boot time ran than monotonic time: the time asleep. */
static long long suspend_jump_ms(const struct clocks *before, const struct clocks *after)
{
	return (after->boot_ms - after->mono_ms) - (before->boot_ms - before->mono_ms);
}

enum wake_action { WAKE_NOTHING, WAKE_FORGET_RTTS, WAKE_RESTART_PROBE };

/*
 * After a suspend the round trips of before say nothing, and a probe in
 * flight is started again: its deadlines passed while the host slept.
 */
static enum wake_action wake_action_between(const struct clocks *before, const struct clocks *after,
					    int probe_in_flight)
{
	if (before->mono_ms == 0 || suspend_jump_ms(before, after) <= SUSPEND_JUMP_MS)
		return WAKE_NOTHING;
	return probe_in_flight ? WAKE_RESTART_PROBE : WAKE_FORGET_RTTS;
}

/* Field 3 of /proc/PID/stat, after the parenthesised command name. */
static char parse_stat_state(const char *text)
{
	const char *paren = strrchr(text, ')');
	if (paren == NULL || paren[1] != ' ')
		return '\0';
	return paren[2];
}

/* /proc/PID/schedstat: "<ns on CPU> <ns waiting for a CPU> <slices>". */
static long long parse_schedstat_wait(const char *text)
{
	char *end;
	long long wait;

	errno = 0;
	(void)strtoll(text, &end, 10);
	if (end == text || *end != ' ')
		return -1;
	text = end;
	wait = strtoll(text, &end, 10);
	return errno == 0 && end != text && wait >= 0 ? wait : -1;
}

/* /proc/PID/io: rchar + wchar, every byte ssh read or wrote. */
static long long parse_io_bytes(const char *text)
{
	const char *r = strstr(text, "rchar: "), *w = strstr(text, "wchar: ");
	if (r == NULL || w == NULL)
		return -1;
	return strtoll(r + 7, NULL, 10) + strtoll(w + 7, NULL, 10);
}

static int is_stopped(char state)
{
	return state == 'T' || state == 't';
}

/* Open ssh's /proc files once it runs (Linux); elsewhere nothing is read. */
static void evidence_open_ssh(struct evidence *ev, pid_t pid)
{
#ifdef __linux__
	static const char *const names[N_PROC_FILES] = { "stat", "schedstat", "io" };
	char path[64];

	for (int i = 0; i < N_PROC_FILES; i++) {
		snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, names[i]);
		ev->proc_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
	ev->proc_pid = pid;
#else
	(void)ev, (void)pid;
#endif
}

static void evidence_close_ssh(struct evidence *ev)
{
	if (ev->proc_pid == 0)
		return;
	for (int i = 0; i < N_PROC_FILES; i++)
		if (ev->proc_fds[i] >= 0)
			close(ev->proc_fds[i]);
	ev->proc_pid = 0;
}

static int read_proc(const struct evidence *ev, int file, char *buf, size_t len)
{
	ssize_t n;

	if (ev->proc_pid == 0 || ev->proc_fds[file] < 0)
		return -1;
	n = pread(ev->proc_fds[file], buf, len - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* ssh's state; its CPU wait and I/O counters too when full is set. */
static void read_ssh(const struct evidence *ev, int full, struct ssh_reading *r)
{
	char buf[1024];

	r->state = 0;
	r->wait_ns = r->io_bytes = -1;
	if (read_proc(ev, PROC_STAT, buf, sizeof buf) == 0)
		r->state = parse_stat_state(buf);
	if (!full)
		return;
	if (read_proc(ev, PROC_SCHEDSTAT, buf, sizeof buf) == 0)
		r->wait_ns = parse_schedstat_wait(buf);
	if (read_proc(ev, PROC_IO, buf, sizeof buf) == 0)
		r->io_bytes = parse_io_bytes(buf);
}

static long long counter_growth(long long before, long long after)
{
	return before < 0 || after < before ? -1 : after - before;
}

static void evidence_begin(struct evidence *ev, long long now)
{
	ev->watching = 1;
	read_clocks(&ev->start);
	read_ssh(ev, 1, &ev->ssh_start);
	ev->late_ms = 0;
	ev->ssh_stopped = is_stopped(ev->ssh_start.state);
	ev->next_sample_at = now + EVIDENCE_SAMPLE_MS;
}

static void evidence_stop(struct evidence *ev)
{
	ev->watching = 0;
	ev->next_sample_at = 0;
}

/* Often enough that a stop which ended just before the verdict is still seen. */
static void evidence_sample(struct evidence *ev, long long now)
{
	struct ssh_reading r;

	if (!ev->watching || now < ev->next_sample_at)
		return;
	read_ssh(ev, 0, &r);
	ev->ssh_stopped |= is_stopped(r.state);
	ev->next_sample_at = now + EVIDENCE_SAMPLE_MS;
}

/* A wake-up past the deadline poll() waited for: autossh itself was held up. */
static void evidence_note_wakeup(struct evidence *ev, long long waited_for, long long woke)
{
	if (ev->watching && waited_for > 0 && woke - waited_for > ev->late_ms)
		ev->late_ms = woke - waited_for;
}

/* The window is over: what it showed, from the readings at both ends. */
static void evidence_end(struct evidence *ev, size_t message_len, struct window_evidence *w)
{
	struct clocks end;
	struct ssh_reading r;

	read_clocks(&end);
	read_ssh(ev, 1, &r);
	w->window_ms = end.mono_ms - ev->start.mono_ms;
	w->suspend_jump_ms = suspend_jump_ms(&ev->start, &end);
	w->late_ms = ev->late_ms;
	w->ssh_stopped = ev->ssh_stopped || is_stopped(r.state);
	w->ssh_wait_ns = counter_growth(ev->ssh_start.wait_ns, r.wait_ns);
	w->ssh_io_bytes = counter_growth(ev->ssh_start.io_bytes, r.io_bytes);
	/* ssh reads and writes the message once each way round the loop. */
	w->probe_bytes = 4 * (long long)message_len;
	evidence_stop(ev);
}

/*
 * What ssh's own TCP connection says (autossh(1) TCP EVIDENCE): the kernel's
 * tcp_info through inet_diag, one request and one reply per look.  The
 * verdict is a pure function of successive readings, like the stall table
 * above.
 */

enum { TCP_LOOK_MS = 2000, TCP_LOOK_RETRANS_MS = 250, TCP_DEAD_RTOS = 3, TCP_DEAD_MS = 3000 };
enum {
	SSH_NEW_MS = 10000,             /* ssh this young may still be connecting: look often */
	READINESS_LOOK_MS = 1000,       /* readiness still pending once ssh is no longer new */
	SSH_SETTLED_MS = 60000,         /* no connection found by now: look rarely */
	FIND_RARELY_MS = 30000
};

struct tcp_reading {
	int valid;
	int state;
	unsigned unacked;               /* segments sent and not acknowledged */
	unsigned retransmits, backoff;  /* consecutive retransmission time-outs */
	unsigned rto_ms;                /* the current, backed-off time-out */
	unsigned last_ack_recv_ms;      /* since the last ACK */
	unsigned last_data_sent_ms;     /* since the last data sent */
	unsigned srtt_ms;               /* smoothed round trip */
};

enum tcp_verdict { TCP_QUIET, TCP_RETRANSMITTING, TCP_DEAD };

static unsigned consecutive_rtos(const struct tcp_reading *r)
{
	return r->retransmits > r->backoff ? r->retransmits : r->backoff;
}

/*
 * How long the oldest unacknowledged data has waited, at least: k time-outs
 * doubled the time-out k times, so rto - rto/2^k of it has passed; and no
 * longer than since the last ACK.
 */
static unsigned unacked_for_ms(const struct tcp_reading *r)
{
	unsigned k = consecutive_rtos(r);
	unsigned waited = k >= 32 ? r->rto_ms : r->rto_ms - (r->rto_ms >> k);
	return waited < r->last_ack_recv_ms ? waited : r->last_ack_recv_ms;
}

static int retransmitting(const struct tcp_reading *r)
{
	return r->valid && r->state == TCPS_ESTABLISHED && r->unacked > 0 && consecutive_rtos(r) > 0;
}

/*
 * The path is dead when the connection is established, ssh is proven, and
 * data has stayed unacknowledged through TCP_DEAD_RTOS consecutive
 * time-outs and TCP_DEAD_MS, seen in two successive readings.  A connection
 * still being set up never trips it.
 */
static enum tcp_verdict tcp_verdict(const struct tcp_reading *previous, const struct tcp_reading *current,
				    int proven)
{
	if (!retransmitting(current))
		return TCP_QUIET;
	if (proven && retransmitting(previous) && consecutive_rtos(current) >= TCP_DEAD_RTOS &&
	    unacked_for_ms(current) >= TCP_DEAD_MS)
		return TCP_DEAD;
	return TCP_RETRANSMITTING;
}

/*
 * An ACK came since the probe started (the server's kernel acknowledged
 * what the probe made ssh send): the path works, the fault is beyond it.
 * The ACK often comes at once, and tcp_info counts in clock ticks of up to
 * 10 ms: an ACK that close to the start counts.
 */
static int acks_since(const struct tcp_reading *r, long long ms_since_probe_start)
{
	return r->valid && r->state == TCPS_ESTABLISHED && (long long)r->last_ack_recv_ms <= ms_since_probe_start + 10;
}

/*
 * A stuck connection alone restarts nothing (autossh(1) TCP EVIDENCE):
 * part (a) is tcp_verdict's; part (b) is a test connect to the same
 * address and port.  A restart helps only when a new connection works and
 * the old one does not; never restart into an outage.  Pure: the loop
 * carries the actions out.
 */
enum {
	TEST_EVERY_MS = 1000,           /* while the path is down: a test about once a second, */
	TEST_SOON_EVERY_MS = 500,       /* ... twice a second in the first minute of failed tests */
	TEST_SOON_FOR_MS = 60000,
	TEST_MIN_MS = 250,              /* a test is abandoned after max(this, 4 srtt) */
	TEST_NO_RTT_MS = 1000           /* ... or this, with no round trip known */
};

struct stall {
	int judging;                    /* part (a) held: this stall is being judged */
	int path_down;                  /* a test of this stall failed ("path ... down" said) */
	long long chance_until;         /* the path is back: the old connection's last chance; 0: none */
	int connecting;                 /* ssh's handshake hangs: tests decide whether a new one would work */
	unsigned rtos;                  /* the most consecutive time-outs seen in it: fewer, and an ACK came */
};

enum { CONNECTING_TEST_AFTER_MS = 1000 };  /* a SYN unanswered this long has been sent again */

/*
 * ssh's connection still in its handshake this long after ssh started: a
 * test connect decides (autossh(1) TCP EVIDENCE).  Where one completes, a
 * new connection works and the old one waits for the kernel's next SYN,
 * seconds away: restart.
 */
static int handshake_hangs(const struct tcp_reading *r, long long since_start_ms)
{
	return r->valid && r->state == TCPS_SYN_SENT && since_start_ms >= CONNECTING_TEST_AFTER_MS;
}

enum stall_action { STALL_NOTHING, STALL_TEST, STALL_RESTART, STALL_PATH_DOWN, STALL_CHANCE, STALL_RECOVERED };

/* A look at the connection: r the reading, verdict part (a), can_test whether part (b) is possible. */
static enum stall_action stall_on_look(const struct stall *s, const struct tcp_reading *r, enum tcp_verdict verdict,
				       int can_test, long long now)
{
	if (!s->judging)
		return verdict != TCP_DEAD ? STALL_NOTHING : can_test ? STALL_TEST : STALL_RESTART;
	/*
	 * ACKs came back: nothing is retransmitted, or fewer time-outs in a
	 * row than before (new data may be waiting again, as when a second
	 * outage follows at once; that one is judged afresh).
	 */
	if (r->valid && (verdict == TCP_QUIET || consecutive_rtos(r) < s->rtos))
		return STALL_RECOVERED;
	if (s->chance_until && now >= s->chance_until)
		return STALL_RESTART;
	return STALL_NOTHING;
}

/*
 * A test connect of this stall ended.  The first one completes: the path
 * works, only this flow is dead.  One fails: the whole path is down, keep
 * ssh.  A later one completes: the path is back, give the old connection
 * its chance.
 */
static enum stall_action stall_on_test(const struct stall *s, int completed)
{
	if (!completed)
		return STALL_PATH_DOWN;
	return s->path_down ? STALL_CHANCE : STALL_RESTART;
}

/*
 * The old connection's chance: its next retransmission (last send + RTO),
 * plus 2 srtt for the ACK.  The kernel's timer wheel fires a time-out of
 * seconds up to an eighth late, plus a tick: a restart at the bare RTO
 * came before the retransmission it was waiting for.
 */
enum { TIMER_TICK_MS = 10 };
static long long chance_deadline(const struct tcp_reading *r, long long now)
{
	long long next_send = now - (long long)r->last_data_sent_ms + r->rto_ms + r->rto_ms / 8 + TIMER_TICK_MS;
	return (next_send > now ? next_send : now) + 2LL * r->srtt_ms;
}

/* How long a test connect may take: max(250 ms, 4 srtt); 1 s with no round trip known. */
static long test_timeout_ms(unsigned srtt_ms)
{
	if (srtt_ms == 0)
		return TEST_NO_RTT_MS;
	return 4L * srtt_ms > TEST_MIN_MS ? 4L * srtt_ms : TEST_MIN_MS;
}

/*
 * Did this ssh fail on the network before it logged in?  Then every
 * further start waits for a completed test connect
 * (autossh(1) TCP EVIDENCE).  cause is what ssh's stderr said; with
 * nothing said, an ssh that exited 255 before its connection was ever
 * established counts.
 */
static int failed_on_network(enum ssh_cause cause, int authenticated, int exited_255, int ever_established)
{
	if (authenticated)
		return 0;
	if (cause == CAUSE_NETWORK)
		return 1;
	return (cause == CAUSE_NONE || cause == CAUSE_UNKNOWN) && exited_255 && !ever_established;
}

/*
 * A test of a wait for the path ended: start now if it completed after the
 * path was seen down, or once the backoff wait is over; a completed test
 * before that holds the start to the wait's end.
 */
static int path_wait_starts(int completed, int a_test_failed, int wait_over)
{
	return completed && (a_test_failed || wait_over);
}

/* How soon to look again: fast while retransmitting or while ssh's readiness is pending. */
static long next_look_ms(enum tcp_verdict verdict, int readiness_pending, long long since_start_ms)
{
	if (verdict == TCP_RETRANSMITTING)
		return TCP_LOOK_RETRANS_MS;
	if (readiness_pending)
		return since_start_ms < SSH_NEW_MS ? TCP_LOOK_RETRANS_MS : READINESS_LOOK_MS;
	return TCP_LOOK_MS;
}

/* No connection found (yet): soon while ssh is new, then ever more rarely. */
static long find_retry_ms(long long since_start_ms)
{
	if (since_start_ms < SSH_NEW_MS)
		return 2L * TCP_LOOK_RETRANS_MS;
	return since_start_ms < SSH_SETTLED_MS ? TCP_LOOK_MS : FIND_RARELY_MS;
}

#ifdef __linux__

/* The inet_diag socket, opened once and used for every look. */
static int diag_socket_open(void)
{
	return socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
}

/* Reduce one inet_diag reply to a reading: 1 read, 0 gone, -1 something else. */
static int parse_diag_reply(const struct nlmsghdr *h, size_t len, unsigned seq, struct tcp_reading *r)
{
	size_t left = len;

	memset(r, 0, sizeof *r);
	for (; netlink_fits(h, left); h = netlink_next(h, &left)) {
		if (h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			return e->error == -ENOENT ? 0 : -1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			continue;
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
		struct tcp_info info;
		memset(&info, 0, sizeof info);
		for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == INET_DIAG_INFO)
				take_attribute(a, &info, sizeof info);
		r->valid = 1;
		r->state = m->idiag_state;
		r->unacked = info.tcpi_unacked;
		r->retransmits = info.tcpi_retransmits;
		r->backoff = info.tcpi_backoff;
		r->rto_ms = info.tcpi_rto / 1000;
		r->last_ack_recv_ms = info.tcpi_last_ack_recv;
		r->last_data_sent_ms = info.tcpi_last_data_sent;
		r->srtt_ms = info.tcpi_rtt / 1000;
		return 1;
	}
	return -1;
}

/* One exact 4-tuple lookup: 1 read, 0 the socket is gone, -1 no answer. */
static int tcp_look(int fd, unsigned *seq, const struct tcp_socket *s, struct tcp_reading *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 req;
	} msg;
	size_t alen = s->family == AF_INET ? 4 : 16;
	ssize_t n;

	memset(&msg, 0, sizeof msg);
	msg.h.nlmsg_len = sizeof msg;
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.h.nlmsg_flags = NLM_F_REQUEST;
	msg.h.nlmsg_seq = ++*seq;
	msg.req.sdiag_family = (unsigned char)s->family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	msg.req.idiag_states = ~0U;
	msg.req.id.idiag_sport = htons((uint16_t)s->local_port);
	msg.req.id.idiag_dport = htons((uint16_t)s->remote_port);
	memcpy(msg.req.id.idiag_src, s->local, alen);
	memcpy(msg.req.id.idiag_dst, s->remote, alen);
	msg.req.id.idiag_cookie[0] = msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -1;
	/* The kernel answers within sendto(); an older, unread answer is skipped by its number. */
	for (int tries = 0; tries < 4; tries++) {
		do
			n = recv(fd, netlink_buf.bytes, sizeof netlink_buf.bytes, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		int got = parse_diag_reply(&netlink_buf.h, (size_t)n, *seq, r);
		if (got >= 0)
			return got;
	}
	return -1;
}

#else

static int diag_socket_open(void)
{
	errno = ENOSYS;
	return -1;
}

static int tcp_look(int fd, unsigned *seq, const struct tcp_socket *s, struct tcp_reading *r)
{
	(void)fd;
	(void)seq;
	(void)s;
	memset(r, 0, sizeof *r);
	return -1;
}

#endif

/*
 * The test connect (autossh(1) TCP EVIDENCE), portable: a non-blocking TCP
 * connect to the server's address and port, from ssh's local address with
 * port 0 (BindAddress, BindInterface and policy routing see the same
 * path), closed with a reset as soon as the handshake completes; nothing
 * is sent.
 */
static void test_connect_end(int fd)
{
	struct linger reset = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
	close(fd);
}

/*
 * The socket of the connect, in progress or ended at once (refused,
 * unreachable): poll() reports either.  -1 if there is no socket.
 */
static int test_connect_begin(const struct tcp_socket *to)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = tcp_socket_nonblocking(to->family);

	if (fd < 0)
		return -1;
#ifdef IP_BIND_ADDRESS_NO_PORT
	int one = 1;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
	len = socket_address(to->family, to->local, 0, &ss);
	(void)bind(fd, (struct sockaddr *)&ss, len);  /* an address gone since: the kernel picks one */
	len = socket_address(to->family, to->remote, to->remote_port, &ss);
	(void)connect(fd, (struct sockaddr *)&ss, len);
	return fd;
}

/* poll() reported the connect's end: did the handshake complete (connected, no error)? */
static int test_connect_completed(int fd)
{
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof peer, len = sizeof(int);
	int err = 0;

	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 &&
	       getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0;
}

/* Is process pid in autossh's network namespace?  Unknown counts as yes. */
static int same_net_namespace(long pid)
{
	char path[64], mine[64], theirs[64];
	ssize_t a, b;

	snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
	a = readlink("/proc/self/ns/net", mine, sizeof mine);
	b = readlink(path, theirs, sizeof theirs);
	return a <= 0 || b <= 0 || (a == b && memcmp(mine, theirs, (size_t)a) == 0);
}


/* -------------------------------------------------------------------- loop */

/* The loop's own timing (autossh(1) SCHEDULE AND TIMEOUTS, SIGNALS). */
enum {
	KILL_GRACE_MS = 2000,           /* stopping ssh: SIGTERM, then SIGKILL this much later */
	FIRST_EARLY_PROBE_MS = 1000,    /* after a start, the first early probe */
	EARLY_PROBE_EVERY_MS = 2000,    /* then early probes this far apart until ssh is proven */
	UNMONITORED_PROVEN_MS = 2000    /* -M 0: ssh up this long is proven */
};

enum ssh_phase { PHASE_RUNNING, PHASE_STOPPING, PHASE_BACKOFF, PHASE_DONE };
enum after_stop { AFTER_RESTART_NOW, AFTER_RESTART_BACKOFF, AFTER_EXIT };

/*
 * Everything the loop knows, owned by run_loop and changed only in the loop.
 * It is grouped by concern; each group is changed by the part of the loop
 * below that is named in its comment.
 */

/* The ssh child and what it says (starting, stopping, its stderr). */
struct ssh_run {
	pid_t pid;                      /* 0 when none */
	int exited;                     /* reaped this wake-up, not yet acted on */
	int wait_status;                /* waitpid's status of the reaped ssh */
	long long started_at;           /* monotonic ms of the last start */
	enum after_stop after_stop;     /* STOPPING: what follows ssh's exit */
	long long kill_at;              /* STOPPING: when to send SIGKILL, 0 once sent */
	int proven;                     /* passed a probe (or -M 0's time or TCP rule) */
	int authenticated;              /* got past authentication (at the latest: proven) */
	struct ssh_words words;         /* -N, a command, -o ExitOnForwardFailure=no */
	int forward_ports[MAX_FORWARDS], n_forward_ports;  /* the user's -L ports: their listeners prove ssh ready */
	int stderr_fd;                  /* read end of ssh's stderr */
	int passthrough_fd;             /* without -f: where ssh's stderr bytes go on (ours), -1 if none */
	size_t stderr_len;
	unsigned long passthrough_dropped;  /* bytes of it a stalled reader made us drop */
	char stderr_line[513];          /* a partial line of ssh's stderr, cut at 512 bytes */
	enum ssh_cause cause;           /* the cause its classified lines tell so far */
	char cause_line[256];
	char last_line[256];            /* its last line (an unknown cause names it) */
	int server_dropped;             /* its established session was ended by the server */
	int forward_port;               /* the port of its failed forward, 0 if none */
	long long forward_stop_at;      /* a forward failed: stop ssh then unless it exits first; 0: none */
	int explained_stale_forward;    /* the hint about a held server port given for it */
	char remote_ports[512];         /* "N:H:P ..." that ssh reported for its -R 0 forwards */
	pid_t remote_ports_of;          /* the ssh they belong to */
};

/* Restarts and why (autossh(1) RESTARTS): the backoff and the failure's cause. */
struct restarts {
	int starts;                     /* ssh starts so far (AUTOSSH_MAXSTART counts these) */
	int tries;                      /* quick restarts in a row: the backoff's count */
	long long backoff_until;        /* BACKOFF: when to start ssh again */
	long long lifetime_deadline;    /* AUTOSSH_MAXLIFETIME's end; 0: forever */
	enum ssh_cause cause;           /* why the last start failed; CAUSE_NONE when healthy */
	char cause_line[256];           /* ssh's line that told the cause */
	int cause_count;                /* failures in a row with this cause */
	int route_cut_used;             /* a route change already ended a wait for this cause */
	char last_exit[32];             /* the status file's "last_exit" */
};

/* Probes through the monitor port, and -M 0's proving time. */
struct monitoring {
	int listener;                   /* loop mode's monitor listener, -1 if none */
	struct probe probe;             /* the probe in flight, and recent round trips */
	struct evidence evidence;       /* the current probe window's stall evidence */
	long long next_probe_at;        /* next regular probe; 0 without monitoring */
	long long next_early_at;        /* next early probe while ssh is unproven; 0: none due */
	long long connect_deadline;     /* AUTOSSH_CONNECT_TIMEOUT: unproven by then = restart */
	long long proven_at;            /* -M 0: when ssh counts as proven; 0: not pending */
	long long probe_started_at;     /* for "ACKs since the probe started" */
	long long probe_passed_at;      /* the last pass: a recent one stands in for a TCP look */
	time_t last_probe_ok;           /* wall time of the last passed probe (status file) */
};

/* The network watch (autossh(1) NETWORK CHANGES). */
struct net_watch {
	int route_fd;                   /* the route socket, -1 if none */
	char watch[200];                /* the status file's "watch" */
	struct net_coalesce pending;    /* network changes waiting to be acted on */
	struct known_net known;         /* the host's addresses and links (a refresh, a carrier back) */
};

/* ssh's own TCP connection (autossh(1) TCP EVIDENCE). */
struct tcp_view {
	int diag_fd;                    /* the inet_diag socket, -1 if none */
	unsigned diag_seq;              /* the last inet_diag request's number */
	int looks;                      /* ssh's connection is looked at (Linux, on) */
	struct tcp_socket server;       /* the last connection to the server found; family 0: none yet */
	struct tcp_socket path_target;  /* what path_at_start looked at: the server then known, if any */
	struct path_view path_at_start; /* the path to it when this ssh started */
	struct ssh_sockets sockets;     /* valid while sockets_of == ssh.pid */
	pid_t sockets_of;               /* the ssh whose sockets were found; 0: look again */
	long long tables_read_at;       /* the TCP tables last read for readiness */
	struct tcp_reading reading;     /* the previous look */
	long long next_look_at;         /* next inet_diag look; 0: none */
	struct stall stall;             /* the stall being judged */
	int proxy_configured;           /* -J, ProxyJump or ProxyCommand in ssh's arguments */
	int said_proxy_unreadable;      /* "ssh's proxy holds no TCP socket..." said */
	int diag_answered;              /* an inet_diag lookup found a socket: a miss means gone */
	int ever_established;           /* this ssh's connection was seen established */
	int server_other_ns;            /* the connection found is in another network namespace */
	unsigned last_srtt_ms;          /* the last smoothed round trip seen to the server */
};

/* Test connects: for a stall, or a start that waits for the path. */
struct test_connects {
	int fd;                         /* the test connect in flight; -1: none */
	int for_stall;                  /* what it is for: a stall (1) or a wait for the path (0) */
	long long deadline;             /* when it is abandoned */
	long long began_at;             /* when the last test began: the next one counts from it */
	long long failing_since;        /* the first failed test of this series; 0: none failed */
	long long next_at;              /* the next test; 0: none planned */
	char after[WHAT_LEN];           /* the network change that brought the test forward; "": none */
	int path_wait;                  /* BACKOFF: the start waits for a completed test connect */
	int path_wait_failed;           /* a test of this wait failed: the path is down */
	int path_wait_ok;               /* a test of this wait completed: start when the wait ends */
};

/* What others see: the log's state lines, status file, sd_notify, pidfile, hook. */
struct reporting {
	const char *reported_state;     /* the state last logged and sent: report only changes */
	time_t state_since;             /* wall time it was entered (status file) */
	char name[128];                 /* the status file's "name", the hook's AUTOSSH_NAME */
	long long pid_start;            /* our start time (process_start_time), -1 if unknown */
	struct notifier notify;         /* sd_notify: socket path and our datagram socket */
	int ever_ready;                 /* READY=1 sent: once per run, at the first proven ssh */
	long long next_watchdog_at;     /* next WATCHDOG=1; 0 without a watchdog */
	long long watchdog_interval_ms; /* half of WATCHDOG_USEC; 0: no watchdog for us */
	int ready_fd;                   /* -f: the foreground waits on this */
	int pidfile_written;            /* ours to remove at exit */
	const char *pidline;            /* what the pidfile holds */
	struct onchange hook;           /* AUTOSSH_ONCHANGE's run, if any (autossh(1) ENVIRONMENT) */
};

struct state {
	const struct config *cfg;
	enum ssh_phase phase;
	int exit_status, exit_signal;   /* DONE: how autossh ends (signal: die by it) */
	int self_pipe;                  /* read end: the signal handler writes signal numbers */
	struct ssh_run ssh;
	struct restarts restart;
	struct monitoring mon;
	struct net_watch net;
	struct tcp_view tcp;
	struct test_connects test;
	struct reporting report;
};

/* Nothing running, no descriptor open yet. */
static void state_init(struct state *st, const struct config *cfg)
{
	memset(st, 0, sizeof *st);
	st->cfg = cfg;
	st->mon.listener = st->self_pipe = -1;
	st->ssh.stderr_fd = st->report.ready_fd = st->ssh.passthrough_fd = -1;
	st->mon.probe.conn_fd = st->mon.probe.reply_fd = -1;
	st->net.route_fd = st->tcp.diag_fd = st->report.notify.fd = st->test.fd = -1;
	st->report.notify.socket = cfg->notify_socket;
	strcpy(st->restart.last_exit, "none");
	st->report.pid_start = -1;
	if (cfg->name)
		snprintf(st->report.name, sizeof st->report.name, "%s", cfg->name);
	else if (cfg->statusfile)
		name_from_status_path(cfg->statusfile, st->report.name, sizeof st->report.name);
	onchange_init(&st->report.hook);
	if (cfg->ssh_argv != NULL)
		read_ssh_words(cfg->ssh_argv, cfg->destination_at, &st->ssh.words);
}

/* A test connect may only go where ssh's connection goes: not from another network namespace. */
static int tests_allowed(const struct state *st, const struct tcp_socket *conn)
{
	return st->cfg->test_connect && conn->family && same_net_namespace(conn->pid);
}

static void test_close(struct state *st)
{
	if (st->test.fd >= 0)
		test_connect_end(st->test.fd);
	st->test.fd = -1;
}

/* No test in flight or planned: the stall or wait it was for is over. */
static void tests_stop(struct state *st)
{
	test_close(st);
	st->test.next_at = 0;
	st->test.failing_since = 0;
}

static int monitoring(const struct state *st)
{
	return st->cfg->monitor_port != 0;
}

/* ---- reporting: state lines, status file, sd_notify (autossh(1) SYSTEMD AND CONTAINERS) */

static const char *state_name(const struct state *st)
{
	switch (st->phase) {
	case PHASE_RUNNING:
		return st->ssh.proven ? "connected" : "starting";
	case PHASE_BACKOFF:
		return "backoff";
	default:
		return "stopping";
	}
}

static void write_status_file(const struct state *st)
{
	const struct config *cfg = st->cfg;
	char content[4096], monitor[32], name[sizeof st->report.name * 4], forwards[sizeof cfg->forwards], pid_start[24] = "";

	if (cfg->statusfile == NULL)
		return;
	if (cfg->monitor_port == 0)
		strcpy(monitor, "0");
	else if (cfg->echo_port)
		snprintf(monitor, sizeof monitor, "%d:%d", cfg->monitor_port, cfg->echo_port);
	else
		snprintf(monitor, sizeof monitor, "%d", cfg->monitor_port);
	if (st->report.pid_start >= 0)
		snprintf(pid_start, sizeof pid_start, "%lld", st->report.pid_start);
	snprintf(content, sizeof content,
		 "state=%s\npid=%ld\nssh_pid=%ld\nstarts=%d\nlast_exit=%s\nsince=%lld\n"
		 "last_probe_ok=%lld\nlast_probe_rtt_ms=%ld\nmonitor=%s\npoll=%ld\nfirst_poll=%ld\n"
		 "net_timeout_ms=%ld\nwatch=%s\nreason=%s%s%s\nname=%s\nforwards=%s\nremote_ports=%s\npid_start=%s\n",
		 state_name(st), (long)getpid(), (long)(st->ssh.exited ? 0 : st->ssh.pid), st->restart.starts,
		 st->restart.last_exit, (long long)st->report.state_since, (long long)st->mon.last_probe_ok, st->mon.probe.rtt_ms,
		 monitor, cfg->poll, cfg->first_poll, cfg->net_timeout_ms, st->net.watch, cause_name(st->restart.cause),
		 st->restart.cause == CAUSE_NONE ? "" : ": ", st->restart.cause == CAUSE_NONE ? "" : st->restart.cause_line,
		 printable(st->report.name, name, sizeof name), printable(cfg->forwards, forwards, sizeof forwards),
		 st->ssh.remote_ports_of == st->ssh.pid && st->ssh.pid > 0 ? st->ssh.remote_ports : "", pid_start);
	write_file_atomically(cfg->statusfile, content);
}

/* "STATUS=backoff: authentication failed (<ssh's line>); next try in 60 s" (autossh(1) CAUSES). */
static void format_backoff_status(const struct state *st, char *buf, size_t len)
{
	long long left_ms = st->restart.backoff_until - monotime_ms();
	size_t line_len = strlen(st->restart.cause_line);

	if (line_len > 0 && st->restart.cause_line[line_len - 1] == '.')
		line_len--;
	snprintf(buf, len, "STATUS=backoff: %s (%.*s); next try in %lld s", cause_phrase(st->restart.cause), (int)line_len,
		 st->restart.cause_line, left_ms > 0 ? (left_ms + 999) / 1000 : 0);
}

/* Tell systemd and the status file; the status file also after every probe. */
static void report_state(struct state *st, int probe_done)
{
	const char *name = state_name(st);

	if (name != st->report.reported_state) {
		char status[400];
		st->report.reported_state = name;
		st->report.state_since = time(NULL);
		logmsg(LOG_DEBUG, "state %s", name);
		if (st->phase == PHASE_BACKOFF && st->restart.cause != CAUSE_NONE)
			format_backoff_status(st, status, sizeof status);
		else
			snprintf(status, sizeof status, "STATUS=%s; %d restart%s", name,
				 st->restart.starts > 0 ? st->restart.starts - 1 : 0, st->restart.starts == 2 ? "" : "s");
		notify_send(&st->report.notify, status);
	} else if (!probe_done) {
		return;
	}
	write_status_file(st);
}

static void finish(struct state *st, int status, int signal_number)
{
	st->phase = PHASE_DONE;
	st->exit_status = status;
	st->exit_signal = signal_number;
}

static int maxstart_reached(struct state *st)
{
	if (st->cfg->maxstart < 0 || st->restart.starts < st->cfg->maxstart)
		return 0;
	logmsg(LOG_INFO, "max start count reached; exiting");
	finish(st, 0, 0);
	return 1;
}

/* ---- the ssh child: start, stop, its stderr and its exit (autossh(1) RESTARTS, CAUSES) */

static void close_ssh_stderr(struct state *st)
{
	if (st->ssh.stderr_fd >= 0)
		close(st->ssh.stderr_fd);
	st->ssh.stderr_fd = -1;
	st->ssh.stderr_len = 0;
}

/*
 * ssh's stderr comes through a pipe, read in the one poll(): passed on to
 * our stderr unchanged, or with -f logged a line at a time (autossh(1)
 * LOGGING); every line is classified (autossh(1) CAUSES).  Without a
 * writer of our own for stderr, ssh keeps the inherited one.
 */
static int open_ssh_stderr(struct state *st, int *write_end)
{
	int fds[2];

	*write_end = -1;
	if (!st->cfg->background && st->ssh.passthrough_fd < 0 && (st->ssh.passthrough_fd = log_writer_for(STDERR_FILENO)) < 0)
		return 0;
	if (cloexec_pipe(fds) != 0)
		return -1;
	set_nonblocking(fds[0]);
	st->ssh.stderr_fd = fds[0];
	*write_end = fds[1];
	return 0;
}

static void tell_foreground(int *ready_fd, const char *error_line);
static void stop_ssh(struct state *st, enum after_stop after, long long now);

/*
 * The pidfile is written once the first ssh has been exec'd, so a failed
 * start never touches an existing one; a failure ends the run with status 1.
 */
static int write_pidfile_once(struct state *st)
{
	const struct config *cfg = st->cfg;
	char line[ERRLEN];

	if (cfg->pidfile == NULL || st->report.pidfile_written)
		return 0;
	if (write_file_atomically(cfg->pidfile, st->report.pidline) == 0) {
		st->report.pidfile_written = 1;
		return 0;
	}
	format_invalid(line, sizeof line, cfg->progname, "AUTOSSH_PIDFILE", cfg->pidfile, strerror(errno));
	report_error(line);
	tell_foreground(&st->report.ready_fd, line);
	st->exit_status = 1;
	st->exit_signal = 0;
	return -1;
}

/*
 * Start ssh and arm its deadlines (first probe, early probes, connect
 * timeout, -M 0's proven time, TCP looks); the pidfile and -f's foreground
 * wait for this first successful start.
 */
static void start_ssh(struct state *st, long long now)
{
	const struct config *cfg = st->cfg;
	int write_end, exec_errno;

	if (maxstart_reached(st))
		return;
	st->restart.starts++;
	if (cfg->maxstart >= 0)
		logmsg(LOG_INFO, "starting ssh (count %d of %ld)", st->restart.starts, cfg->maxstart);
	else
		logmsg(LOG_INFO, "starting ssh (count %d)", st->restart.starts);
	close_ssh_stderr(st);
	open_ssh_stderr(st, &write_end);
	st->ssh.explained_stale_forward = 0;
	st->ssh.pid = spawn_ssh(cfg, write_end, &exec_errno);
	if (write_end >= 0)
		close(write_end);
	if (st->ssh.pid < 0) {
		char line[ERRLEN];
		st->ssh.pid = 0;
		snprintf(line, sizeof line, "%s: %s: %s", cfg->progname, cfg->ssh_exec, strerror(exec_errno));
		report_error(line);
		tell_foreground(&st->report.ready_fd, line);
		finish(st, 1, 0);
		return;
	}
	logmsg(LOG_INFO, "ssh child pid is %ld", (long)st->ssh.pid);
	if (monitoring(st))
		evidence_open_ssh(&st->mon.evidence, st->ssh.pid);
	st->phase = PHASE_RUNNING;
	st->ssh.exited = 0;
	st->ssh.started_at = now;
	st->ssh.proven = st->ssh.authenticated = 0;
	st->ssh.cause = CAUSE_NONE;
	st->ssh.cause_line[0] = st->ssh.last_line[0] = '\0';
	st->ssh.server_dropped = st->ssh.forward_port = 0;
	st->ssh.forward_stop_at = 0;
	probe_forget_rtts(&st->mon.probe);  /* round trips of another connection say nothing */
	st->mon.next_probe_at = monitoring(st) ? now + cfg->first_poll * 1000LL : 0;
	/*
	 * Early probes prove a new ssh within seconds and give the adaptive
	 * timeout its first round trips before the first regular probe.
	 */
	st->mon.next_early_at = monitoring(st) ? now + FIRST_EARLY_PROBE_MS : 0;
	st->mon.connect_deadline = cfg->connect_timeout ? now + cfg->connect_timeout * 1000LL : 0;
	st->mon.proven_at = monitoring(st) ? 0 : now + UNMONITORED_PROVEN_MS;
	st->tcp.sockets_of = 0;
	st->mon.probe_passed_at = 0;
	tests_stop(st);
	memset(&st->tcp.stall, 0, sizeof st->tcp.stall);
	st->test.path_wait = st->tcp.ever_established = 0;
	if (st->net.route_fd >= 0) {
		st->tcp.path_target = st->tcp.server;
		view_path(&st->tcp.path_target, &st->tcp.path_at_start);
	}
	memset(&st->tcp.reading, 0, sizeof st->tcp.reading);
	st->tcp.next_look_at = st->tcp.looks ? now + TCP_LOOK_RETRANS_MS : 0;
	report_state(st, 1);
	if (write_pidfile_once(st) != 0) {
		stop_ssh(st, AFTER_EXIT, now);
		return;
	}
	/* With -f the foreground exits 0 once the first ssh runs and the pidfile names us. */
	tell_foreground(&st->report.ready_fd, NULL);
}

/* Has the path to the server changed since the current or last ssh started? */
static int path_moved_since_start(const struct state *st)
{
	struct path_view now;

	if (st->net.route_fd < 0)
		return 0;
	/* The same target as at the start: a server found since then is compared from the next start on. */
	view_path(&st->tcp.path_target, &now);
	return path_changed(&st->tcp.path_at_start, &now);
}

/* The wait a failed start earns by its cause (autossh(1) CAUSES). */
static long long wait_for_cause(const struct state *st)
{
	struct wait_inputs in = { st->restart.cause, st->restart.cause_count, st->ssh.server_dropped,
				  st->restart.tries, st->cfg->poll, st->cfg->jitter, rng_unit() };
	return failure_wait_ms(&in);
}

/* A route change ends a wait; after an auth, hostkey or config failure only once. */
static int route_change_ends_wait(struct state *st)
{
	if (!cause_needs_a_fix(st->restart.cause))
		return 1;
	if (st->restart.route_cut_used)
		return 0;
	st->restart.route_cut_used = 1;
	return 1;
}

/* After a network failure before login, the next start waits for the path (autossh(1) TCP EVIDENCE). */
static int start_waits_for_path(const struct state *st)
{
	int status = st->ssh.wait_status;

	return st->cfg->test_connect && st->tcp.server.family && !st->tcp.server_other_ns &&
	       failed_on_network(st->restart.cause, st->ssh.authenticated, WIFEXITED(status) && WEXITSTATUS(status) == 255,
				 st->tcp.ever_established);
}

/* The backoff wait, with the start held until a test connect completes; the first test now. */
static void begin_path_wait(struct state *st, long long until, long long now)
{
	logmsg(LOG_DEBUG, "the start waits for a completed test connect");
	st->phase = PHASE_BACKOFF;
	st->restart.backoff_until = until;
	st->test.path_wait = 1;
	st->test.path_wait_failed = st->test.path_wait_ok = 0;
	tests_stop(st);
	st->test.for_stall = 0;
	st->test.next_at = now;
	report_state(st, 0);
}

/* Restart through the backoff (autossh(1) RESTARTS). */
static void request_restart(struct state *st, long long now)
{
	const struct config *cfg = st->cfg;
	long grace;

	st->restart.tries = next_tries(st->restart.tries, now - st->ssh.started_at, cfg->poll);
	if (maxstart_reached(st))
		return;
	grace = grace_seconds(st->restart.tries, cfg->poll);
	long long wait_ms = wait_for_cause(st);
	if (wait_ms > 0 && path_moved_since_start(st) && route_change_ends_wait(st)) {
		logmsg(LOG_INFO, "network changed: %s", st->net.pending.what[0] ? st->net.pending.what : "path to the server");
		st->net.pending.what[0] = '\0';
		wait_ms = 0;
	}
	if (wait_ms > 0 && grace > 0 && !cause_needs_a_fix(st->restart.cause) && st->restart.cause != CAUSE_BUSY)
		logmsg(LOG_DEBUG, "sleeping for grace time %ld secs", grace);
	else if (wait_ms > 0)
		logmsg(LOG_DEBUG, "waiting %lld ms after a %s failure", wait_ms, cause_name(st->restart.cause));
	if (start_waits_for_path(st)) {
		begin_path_wait(st, now + (wait_ms > 0 ? wait_ms : 0), now);
		return;
	}
	if (wait_ms <= 0) {
		start_ssh(st, now);
		return;
	}
	st->phase = PHASE_BACKOFF;
	st->restart.backoff_until = now + wait_ms;
	report_state(st, 0);
}

/* Signal ssh unless there is none or it has exited (reaped but not yet acted on). */
static void signal_ssh(const struct state *st, int sig)
{
	if (st->ssh.pid > 0 && !st->ssh.exited)
		kill(st->ssh.pid, sig);
}

static void stop_ssh(struct state *st, enum after_stop after, long long now)
{
	probe_close(&st->mon.probe);
	tests_stop(st);
	memset(&st->tcp.stall, 0, sizeof st->tcp.stall);
	st->ssh.after_stop = after;
	st->phase = PHASE_STOPPING;
	st->ssh.kill_at = now + KILL_GRACE_MS;
	signal_ssh(st, SIGTERM);
	report_state(st, 0);
}

/* Exit with status (and die by signal_number if not 0) once ssh is gone: stop it first if it runs. */
static void begin_exit(struct state *st, int status, int signal_number, long long now)
{
	st->restart.lifetime_deadline = 0;  /* exiting already */
	st->exit_status = status;
	st->exit_signal = signal_number;
	if (st->phase == PHASE_RUNNING)
		stop_ssh(st, AFTER_EXIT, now);
	else if (st->phase == PHASE_STOPPING)
		st->ssh.after_stop = AFTER_EXIT;
	else
		finish(st, status, signal_number);
}

static void after_ssh_stopped(struct state *st, long long now)
{
	switch (st->ssh.after_stop) {
	case AFTER_RESTART_NOW:
		start_ssh(st, now);
		break;
	case AFTER_RESTART_BACKOFF:
		request_restart(st, now);
		break;
	case AFTER_EXIT:
		finish(st, st->exit_status, st->exit_signal);
		break;
	}
}

/* A port the server chose for a -R with port 0 (autossh(1) FILES): into the status file. */
static void note_allocated_port(struct state *st, const char *line)
{
	char forward[160];
	size_t used;

	if (!parse_allocated_port(line, forward, sizeof forward))
		return;
	if (st->ssh.remote_ports_of != st->ssh.pid) {
		st->ssh.remote_ports[0] = '\0';
		st->ssh.remote_ports_of = st->ssh.pid;
	}
	used = strlen(st->ssh.remote_ports);
	if (used + strlen(forward) + 2 > sizeof st->ssh.remote_ports)
		return;
	snprintf(st->ssh.remote_ports + used, sizeof st->ssh.remote_ports - used, "%s%s", used ? " " : "", forward);
	write_status_file(st);
}

enum { FORWARD_FAIL_GRACE_MS = 500 };  /* with ExitOnForwardFailure=yes ssh exits by itself first */

static int gated_first_start(const struct state *st)
{
	return st->restart.starts == 1 && st->cfg->gatetime > 0 && !st->cfg->background;
}

/* Name who holds a local forward's port, or the server's port (autossh(1) CAUSES); once per ssh. */
static void explain_failed_forward(struct state *st, enum ssh_cause cause, int port)
{
	long pid;
	char name[64];

	if (st->ssh.explained_stale_forward || port <= 0)
		return;
	st->ssh.explained_stale_forward = 1;
	if (cause == CAUSE_REMOTE_FORWARD)
		logmsg(LOG_INFO, "the server still holds port %d, often for the previous session of this tunnel: "
				 "set ClientAliveInterval in the server's sshd_config so that it frees a dead session's ports",
		       port);
	else if (local_port_holder(port, &pid, name, sizeof name) && pid > 0 && pid != (long)st->ssh.pid)
		logmsg(LOG_INFO, "local port %d is held by %s (pid %ld): free it or forward another port", port,
		       name[0] ? name : "?", pid);
	else
		logmsg(LOG_INFO, "local port %d is held by another socket: free it or forward another port", port);
}

/*
 * A forward failed as a whole while ssh may stay connected: a failed start
 * (autossh(1) CAUSES), unless the user asked for -o ExitOnForwardFailure=no.
 */
static void forward_failed(struct state *st, enum ssh_cause cause, const char *line, long long now)
{
	int port = forward_port_in_line(line);

	if (st->ssh.forward_port == 0)
		st->ssh.forward_port = port;
	explain_failed_forward(st, cause, port);
	if (!st->ssh.words.keeps_failed_forwards && st->ssh.forward_stop_at == 0 && st->phase == PHASE_RUNNING)
		st->ssh.forward_stop_at = now + FORWARD_FAIL_GRACE_MS;
}

/* One whole line of ssh's stderr: the -f log, authentication seen, the cause (autossh(1) CAUSES). */
static void take_ssh_line(struct state *st, const char *line, long long now)
{
	struct line_class c = classify_ssh_line(line);
	enum ssh_cause cause;

	if (st->cfg->background)
		logmsg(LOG_INFO, "ssh: %s", line);
	if (strncmp(line, "debug", 5) != 0)
		snprintf(st->ssh.last_line, sizeof st->ssh.last_line, "%s", line);
	note_allocated_port(st, line);
	if (c.flags & LINE_AUTHENTICATED)
		st->ssh.authenticated = 1;
	cause = cause_of_line(c, st->ssh.cause, st->ssh.authenticated, gated_first_start(st));
	if (cause == CAUSE_NONE)
		return;
	/* The forward's first line names its port: later lines of the same failure keep it. */
	if (!(st->ssh.forward_port && cause == st->ssh.cause))
		snprintf(st->ssh.cause_line, sizeof st->ssh.cause_line, "%s", line);
	st->ssh.cause = cause;
	st->ssh.server_dropped = (c.flags & LINE_SERVER_DROPPED) && st->ssh.authenticated;
	if (c.flags & LINE_FORWARD_FAILED)
		forward_failed(st, cause, line, now);
}

/* Pass bytes on unchanged, in writes of at most PIPE_BUF that never wait; count what a stalled reader drops. */
static void pass_ssh_stderr(struct state *st, const char *buf, size_t len)
{
	while (len > 0) {
		size_t piece = len < PIPE_BUF ? len : PIPE_BUF;
		if (write_line_now(st->ssh.passthrough_fd, buf, piece) != 0) {
			st->ssh.passthrough_dropped += piece;
		} else if (st->ssh.passthrough_dropped > 0) {
			logmsg(LOG_INFO, "%lu bytes of ssh's stderr dropped", st->ssh.passthrough_dropped);
			st->ssh.passthrough_dropped = 0;
		}
		buf += piece;
		len -= piece;
	}
}

static void take_ssh_bytes(struct state *st, const char *buf, size_t n, long long now)
{
	if (!st->cfg->background && st->ssh.passthrough_fd >= 0)
		pass_ssh_stderr(st, buf, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || st->ssh.stderr_len == sizeof st->ssh.stderr_line - 1) {
			st->ssh.stderr_line[st->ssh.stderr_len] = '\0';
			if (st->ssh.stderr_len > 0)
				take_ssh_line(st, st->ssh.stderr_line, now);
			st->ssh.stderr_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		if (buf[i] != '\r')
			st->ssh.stderr_line[st->ssh.stderr_len++] = buf[i];
	}
}

/*
 * Read what ssh's stderr holds now (a bounded number of reads per wake-up);
 * at_exit: ssh is gone, take the rest and close without waiting for an
 * end-of-file that a ProxyCommand child holding the pipe would delay.
 */
static void read_ssh_stderr(struct state *st, int at_exit, long long now)
{
	char buf[PIPE_BUF];
	ssize_t n = -1;

	errno = EAGAIN;
	for (int reads = 0; reads < (at_exit ? 1024 : 64) && (n = read(st->ssh.stderr_fd, buf, sizeof buf)) > 0; reads++)
		take_ssh_bytes(st, buf, (size_t)n, now);
	if (at_exit || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (st->ssh.stderr_len > 0) {
			st->ssh.stderr_line[st->ssh.stderr_len] = '\0';
			take_ssh_line(st, st->ssh.stderr_line, now);
		}
		close_ssh_stderr(st);
	}
}

/*
 * A start failed: its cause is this ssh's last classified line, else
 * fallback (autossh stopped it) as network, else unknown (autossh(1)
 * CAUSES).  Said once per change of cause.
 */
static void settle_cause(struct state *st, const char *fallback)
{
	enum ssh_cause cause = st->ssh.cause;
	char line[sizeof st->restart.cause_line];

	if (cause != CAUSE_NONE)
		snprintf(line, sizeof line, "%s", st->ssh.cause_line);
	else if (fallback != NULL)
		snprintf(line, sizeof line, "%s", fallback);
	else if (st->ssh.last_line[0])
		snprintf(line, sizeof line, "%s", st->ssh.last_line);
	else
		snprintf(line, sizeof line, "ssh exited with %s", st->restart.last_exit);
	if (cause == CAUSE_NONE)
		cause = fallback != NULL ? CAUSE_NETWORK : CAUSE_UNKNOWN;
	if (cause != st->restart.cause) {
		st->restart.cause_count = 1;
		st->restart.route_cut_used = 0;
		/* Only ssh's own words: autossh's reason to stop it, or an exit line, is logged already. */
		if (st->ssh.cause != CAUSE_NONE || (fallback == NULL && st->ssh.last_line[0]))
			logmsg(LOG_INFO, "ssh failed: %s: %s", cause_name(cause), line);
		if (cause_needs_a_fix(cause))
			logmsg(LOG_INFO, "retrying in %d s, then every %ld s: fix it (autossh --doctor --connect "
					 "checks the set-up), then SIGHUP or SIGUSR1 retries at once",
			       NEEDS_FIX_FIRST_WAIT_S, st->cfg->poll);
	} else if (st->restart.cause_count < INT_MAX) {
		st->restart.cause_count++;
	}
	st->restart.cause = cause;
	snprintf(st->restart.cause_line, sizeof st->restart.cause_line, "%s", line);
}

static void record_exit(struct state *st, int wait_status)
{
	if (WIFSIGNALED(wait_status))
		snprintf(st->restart.last_exit, sizeof st->restart.last_exit, "signal %d", WTERMSIG(wait_status));
	else
		snprintf(st->restart.last_exit, sizeof st->restart.last_exit, "status %d", WEXITSTATUS(wait_status));
}

/*
 * ssh was reaped: after a stop we asked for, do what the stop was for;
 * otherwise its exit decides (autossh(1) RESTARTS): exit or restart.
 */
static void on_ssh_exit(struct state *st, long long now)
{
	const struct config *cfg = st->cfg;

	if (st->ssh.stderr_fd >= 0)
		read_ssh_stderr(st, 1, now);
	record_exit(st, st->ssh.wait_status);
	probe_close(&st->mon.probe);
	tests_stop(st);
	memset(&st->tcp.stall, 0, sizeof st->tcp.stall);
	evidence_close_ssh(&st->mon.evidence);
	st->ssh.pid = 0;
	st->ssh.exited = 0;
	if (st->phase == PHASE_STOPPING) {
		logmsg(LOG_DEBUG, "ssh stopped (%s)", st->restart.last_exit);
		if (st->ssh.after_stop == AFTER_RESTART_BACKOFF)
			settle_cause(st, "restarted by autossh");
		after_ssh_stopped(st, now);
		return;
	}
	struct exit_decision d = decide_on_exit(st->ssh.wait_status, st->restart.starts == 1,
						cfg->gatetime > 0 && !cfg->background,
						now - st->ssh.started_at, cfg->gatetime, cfg->progname);
	logmsg(d.level, "%s", d.message);
	if (shell_ended_at_once(st->ssh.wait_status, now - st->ssh.started_at, cfg->background, st->ssh.words.no_shell,
				st->ssh.words.has_command))
		logmsg(LOG_INFO, "the remote shell ended at once because its stdin is /dev/null under -f: "
				 "add -N for a tunnel without a remote command");
	else if (looks_handed_off(st->ssh.wait_status, now - st->ssh.started_at, cfg->user_forwards))
		logmsg(LOG_INFO, "ssh exited at once with status 0: connection sharing (ControlMaster/ControlPersist) "
				 "or ForkAfterAuthentication hands the session to another process; "
				 "autossh cannot supervise it");
	if (d.action == ACTION_RESTART || d.exit_status != 0)
		settle_cause(st, NULL);
	if (d.action == ACTION_EXIT)
		finish(st, d.exit_status, 0);
	else
		request_restart(st, now);
}

static void on_exit_signal(struct state *st, int sig, long long now)
{
	/* Already exiting (a signal or MAXLIFETIME): a second request kills ssh at once. */
	if (st->phase == PHASE_STOPPING && st->ssh.after_stop == AFTER_EXIT) {
		signal_ssh(st, SIGKILL);
		st->ssh.kill_at = 0;
		return;
	}
	logmsg(LOG_INFO, "received signal to exit (%d)", sig);
	begin_exit(st, 128 + sig, sig, now);
}

/* ---- signals and probes (autossh(1) SIGNALS, MONITORING) */

static void probe_now(struct state *st, long long now);
static void begin_test(struct state *st, int for_stall, long long now);

/*
 * A signal the handler recorded, acted on here in the loop (autossh(1)
 * SIGNALS): exit, restart now, reopen the log and probe, or probe.
 */
static void on_signal(struct state *st, int sig, long long now)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		on_exit_signal(st, sig, now);
		break;
	case SIGUSR1:
		/* An ssh that exited meanwhile is judged by how it exited (autossh(1) RESTARTS). */
		if (st->phase == PHASE_RUNNING && !st->ssh.exited) {
			logmsg(LOG_INFO, "signalled to kill and restart ssh");
			stop_ssh(st, AFTER_RESTART_NOW, now);
		} else if (st->phase == PHASE_BACKOFF) {
			logmsg(LOG_DEBUG, "SIGUSR1 during backoff: starting ssh now");
			start_ssh(st, now);
		}
		break;
	case SIGHUP:
		log_reopen();
		probe_forget_rtts(&st->mon.probe);  /* the network may have changed under us */
		if (st->phase == PHASE_BACKOFF) {
			logmsg(LOG_DEBUG, "SIGHUP during backoff: starting ssh now");
			start_ssh(st, now);
		} else if (st->phase == PHASE_RUNNING && !st->ssh.exited) {
			probe_now(st, now);
		}
		break;
	case SIGALRM:
		if (st->phase == PHASE_RUNNING && !st->ssh.exited)
			probe_now(st, now);
		break;
	default:
		break;  /* SIGUSR2, SIGPIPE: ignored; SIGCHLD: reaped by the loop */
	}
}

static void mark_proven(struct state *st)
{
	if (st->ssh.proven)
		return;
	st->ssh.proven = st->ssh.authenticated = 1;
	st->restart.cause = CAUSE_NONE;  /* healthy: the next failure's cause is said again */
	st->restart.cause_line[0] = '\0';
	st->restart.cause_count = st->restart.route_cut_used = 0;
	st->mon.next_early_at = 0;
	st->mon.connect_deadline = 0;
	logmsg(LOG_DEBUG, "ssh proven");
	if (!st->report.ever_ready) {
		st->report.ever_ready = 1;
		notify_send(&st->report.notify, "READY=1");
	}
}

static void explain_failed_probe(struct state *st, long long now);

/*
 * Reap a pending SIGCHLD now: an ssh that already exited is judged by how it
 * exited (autossh(1) RESTARTS), not by a verdict that its exit caused.  1 if it had.
 */
static int ssh_exit_judged(struct state *st, long long now)
{
	if (!st->ssh.exited && st->ssh.pid > 0 && reap_children(st->ssh.pid, &st->ssh.wait_status, &st->report.hook))
		st->ssh.exited = 1;
	if (!st->ssh.exited)
		return 0;
	on_ssh_exit(st, now);
	return 1;
}

/*
 * A probe's outcome: a pass proves ssh; a failed regular probe restarts it
 * (unless ssh already exited: its exit is judged instead), a failed early
 * one only schedules the next early probe.
 */
static void probe_finished(struct state *st, enum probe_result result, long long now)
{
	const struct config *cfg = st->cfg;
	int early = st->mon.probe.early;

	if (result == PROBE_PENDING)
		return;
	if (result == PROBE_FAILED && !early && ssh_exit_judged(st, now))
		return;
	if (result == PROBE_PASSED) {
		st->mon.last_probe_ok = time(NULL);
		st->mon.probe_passed_at = now;
		mark_proven(st);
	}
	if (!early)
		st->mon.next_probe_at = now + cfg->poll * 1000LL;
	else if (!st->ssh.proven)
		st->mon.next_early_at = now + EARLY_PROBE_EVERY_MS < st->mon.next_probe_at ? now + EARLY_PROBE_EVERY_MS : 0;
	if (result == PROBE_FAILED && early) {
		logmsg(LOG_DEBUG, "early probe failed; ssh not proven yet");
	} else if (result == PROBE_FAILED) {
		explain_failed_probe(st, now);
		logmsg(LOG_INFO, "port down, restarting ssh");
		stop_ssh(st, AFTER_RESTART_BACKOFF, now);
		return;
	}
	report_state(st, 1);
}

/* Start a probe; a short first window is watched for evidence of a local stall. */
static void start_probe(struct state *st, int early, long long now)
{
	enum probe_result result = probe_start(st->cfg, &st->mon.probe, early, now);

	st->mon.probe_started_at = now;
	if (probe_window_is_soft(st->cfg, &st->mon.probe))
		evidence_begin(&st->mon.evidence, now);
	else
		evidence_stop(&st->mon.evidence);
	probe_finished(st, result, now);
}

/* A deadline that fired is cleared, or poll() would return at once until the probe ends. */
static void begin_probe(struct state *st, int early, long long now)
{
	if (early)
		st->mon.next_early_at = 0;
	else
		st->mon.next_probe_at = 0;
	start_probe(st, early, now);
}

/* The soft window passed: fail early only if nothing local explains the silence. */
static int window_explains_silence(struct state *st)
{
	struct probe *p = &st->mon.probe;
	struct window_evidence w;
	enum stall_verdict stall;

	if (!probe_window_is_soft(st->cfg, p) || !st->mon.evidence.watching)
		return 0;
	evidence_end(&st->mon.evidence, p->message_len, &w);
	stall = judge_window(&w);
	if (stall == STALL_CLEAN)
		return 0;
	logmsg(LOG_DEBUG,
	       "probe window of %ld ms not clean (%s: autossh late %lld ms, suspended %lld ms, ssh %sstopped, "
	       "ssh CPU wait %lld ms, ssh I/O %lld bytes): waiting up to %ld ms",
	       p->timeout_ms, stall_verdict_name(stall), w.late_ms, w.suspend_jump_ms, w.ssh_stopped ? "" : "not ",
	       w.ssh_wait_ns < 0 ? -1 : w.ssh_wait_ns / 1000000, w.ssh_io_bytes, st->cfg->net_timeout_ms);
	probe_extend(st->cfg, p);
	return 1;
}

/* The probe's deadline: one last look at its descriptors, then the evidence, then the verdict. */
static void watch_probe(struct state *st, long long now)
{
	struct probe *p = &st->mon.probe;
	enum probe_result result;

	if (st->mon.evidence.watching && !probe_window_is_soft(st->cfg, p))
		evidence_stop(&st->mon.evidence);
	evidence_sample(&st->mon.evidence, now);
	if (p->phase == PROBE_IDLE || now < p->deadline)
		return;
	result = probe_poll_once(st->cfg, p, st->mon.listener, now);
	if (result == PROBE_PENDING && p->phase != PROBE_IDLE && now >= p->deadline &&
	    !window_explains_silence(st))
		result = probe_timeout(st->cfg, p, now);
	probe_finished(st, result, now);
}

/*
 * SIGHUP/SIGALRM: probe at once if monitoring and none in flight
 * (autossh(1) SIGNALS); an early one while ssh is not proven, so a HUP sent while ssh is
 * still connecting restarts nothing.
 */
static void probe_now(struct state *st, long long now)
{
	if (monitoring(st) && st->mon.probe.phase == PROBE_IDLE) {
		logmsg(LOG_DEBUG, "probing now on request");
		begin_probe(st, !st->ssh.proven, now);
	}
}

/* ---- the network watch (autossh(1) NETWORK CHANGES) */

/* ssh's connection as "host:port" for the log. */
static void format_endpoint(const struct tcp_socket *s, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	describe_address(s->family, s->remote, addr, sizeof addr);
	if (s->family == AF_INET6)
		snprintf(buf, len, "[%s]:%d", addr, s->remote_port);
	else
		snprintf(buf, len, "%s:%d", addr, s->remote_port);
}

/* The connection found for the current ssh, or an empty one. */
static const struct tcp_socket *known_connection(const struct state *st)
{
	static const struct tcp_socket none;
	return st->tcp.sockets_of == st->ssh.pid && st->ssh.pid > 0 ? &st->tcp.sockets.conn : &none;
}

enum net_action { NET_ACT_NONE, NET_ACT_START_NOW, NET_ACT_PROBE_NOW, NET_ACT_PROBE_EARLY };

/*
 * The cheap action for a change that matters (autossh(1) NETWORK CHANGES):
 * start at once in a backoff wait if the path to the server changed since
 * the last start (else the start would fail as the last one did); with
 * monitoring, probe now (an early probe while ssh is not proven).  A probe
 * in flight is left to finish (a resume restarts it: after_wakeup).
 */
static enum net_action network_action(enum ssh_phase phase, int monitored, int proven, int probe_in_flight,
				      int path_moved)
{
	if (phase == PHASE_BACKOFF)
		return path_moved ? NET_ACT_START_NOW : NET_ACT_NONE;
	if (phase != PHASE_RUNNING || !monitored || probe_in_flight)
		return NET_ACT_NONE;
	return proven ? NET_ACT_PROBE_NOW : NET_ACT_PROBE_EARLY;
}

/*
 * In a wait for the path, a change (a link up, carrier back, an address)
 * may have brought the path back: test it now, unless a test is in flight.
 */
static int test_path_now(struct state *st, long long now)
{
	const char *what = st->net.pending.what[0] ? st->net.pending.what : "?";

	if (st->phase != PHASE_BACKOFF || !st->test.path_wait || st->test.path_wait_ok || st->test.fd >= 0)
		return 0;
	logmsg(LOG_DEBUG, "network changed: %s: test connect", what);
	snprintf(st->test.after, sizeof st->test.after, "%s", what);
	begin_test(st, 0, now);
	return 1;
}

/* resumed: after a suspend any path may be gone, changed or not: act as if it moved. */
static void take_cheap_action(struct state *st, int resumed, long long now)
{
	int moved = st->phase == PHASE_BACKOFF && (resumed || path_moved_since_start(st)) && route_change_ends_wait(st);
	enum net_action action =
		network_action(st->phase, monitoring(st), st->ssh.proven, st->mon.probe.phase != PROBE_IDLE, moved);

	if (action == NET_ACT_NONE && test_path_now(st, now)) {
		st->net.pending.what[0] = '\0';
		return;
	}
	if (action == NET_ACT_NONE) {
		if (st->phase == PHASE_BACKOFF)
			logmsg(LOG_DEBUG, "network changed (%s); the path to the server did not: the wait goes on",
			       st->net.pending.what);
		/* A new ssh that fails all the same names this change if the path moved (request_restart). */
		if (!(st->phase == PHASE_RUNNING && !st->ssh.proven))
			st->net.pending.what[0] = '\0';
		return;
	}
	logmsg(LOG_INFO, "network changed: %s", st->net.pending.what[0] ? st->net.pending.what : "?");
	st->net.pending.what[0] = '\0';
	switch (action) {
	case NET_ACT_START_NOW:
		start_ssh(st, now);
		break;
	case NET_ACT_PROBE_NOW:
	case NET_ACT_PROBE_EARLY:
		begin_probe(st, action == NET_ACT_PROBE_EARLY, now);
		break;
	default:
		break;
	}
}

/* A suspect change has held NET_HOLD_MS: restart ssh if its connection lost its address or link. */
static void check_held_change(struct state *st, long long now)
{
	struct ssh_sockets found;
	enum addr_state state;
	char what[WHAT_LEN];

	st->net.pending.hold_until = 0;
	if (st->phase != PHASE_RUNNING || st->ssh.exited)
		return;
	find_ssh_sockets(st->ssh.pid, st->tcp.proxy_configured, NULL, &found);
	if (found.conn.family == 0)
		return;
	/* Name what happened to ssh's connection, not whichever change came first. */
	state = local_address_state(&found.conn, what, sizeof what);
	if (state != ADDR_GONE && state != ADDR_IF_DOWN) {
		logmsg(LOG_DEBUG, "network changed (%s); ssh's connection (pid %ld, fd %d) is unaffected",
		       st->net.pending.hold_what, found.conn.pid, found.conn.fd);
		return;
	}
	if (ssh_exit_judged(st, now))
		return;
	logmsg(LOG_INFO, "network changed (%s), restarting ssh", what);
	/* No backoff wait, but counted as a quick restart: a flapping link cannot storm. */
	stop_ssh(st, AFTER_RESTART_BACKOFF, now);
}

static void fire_network_deadlines(struct state *st, long long now)
{
	/* Held back, unless the action taken meanwhile covered every change (nothing new to say). */
	if (coalesce_due(&st->net.pending, now) && st->net.pending.what[0])
		take_cheap_action(st, 0, now);
	if (st->net.pending.hold_until && now >= st->net.pending.hold_until)
		check_held_change(st, now);
}

/* The route socket has news: act on what matters (autossh(1) NETWORK CHANGES). */
static void watch_wakeup(struct state *st, int route_events, long long now)
{
	if (st->net.route_fd < 0 || !route_events)
		return;
	if (read_route_changes(st->net.route_fd, &st->net.pending, &st->net.known, known_connection(st), now) & NET_DO_CHEAP) {
		take_cheap_action(st, 0, now);
	} else if (st->net.pending.cheap_due) {
		test_path_now(st, now);  /* held back by the repeat limit, but a test is cheap */
	}
}

/* A resume from suspend is a change that matters too; the TCP readings of before say nothing. */
static void network_resumed(struct state *st, long long slept_ms, long long now)
{
	memset(&st->tcp.reading, 0, sizeof st->tcp.reading);
	if (!st->cfg->netwatch)
		return;
	snprintf(st->net.pending.what, sizeof st->net.pending.what, "resumed after %lld s asleep", slept_ms / 1000);
	st->net.pending.last_cheap_at = now;
	take_cheap_action(st, 1, now);
}

/* ---- ssh's connection and test connects (autossh(1) TCP EVIDENCE) */

/* -M 0: ssh's connection is established and its -L listeners exist (autossh(1) TCP EVIDENCE). */
static int connection_ready(const struct state *st, const struct tcp_reading *r, long long since_start)
{
	int state = r->valid ? r->state : st->tcp.sockets.conn.state;

	if (state != TCPS_ESTABLISHED || !forwards_listening(&st->tcp.sockets, st->ssh.forward_ports, st->ssh.n_forward_ports))
		return 0;
	/* Without -L ports the connection alone proves little: keep -M 0's time rule too. */
	return st->ssh.n_forward_ports > 0 || since_start >= UNMONITORED_PROVEN_MS;
}

/* Restart: the connection is dead; tested: and a new connection works (autossh(1) TCP EVIDENCE). */
static void connection_stalled(struct state *st, const struct tcp_reading *r, int tested, long long now)
{
	char where[INET6_ADDRSTRLEN + 16];

	if (ssh_exit_judged(st, now))
		return;
	format_endpoint(&st->tcp.sockets.conn, where, sizeof where);
	logmsg(LOG_INFO, "ssh connection to %s stalled: no ACK for %u ms after %u retransmissions%s", where,
	       unacked_for_ms(r), consecutive_rtos(r), tested ? "; a new connection works" : "");
	logmsg(LOG_INFO, "port down, restarting ssh");
	stop_ssh(st, AFTER_RESTART_BACKOFF, now);
}

/*
 * The next test, counted from when the last one began (a failed one's
 * timeout does not stretch the period).  Most outages are short (a roam,
 * a handover, a router converging again): in the first minute of failed
 * tests, twice a second, so ssh follows the path's return within half a
 * second; then once a second.
 */
static long long next_test_time(const struct state *st, long long now)
{
	int soon = st->test.failing_since && now - st->test.failing_since < TEST_SOON_FOR_MS;
	long long next = st->test.began_at + (soon ? TEST_SOON_EVERY_MS : TEST_EVERY_MS);
	return next > now ? next : now;
}

/*
 * A test connect now (none if one is in flight); for_stall: to ssh's
 * connection, else to the last server.  Its end comes through poll().
 */
static void begin_test(struct state *st, int for_stall, long long now)
{
	const struct tcp_socket *to = for_stall ? &st->tcp.sockets.conn : &st->tcp.server;

	st->test.next_at = 0;
	if (st->test.fd >= 0)
		return;
	if (for_stall || st->phase != PHASE_BACKOFF)
		st->test.after[0] = '\0';
	st->test.for_stall = for_stall;
	st->test.began_at = now;
	st->test.deadline = now + test_timeout_ms(for_stall ? st->tcp.reading.srtt_ms : st->tcp.last_srtt_ms);
	st->test.fd = test_connect_begin(to);
	if (st->test.fd < 0) {
		logmsg(LOG_DEBUG, "test connect: socket: %s", strerror(errno));
		st->test.next_at = next_test_time(st, now);
	}
}

/* Carry out the stall verdict's action (autossh(1) TCP EVIDENCE). */
static void stall_act(struct state *st, enum stall_action action, const struct tcp_reading *r, long long now)
{
	char where[INET6_ADDRSTRLEN + 16];

	format_endpoint(&st->tcp.sockets.conn, where, sizeof where);
	switch (action) {
	case STALL_TEST:
		st->tcp.stall.judging = 1;
		logmsg(LOG_DEBUG, "ssh connection to %s: no ACK for %u ms after %u retransmissions: test connect", where,
		       unacked_for_ms(r), consecutive_rtos(r));
		begin_test(st, 1, now);
		break;
	case STALL_RESTART:
		connection_stalled(st, r, st->tcp.stall.judging, now);
		break;
	case STALL_PATH_DOWN:
		if (!st->tcp.stall.path_down)
			logmsg(LOG_INFO, "path to %s down: keeping ssh", where);
		st->tcp.stall.path_down = 1;
		st->test.next_at = next_test_time(st, now);
		break;
	case STALL_CHANCE:
		st->tcp.stall.chance_until = chance_deadline(r, now);
		logmsg(LOG_INFO, "path to %s is back (a test connect completed): ssh's connection has %lld ms to recover",
		       where, st->tcp.stall.chance_until - now);
		break;
	case STALL_RECOVERED:
		if (st->tcp.stall.path_down)
			logmsg(LOG_INFO, "ssh connection to %s recovered: ACKs again, ssh kept", where);
		else
			logmsg(LOG_DEBUG, "ssh connection to %s recovered", where);
		tests_stop(st);
		memset(&st->tcp.stall, 0, sizeof st->tcp.stall);
		break;
	default:
		break;
	}
}

/* A test of a wait for the path ended: start, or test again in a second. */
static void path_wait_tested(struct state *st, int completed, long long now)
{
	char where[INET6_ADDRSTRLEN + 16];

	format_endpoint(&st->tcp.server, where, sizeof where);
	if (!completed) {
		st->test.after[0] = '\0';
		if (!st->test.path_wait_failed)
			logmsg(LOG_INFO, "path to %s down: ssh starts once a test connect completes", where);
		st->test.path_wait_failed = 1;
		st->test.next_at = next_test_time(st, now);
		return;
	}
	if (!path_wait_starts(completed, st->test.path_wait_failed, now >= st->restart.backoff_until)) {
		st->test.path_wait_ok = 1;  /* the start comes when the wait ends */
		return;
	}
	if (st->test.path_wait_failed)
		logmsg(LOG_INFO, "path to %s works again (a test connect completed%s%s): starting ssh", where,
		       st->test.after[0] ? " after " : "", st->test.after);
	start_ssh(st, now);
}

/* A test made while ssh's handshake hangs ended: restart if it completed, else test again in a second. */
static void handshake_tested(struct state *st, int completed, long long now)
{
	char where[INET6_ADDRSTRLEN + 16];

	if (!completed) {
		st->test.next_at = next_test_time(st, now);
		return;
	}
	format_endpoint(&st->tcp.sockets.conn, where, sizeof where);
	logmsg(LOG_INFO, "ssh still connecting to %s after %lld ms; a test connect completed: restarting ssh", where,
	       now - st->ssh.started_at);
	st->tcp.stall.connecting = 0;
	stop_ssh(st, AFTER_RESTART_BACKOFF, now);
}

/* The test connect ended (completed: the handshake did), or was abandoned. */
static void test_finished(struct state *st, int completed, long long now)
{
	char where[INET6_ADDRSTRLEN + 16];
	int for_stall = st->test.for_stall;

	test_close(st);
	if (completed)
		st->test.failing_since = 0;
	else if (!st->test.failing_since)
		st->test.failing_since = st->test.began_at;
	format_endpoint(for_stall ? &st->tcp.sockets.conn : &st->tcp.server, where, sizeof where);
	logmsg(LOG_DEBUG, "test connect to %s %s", where, completed ? "completed" : "failed");
	if (for_stall && st->phase == PHASE_RUNNING && st->tcp.stall.connecting)
		handshake_tested(st, completed, now);
	else if (for_stall && st->phase == PHASE_RUNNING && st->tcp.stall.judging)
		stall_act(st, stall_on_test(&st->tcp.stall, completed), &st->tcp.reading, now);
	else if (!for_stall && st->phase == PHASE_BACKOFF && st->test.path_wait)
		path_wait_tested(st, completed, now);
}

/* poll() says the test connect ended. */
static void test_wakeup(struct state *st, const struct pollfd *fd, long long now)
{
	if (st->test.fd >= 0 && fd->fd == st->test.fd && fd->revents)
		test_finished(st, test_connect_completed(st->test.fd), now);
}

/* The test's deadline, and the next test of a stall or a wait. */
static void fire_test_deadlines(struct state *st, long long now)
{
	if (st->test.fd >= 0 && now >= st->test.deadline)
		test_finished(st, 0, now);
	if (st->test.next_at && now >= st->test.next_at && st->test.fd < 0) {
		if (st->test.for_stall ? st->phase == PHASE_RUNNING : st->phase == PHASE_BACKOFF && st->test.path_wait)
			begin_test(st, st->test.for_stall, now);
		else
			st->test.next_at = 0;
	}
}

/* Find ssh's connection for a new ssh, or again once it is gone; say which it is. */
static int find_connection(struct state *st)
{
	char local[INET6_ADDRSTRLEN], where[INET6_ADDRSTRLEN + 16];

	find_ssh_sockets(st->ssh.pid, st->tcp.proxy_configured, NULL, &st->tcp.sockets);
	st->tcp.sockets_of = st->tcp.sockets.conn.family ? st->ssh.pid : 0;
	if (st->tcp.sockets_of == 0) {
		if (st->tcp.sockets.proxied && st->ssh.proven && !st->tcp.said_proxy_unreadable) {
			st->tcp.said_proxy_unreadable = 1;
			logmsg(LOG_INFO, "ssh's proxy holds no TCP socket autossh can read (another user's, or not TCP): "
					 "judging by the other evidence");
		}
		return 0;
	}
	st->tcp.server = st->tcp.sockets.conn;
	st->tcp.server_other_ns = !same_net_namespace(st->tcp.sockets.conn.pid);
	if (st->tcp.sockets.conn.state == TCPS_ESTABLISHED)
		st->tcp.ever_established = 1;
	describe_address(st->tcp.sockets.conn.family, st->tcp.sockets.conn.local, local, sizeof local);
	format_endpoint(&st->tcp.sockets.conn, where, sizeof where);
	logmsg(LOG_DEBUG, "ssh's connection: %s:%d to %s (pid %ld, fd %d)", local, st->tcp.sockets.conn.local_port, where,
	       st->tcp.sockets.conn.pid, st->tcp.sockets.conn.fd);
	return 1;
}

/* -M 0 before proof: is ssh ready?  Its listeners are read again only once the connection is up. */
static int check_readiness(struct state *st, const struct tcp_reading *r, long long since_start, long long now)
{
	if (!r->valid || r->state == TCPS_ESTABLISHED) {
		struct ssh_sockets now_seen;
		/*
		 * With a reading, the connection's state comes from it and the
		 * tables matter only for listeners: read them when ssh's sockets
		 * change, and once a second while one of them is not in the tables
		 * (bound, not yet listening; or not TCP).
		 */
		int may_reuse = r->valid && (st->tcp.sockets.unplaced == 0 || now - st->tcp.tables_read_at < READINESS_LOOK_MS);
		if (find_ssh_sockets(st->ssh.pid, st->tcp.proxy_configured, may_reuse ? &st->tcp.sockets : NULL, &now_seen)) {
			st->tcp.tables_read_at = now;
			if (now_seen.conn.family == 0)
				return 0;
			st->tcp.sockets = now_seen;
			if (now_seen.n_listen > 0)
				st->ssh.authenticated = 1;  /* ssh listens for forwards only after login */
		}
	}
	if (!connection_ready(st, r, since_start))
		return 0;
	logmsg(LOG_DEBUG, "ssh's connection is established and its forwards listen");
	st->mon.proven_at = 0;
	mark_proven(st);
	report_state(st, 1);
	return 1;
}

/*
 * A lookup found nothing: is the socket gone, or do lookups not answer
 * (no tcp_diag handler, ssh in another network namespace)?  Blind if
 * /proc still shows the same socket.
 */
static int lookups_blind(struct state *st)
{
	struct ssh_sockets again;

	find_ssh_sockets(st->ssh.pid, st->tcp.proxy_configured, NULL, &again);
	return again.conn.family && again.conn.inode == st->tcp.sockets.conn.inode;
}

/* inet_diag does not answer: say so once, and the status file's watch no longer claims tcp. */
static void drop_tcp_evidence(struct state *st, const char *why)
{
	logmsg(LOG_INFO, "no TCP evidence: %s", why);
	close(st->tcp.diag_fd);
	st->tcp.diag_fd = -1;
	if (st->net.route_fd >= 0)
		snprintf(st->net.watch, sizeof st->net.watch, "netlink");
	else
		snprintf(st->net.watch, sizeof st->net.watch, "none: no TCP evidence: %s", why);
	report_state(st, 1);
}

/* ssh's handshake hangs: test whether a new connection would work; it went on: stop testing. */
static void judge_handshake(struct state *st, const struct tcp_reading *r, long long since_start, long long now)
{
	if (!st->tcp.stall.connecting && st->test.fd < 0 && handshake_hangs(r, since_start) &&
	    tests_allowed(st, &st->tcp.sockets.conn)) {
		st->tcp.stall.connecting = 1;
		begin_test(st, 1, now);
	} else if (st->tcp.stall.connecting && r->valid && r->state != TCPS_SYN_SENT) {
		tests_stop(st);
		st->tcp.stall.connecting = 0;
	}
}

/* One look at ssh's connection: find it if need be, read tcp_info, judge. */
static void look_at_connection(struct state *st, long long now)
{
	long long since_start = now - st->ssh.started_at;
	int readiness = !st->ssh.proven && !monitoring(st);
	enum tcp_verdict judged = TCP_QUIET;
	struct tcp_reading r;

	memset(&r, 0, sizeof r);
	if (st->tcp.sockets_of != st->ssh.pid && !find_connection(st)) {
		st->tcp.next_look_at = now + find_retry_ms(since_start);
		return;
	}
	/* A probe that passed since the last look has shown the path alive: this look can wait. */
	if (st->mon.probe_passed_at > now - TCP_LOOK_MS && !retransmitting(&st->tcp.reading)) {
		st->tcp.next_look_at = now + TCP_LOOK_MS;
		return;
	}
	if (st->tcp.diag_fd >= 0) {
		int got = tcp_look(st->tcp.diag_fd, &st->tcp.diag_seq, &st->tcp.sockets.conn, &r);
		if (got == 0 && !st->tcp.diag_answered && lookups_blind(st)) {
			drop_tcp_evidence(st, "inet_diag does not see ssh's connection (no TCP handler, or another "
					      "network namespace)");
			got = -1;
		}
		st->tcp.diag_answered |= got == 1;
		if (got == 0) {  /* gone: find it again; a stall of it is over */
			tests_stop(st);
			memset(&st->tcp.stall, 0, sizeof st->tcp.stall);
			st->tcp.sockets_of = 0;
			memset(&st->tcp.reading, 0, sizeof st->tcp.reading);
			st->tcp.next_look_at = now + TCP_LOOK_RETRANS_MS;
			return;
		}
		judged = tcp_verdict(&st->tcp.reading, &r, st->ssh.proven);
		st->tcp.reading = r;
	}
	if (readiness && check_readiness(st, &r, since_start, now))
		readiness = 0;
	if (r.valid && r.state == TCPS_ESTABLISHED) {
		st->tcp.ever_established = 1;
		st->tcp.last_srtt_ms = r.srtt_ms ? r.srtt_ms : st->tcp.last_srtt_ms;
	}
	/* Whether a test may be made is asked only when one would be (it reads /proc). */
	int can_test = judged == TCP_DEAD && !st->tcp.stall.judging && tests_allowed(st, &st->tcp.sockets.conn);
	enum stall_action action = stall_on_look(&st->tcp.stall, &r, judged, can_test, now);
	if (action != STALL_NOTHING) {
		stall_act(st, action, &r, now);
		if (st->phase != PHASE_RUNNING)
			return;
	}
	if (st->tcp.stall.judging && r.valid && consecutive_rtos(&r) > st->tcp.stall.rtos)
		st->tcp.stall.rtos = consecutive_rtos(&r);
	judge_handshake(st, &r, since_start, now);
	st->tcp.next_look_at = st->tcp.diag_fd < 0 && !readiness ? 0 : now + next_look_ms(judged, readiness, since_start);
}

/* A failed probe while ACKs keep coming: the path works, the server or forward does not. */
static void explain_failed_probe(struct state *st, long long now)
{
	struct tcp_reading r;

	memset(&r, 0, sizeof r);
	if (st->tcp.diag_fd < 0 || known_connection(st)->family == 0)
		return;
	int got = tcp_look(st->tcp.diag_fd, &st->tcp.diag_seq, &st->tcp.sockets.conn, &r);
	logmsg(LOG_DEBUG, "after the failed probe: look %d, state %d, last ACK %u ms ago, probe %lld ms ago", got,
	       r.state, r.last_ack_recv_ms, now - st->mon.probe_started_at);
	if (got == 1 && acks_since(&r, now - st->mon.probe_started_at)) {
		char where[INET6_ADDRSTRLEN + 16];
		format_endpoint(&st->tcp.sockets.conn, where, sizeof where);
		logmsg(LOG_INFO, "path to %s still acknowledges: the fault is beyond it", where);
	}
}

/* The route and inet_diag sockets as configured; say once what is missing. */
static void open_watchers(struct state *st)
{
	const struct config *cfg = st->cfg;
	char route_why[80] = "AUTOSSH_NETWATCH=0", diag_why[80] = "AUTOSSH_TCP_EVIDENCE=0";

	if (cfg->netwatch && (st->net.route_fd = route_socket_open()) < 0) {
		snprintf(route_why, sizeof route_why, "route socket: %s", strerror(errno));
		logmsg(LOG_INFO, "network changes not watched: %s", route_why);
	}
	if (st->net.route_fd >= 0)
		read_known_addresses(&st->net.known);
	st->tcp.proxy_configured = proxy_in_arguments(cfg->ssh_argv);
	if (cfg->tcp_evidence && (st->tcp.diag_fd = diag_socket_open()) < 0) {
		snprintf(diag_why, sizeof diag_why, "inet_diag socket: %s", strerror(errno));
		logmsg(LOG_INFO, "no TCP evidence: %s", diag_why);
	}
#ifdef __linux__
	/* /proc shows ssh's connection even where inet_diag is blocked. */
	st->tcp.looks = cfg->tcp_evidence;
#else
	snprintf(route_why, sizeof route_why, "not supported on this system");
	diag_why[0] = '\0';
#endif
	if (st->net.route_fd >= 0 || st->tcp.diag_fd >= 0)
		snprintf(st->net.watch, sizeof st->net.watch, "%s%s%s", st->net.route_fd >= 0 ? "netlink" : "",
			 st->net.route_fd >= 0 && st->tcp.diag_fd >= 0 ? " " : "", st->tcp.diag_fd >= 0 ? "tcp" : "");
	else
		snprintf(st->net.watch, sizeof st->net.watch, "none: %s%s%s", route_why, diag_why[0] ? "; " : "", diag_why);
	st->ssh.n_forward_ports = local_forward_ports(cfg->ssh_argv, st->ssh.forward_ports, MAX_FORWARDS);
	logmsg(LOG_DEBUG, "watching: %s", st->net.watch);
}

/* ---- deadlines and the poll timeout (autossh(1) SCHEDULE AND TIMEOUTS) */

static void fire_lifetime(struct state *st, long long now)
{
	logmsg(LOG_INFO, "exceeded maximum time to live, shutting down");
	begin_exit(st, 0, 0, now);
}

/* Deadlines of a running ssh: proven, connect deadline, probe timeout, next probe. */
/* -M 0: ssh up UNMONITORED_PROVEN_MS proves it, unless its connection is seen: then the evidence decides. */
static void fire_proven_timer(struct state *st, long long now)
{
	if (!st->mon.proven_at || now < st->mon.proven_at)
		return;
	st->mon.proven_at = 0;
	if (st->tcp.looks && st->tcp.sockets_of == st->ssh.pid)
		return;  /* autossh(1) TCP EVIDENCE */
	mark_proven(st);
	report_state(st, 1);
}

/*
 * ssh stayed connected after a forward failed (autossh(1) CAUSES): a failed
 * start; a gated first ssh ends the run with status 1.  1 if ssh is done with.
 */
static int fire_forward_failure(struct state *st, long long now)
{
	const struct config *cfg = st->cfg;

	st->ssh.forward_stop_at = 0;
	if (ssh_exit_judged(st, now))
		return 1;
	if (gated_first_start(st) && now - st->ssh.started_at <= cfg->gatetime * 1000LL) {
		logmsg(LOG_ERR, "ssh's forward failed (%s); %s exiting", st->ssh.cause_line, cfg->progname);
		settle_cause(st, NULL);
		begin_exit(st, 1, 0, now);
		return 1;
	}
	logmsg(LOG_INFO, "forward failed, restarting ssh");
	stop_ssh(st, AFTER_RESTART_BACKOFF, now);
	return 1;
}

static void fire_running_deadlines(struct state *st, long long now)
{
	const struct config *cfg = st->cfg;

	fire_proven_timer(st, now);
	if (st->ssh.forward_stop_at && now >= st->ssh.forward_stop_at && fire_forward_failure(st, now))
		return;
	if (st->mon.connect_deadline && now >= st->mon.connect_deadline) {
		st->mon.connect_deadline = 0;
		if (!st->ssh.proven) {
			if (!ssh_exit_judged(st, now)) {
				logmsg(LOG_INFO, "ssh not connected after %ld s, restarting ssh", cfg->connect_timeout);
				stop_ssh(st, AFTER_RESTART_BACKOFF, now);
			}
			return;
		}
	}
	watch_probe(st, now);
	if (st->phase == PHASE_RUNNING && st->tcp.next_look_at && now >= st->tcp.next_look_at)
		look_at_connection(st, now);
	if (st->phase != PHASE_RUNNING)
		return;
	if (st->mon.next_probe_at && now >= st->mon.next_probe_at) {
		if (st->mon.probe.phase == PROBE_IDLE) {
			begin_probe(st, 0, now);
		} else {
			st->mon.probe.early = 0;  /* an early probe in flight becomes the regular one */
			st->mon.next_probe_at = 0;
		}
	}
	if (st->phase == PHASE_RUNNING && st->mon.next_early_at && now >= st->mon.next_early_at) {
		if (st->mon.probe.phase == PROBE_IDLE && !st->ssh.proven)
			begin_probe(st, 1, now);
		else
			st->mon.next_early_at = 0;  /* a probe in flight proves ssh, or the next is planned at its end */
	}
}

/* Fire whatever deadline has come (the last step of each wake-up). */
static void fire_deadlines(struct state *st, long long now)
{
	if (st->restart.lifetime_deadline && now >= st->restart.lifetime_deadline)
		fire_lifetime(st, now);
	if (st->phase == PHASE_STOPPING && st->ssh.kill_at && now >= st->ssh.kill_at) {
		logmsg(LOG_WARNING, "ssh did not exit %d s after SIGTERM; sending SIGKILL", KILL_GRACE_MS / 1000);
		signal_ssh(st, SIGKILL);
		st->ssh.kill_at = 0;
	}
	if (st->phase == PHASE_BACKOFF && now >= st->restart.backoff_until && (!st->test.path_wait || st->test.path_wait_ok))
		start_ssh(st, now);
	fire_network_deadlines(st, now);
	fire_test_deadlines(st, now);
	if (st->phase == PHASE_RUNNING)
		fire_running_deadlines(st, now);
}

static void consider(long long *nearest, long long deadline)
{
	if (deadline > 0 && (*nearest == 0 || deadline < *nearest))
		*nearest = deadline;
}

/*
 * poll()'s timeout: the nearest deadline that counts in this phase, -1 if
 * none.  A deadline already past gives 0, so it fires on this wake-up.
 */
static int poll_timeout(const struct state *st, long long now)
{
	long long nearest = 0;

	consider(&nearest, st->restart.lifetime_deadline);
	consider(&nearest, st->report.next_watchdog_at);
	consider(&nearest, st->net.pending.cheap_due);
	consider(&nearest, st->net.pending.hold_until);
	consider(&nearest, st->report.hook.kill_at);
	if (st->phase == PHASE_STOPPING)
		consider(&nearest, st->ssh.kill_at);
	if (st->phase == PHASE_BACKOFF && (!st->test.path_wait || st->test.path_wait_ok))
		consider(&nearest, st->restart.backoff_until);
	consider(&nearest, st->test.next_at);
	if (st->test.fd >= 0)
		consider(&nearest, st->test.deadline);
	if (st->phase == PHASE_RUNNING) {
		consider(&nearest, st->mon.proven_at);
		consider(&nearest, st->ssh.forward_stop_at);
		consider(&nearest, st->mon.connect_deadline);
		consider(&nearest, st->mon.next_probe_at);
		consider(&nearest, st->mon.next_early_at);
		consider(&nearest, st->tcp.next_look_at);
		if (st->mon.probe.phase != PROBE_IDLE)
			consider(&nearest, st->mon.probe.deadline);
		if (st->mon.probe.phase != PROBE_IDLE && st->mon.evidence.watching)
			consider(&nearest, st->mon.evidence.next_sample_at);
	}
	if (nearest == 0)
		return -1;
	if (nearest <= now)
		return 0;
	return nearest - now > INT_MAX ? INT_MAX : (int)(nearest - now);
}

static void send_watchdog(struct state *st, long long now)
{
	if (st->report.next_watchdog_at && now >= st->report.next_watchdog_at) {
		notify_send(&st->report.notify, "WATCHDOG=1");
		st->report.next_watchdog_at = now + st->report.watchdog_interval_ms;
	}
}

/* Read the signal numbers the handler wrote, in arrival order, repeats merged. */
static int drain_self_pipe(int fd, unsigned char *sigs, int max)
{
	int n = 0;
	ssize_t got;
	unsigned char buf[64];

	while ((got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++)
			if (n < max && !memchr(sigs, buf[i], (size_t)n))
				sigs[n++] = buf[i];
	return n;
}

/* ---- AUTOSSH_ONCHANGE (autossh(1) ENVIRONMENT) */

enum { ONCHANGE_KILL_MS = 10000 };      /* the hook's whole group is killed after this */

/* The reason as the status file says it: "cause: ssh's line", empty when healthy. */
static void format_reason(const struct state *st, char *buf, size_t len)
{
	if (st->restart.cause == CAUSE_NONE)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%s: %s", cause_name(st->restart.cause), st->restart.cause_line);
}

/* Exiting: the last changes are not announced. */
static int exiting(const struct state *st)
{
	return st->phase == PHASE_DONE || (st->phase == PHASE_STOPPING && st->ssh.after_stop == AFTER_EXIT);
}

static int is_onchange_variable(const char *entry)
{
	static const char *const names[] = { "AUTOSSH_EVENT=", "AUTOSSH_REASON=", "AUTOSSH_NAME=",
					     "AUTOSSH_RESTARTS=", "AUTOSSH_SSH_PID=" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* autossh's environment (as ssh gets it) with the change's five variables; free the array only. */
static char **onchange_environment(const struct state *st, char vars[5][400])
{
	char *const *env = st->cfg->ssh_envp;
	size_t n = 0, k = 0;

	while (env && env[n])
		n++;
	char **out = xcalloc(n + 6, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (!is_onchange_variable(env[i]))
			out[k++] = env[i];
	snprintf(vars[0], 400, "AUTOSSH_EVENT=%s", st->report.hook.said_state);
	snprintf(vars[1], 400, "AUTOSSH_REASON=%s", st->report.hook.said_reason);
	snprintf(vars[2], 400, "AUTOSSH_NAME=%s", st->report.name);
	snprintf(vars[3], 400, "AUTOSSH_RESTARTS=%d", st->restart.starts > 0 ? st->restart.starts - 1 : 0);
	snprintf(vars[4], 400, "AUTOSSH_SSH_PID=%ld", (long)(st->ssh.exited ? 0 : st->ssh.pid));
	for (int i = 0; i < 5; i++)
		out[k++] = vars[i];
	out[k] = NULL;
	return out;
}

/* Run the hook for the current state and reason; it never delays supervision. */
static void onchange_run(struct state *st)
{
	struct onchange *h = &st->report.hook;
	char vars[5][400];
	int fds[2];

	h->due = 0;
	if (cloexec_pipe(fds) != 0) {
		logmsg(LOG_INFO, "onchange: cannot run %s: pipe: %s", st->cfg->onchange, strerror(errno));
		return;
	}
	char **envp = onchange_environment(st, vars);
	h->pid = spawn_onchange(st->cfg->onchange, envp, fds[1]);
	free(envp);
	close(fds[1]);
	if (h->pid < 0) {
		logmsg(LOG_INFO, "onchange: cannot run %s: %s", st->cfg->onchange, strerror(errno));
		h->pid = 0;
		close(fds[0]);
		return;
	}
	set_nonblocking(fds[0]);
	h->out_fd = fds[0];
	h->out_len = 0;
	h->exited = 0;
	h->kill_at = monotime_ms() + ONCHANGE_KILL_MS;
	logmsg(LOG_DEBUG, "onchange: %s (pid %ld) for %s", st->cfg->onchange, (long)h->pid, h->said_state);
}

static void onchange_output_line(struct onchange *h)
{
	h->out_line[h->out_len] = '\0';
	if (h->out_len > 0)
		logmsg(LOG_INFO, "onchange: %s", h->out_line);
	h->out_len = 0;
}

/* The hook's output, a line at a time, into the log; closed at its end. */
static void read_onchange_output(struct onchange *h)
{
	char buf[512];
	ssize_t n;

	while ((n = read(h->out_fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || h->out_len == sizeof h->out_line - 1)
				onchange_output_line(h);
			if (buf[i] != '\n' && buf[i] != '\r')
				h->out_line[h->out_len++] = buf[i];
		}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		onchange_output_line(h);
		close(h->out_fd);
		h->out_fd = -1;
	}
}

static void onchange_output_ready(struct onchange *h, const struct pollfd *pfd)
{
	if (h->out_fd >= 0 && pfd->fd == h->out_fd && pfd->revents)
		read_onchange_output(h);
}

/* The hook was reaped: its status is logged, never acted on; what it left running is killed. */
static void onchange_ended(struct state *st)
{
	struct onchange *h = &st->report.hook;
	int status = h->wait_status;

	if (h->out_fd >= 0) {
		read_onchange_output(h);
		if (h->out_fd >= 0) {
			onchange_output_line(h);
			close(h->out_fd);
			h->out_fd = -1;
		}
	}
	/* Its group outlives it only with members left, so the id is still theirs. */
	if (kill(-h->pid, SIGKILL) == 0)
		logmsg(LOG_INFO, "onchange: killed what %s left running", st->cfg->onchange);
	if (WIFSIGNALED(status))
		logmsg(LOG_INFO, "onchange: %s ended by signal %d", st->cfg->onchange, WTERMSIG(status));
	else
		logmsg(LOG_INFO, "onchange: %s exited with status %d", st->cfg->onchange, WEXITSTATUS(status));
	h->pid = 0;
	h->exited = 0;
	h->kill_at = 0;
}

/* Its time is up: the whole group goes; the reap follows in the loop. */
static void fire_onchange_deadline(struct state *st, long long now)
{
	struct onchange *h = &st->report.hook;

	if (h->pid == 0 || h->exited || h->kill_at == 0 || now < h->kill_at)
		return;
	logmsg(LOG_INFO, "onchange: %s still running after %d s; killing its process group", st->cfg->onchange,
	       ONCHANGE_KILL_MS / 1000);
	kill(-h->pid, SIGKILL);
	h->kill_at = 0;
}

/* Before each poll(): a changed state or reason runs the hook, or waits for the running one. */
static void onchange_consider(struct state *st)
{
	struct onchange *h = &st->report.hook;
	char reason[sizeof h->said_reason];
	const char *state = state_name(st);

	if (h->exited)  /* reaped wherever the loop reaped it */
		onchange_ended(st);
	if (st->cfg->onchange == NULL || exiting(st))
		return;
	format_reason(st, reason, sizeof reason);
	if (strcmp(state, h->said_state) != 0 || strcmp(reason, h->said_reason) != 0)
		h->due = 1;  /* if one runs, the next run says the state of its end */
	if (h->due && h->pid == 0) {
		snprintf(h->said_state, sizeof h->said_state, "%s", state);
		snprintf(h->said_reason, sizeof h->said_reason, "%s", reason);
		onchange_run(st);
	}
}

enum { FD_SELF, FD_LISTEN, FD_CONN, FD_REPLY, FD_STDERR, FD_ROUTE, FD_HOOK, FD_TEST, N_FDS };

/* ---- one wake-up, and the loop */

/*
 * One wake-up, in an order that loses no event: drain the self-pipe and reap
 * on SIGCHLD first (so no exit waits for another wake-up), then act on the
 * signals (an exit request beats an ssh exit of the same moment), then on
 * ssh's exit, its stderr, the probe's sockets, the network, and last the
 * deadlines, which see every state change this wake-up made.
 */
static void handle_wakeup(struct state *st, struct pollfd *fds, long long now)
{
	unsigned char sigs[64];
	int n_sigs = 0;

	if (fds[FD_SELF].revents)
		n_sigs = drain_self_pipe(st->self_pipe, sigs, (int)sizeof sigs);
	if (n_sigs > 0 && memchr(sigs, SIGCHLD, (size_t)n_sigs)) {
		if (reap_children(st->ssh.exited ? -1 : st->ssh.pid, &st->ssh.wait_status, &st->report.hook))
			st->ssh.exited = 1;
	}
	/* Signals first: an exit request beats a simultaneous ssh exit. */
	for (int i = 0; i < n_sigs && st->phase != PHASE_DONE; i++)
		on_signal(st, sigs[i], now);
	if (st->ssh.exited && st->phase != PHASE_DONE)
		on_ssh_exit(st, now);
	if (st->ssh.stderr_fd >= 0 && fds[FD_STDERR].fd == st->ssh.stderr_fd && fds[FD_STDERR].revents)
		read_ssh_stderr(st, 0, now);
	onchange_output_ready(&st->report.hook, &fds[FD_HOOK]);
	struct probe *p = &st->mon.probe;
	int awaiting_loop = st->phase == PHASE_RUNNING &&
			    (p->phase == PROBE_CONNECTING || p->phase == PROBE_ACCEPTING);
	if (st->mon.listener >= 0 && fds[FD_LISTEN].revents && !awaiting_loop)
		drop_stray_connection(st->mon.listener);
	if (st->phase == PHASE_RUNNING && p->phase != PROBE_IDLE) {
		int conn_ev = fds[FD_CONN].fd == p->conn_fd ? fds[FD_CONN].revents : 0;
		int reply_ev = fds[FD_REPLY].fd == p->reply_fd ? fds[FD_REPLY].revents : 0;
		probe_finished(st, probe_advance(st->cfg, p, st->mon.listener, conn_ev, reply_ev,
						 fds[FD_LISTEN].revents, now), now);
	}
	test_wakeup(st, &fds[FD_TEST], now);
	if (st->phase != PHASE_DONE)
		watch_wakeup(st, fds[FD_ROUTE].revents, now);
	if (st->phase != PHASE_DONE)
		fire_deadlines(st, now);
	fire_onchange_deadline(st, now);
	send_watchdog(st, now);
}

/*
 * Every wake-up: how late it came (evidence for a probe's window) and
 * whether the host slept.  Returns 1 if the probe was started again, so
 * the caller drops the revents of its old descriptors.
 */
static int after_wakeup(struct state *st, long long waited_for, long long woke)
{
	struct evidence *ev = &st->mon.evidence;
	struct probe *p = &st->mon.probe;
	struct clocks clocks;
	struct clocks before = ev->last_wakeup;
	int in_flight = st->phase == PHASE_RUNNING && p->phase != PROBE_IDLE;

	read_clocks(&clocks);
	ev->last_wakeup = clocks;
	evidence_note_wakeup(ev, waited_for, woke);
	switch (wake_action_between(&before, &clocks, in_flight)) {
	case WAKE_NOTHING:
		return 0;
	case WAKE_FORGET_RTTS:
		logmsg(LOG_DEBUG, "host was suspended for %lld ms", suspend_jump_ms(&before, &clocks));
		probe_forget_rtts(p);
		network_resumed(st, suspend_jump_ms(&before, &clocks), woke);
		return 0;
	case WAKE_RESTART_PROBE:
		break;
	}
	logmsg(LOG_DEBUG, "host was suspended for %lld ms: probe started again",
	       suspend_jump_ms(&before, &clocks));
	probe_close(p);
	probe_forget_rtts(p);
	for (int i = 0; i < 16 && st->mon.listener >= 0; i++)
		drop_stray_connection(st->mon.listener);
	start_probe(st, p->early, woke);
	network_resumed(st, suspend_jump_ms(&before, &clocks), woke);
	return 1;
}

/*
 * The supervisor: start ssh, then sleep in the one poll() until a descriptor
 * or the nearest deadline wakes us, until the state is DONE; never leave ssh
 * behind, whatever ended the loop.
 */
static void run_loop(struct state *st)
{
	struct pollfd fds[N_FDS];

	start_ssh(st, monotime_ms());
	while (st->phase != PHASE_DONE) {
		const struct probe *p = &st->mon.probe;
		onchange_consider(st);
		long long now = monotime_ms();
		for (int i = 0; i < N_FDS; i++) {
			fds[i].fd = -1;
			fds[i].events = POLLIN;
			fds[i].revents = 0;
		}
		fds[FD_SELF].fd = st->self_pipe;
		fds[FD_LISTEN].fd = st->mon.listener;
		fds[FD_STDERR].fd = st->ssh.stderr_fd;
		fds[FD_ROUTE].fd = st->net.route_fd;
		fds[FD_HOOK].fd = st->report.hook.out_fd;
		fds[FD_TEST].fd = st->test.fd;
		fds[FD_TEST].events = POLLOUT;
		if (p->phase == PROBE_CONNECTING) {
			fds[FD_CONN].fd = p->conn_fd;
			fds[FD_CONN].events = POLLOUT;
		}
		if (p->phase == PROBE_ACCEPTING)
			fds[FD_CONN].fd = p->conn_fd;  /* ssh closing it ends the attempt */
		if (p->phase == PROBE_READING)
			fds[FD_REPLY].fd = p->reply_fd;
		int timeout = poll_timeout(st, now);
		if (poll(fds, N_FDS, timeout) < 0 && errno != EINTR) {
			logmsg(LOG_ERR, "internal error: poll: %s", strerror(errno));
			finish(st, 1, 0);
			break;
		}
		long long woke = monotime_ms();
		if (after_wakeup(st, timeout < 0 ? 0 : now + timeout, woke))
			fds[FD_CONN].revents = fds[FD_REPLY].revents = fds[FD_LISTEN].revents = 0;
		handle_wakeup(st, fds, woke);
	}
	/* Never leave ssh behind, whatever ended the loop. */
	if (st->ssh.pid > 0 && !st->ssh.exited) {
		signal_ssh(st, SIGKILL);
		waitpid(st->ssh.pid, NULL, 0);
	}
	probe_close(&st->mon.probe);
	evidence_close_ssh(&st->mon.evidence);
	close_ssh_stderr(st);
	if (st->report.hook.pid > 0 && !st->report.hook.exited)
		kill(-st->report.hook.pid, SIGTERM);  /* not announced at exit, nor left to finish */
	if (st->report.hook.out_fd >= 0)
		close(st->report.hook.out_fd);
	test_close(st);
	if (st->net.route_fd >= 0)
		close(st->net.route_fd);
	if (st->tcp.diag_fd >= 0)
		close(st->tcp.diag_fd);
	if (st->ssh.passthrough_fd >= 0)
		close(st->ssh.passthrough_fd);
	st->net.route_fd = st->tcp.diag_fd = st->ssh.passthrough_fd = -1;
}


/* ------------------------------------------------------------------ daemon */

/* -f and descriptor hygiene: the fork, the ready pipe, std descriptors, inherited ones. */

/*
 * Call fn for each open descriptor above 2, listing them where the system
 * can (the listing's own descriptor is skipped), else trying each number.
 */
static void each_descriptor_above_2(void (*fn)(int fd, const int *keep), const int *keep)
{
	static const char *const fd_dirs[] = { "/proc/self/fd", "/dev/fd" };
	struct rlimit rl;

	for (size_t i = 0; i < sizeof fd_dirs / sizeof fd_dirs[0]; i++) {
		DIR *dir = opendir(fd_dirs[i]);
		struct dirent *entry;
		if (dir == NULL)
			continue;
		while ((entry = readdir(dir)) != NULL) {
			long long fd = decimal_or_minus1(entry->d_name);
			if (fd > STDERR_FILENO && fd <= INT_MAX && fd != dirfd(dir))
				fn((int)fd, keep);
		}
		closedir(dir);
		return;
	}
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	for (int fd = STDERR_FILENO + 1; fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fn(fd, keep);
}

/* keep: descriptors to leave open, ended by -1. */
static void close_unless_kept(int fd, const int *keep)
{
	for (; *keep >= 0; keep++)
		if (*keep == fd)
			return;
	close(fd);
}

/* each_descriptor_above_2's action for close_inherited_on_exec (keep is unused). */
static void set_cloexec(int fd, const int *keep)
{
	(void)keep;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* ssh inherits only 0, 1 and 2: whatever else we inherited is close-on-exec. */
static void close_inherited_on_exec(void)
{
	each_descriptor_above_2(set_cloexec, NULL);
}

/*
 * A closed 0, 1 or 2 is opened on /dev/null before anything else, so no
 * socket or file of ours lands there (where -f would put /dev/null over it,
 * or ssh would inherit it).
 */
static void open_missing_stdio(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR | O_NOCTTY);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

/* The foreground half of -f: wait for the background's word, then leave. */
static void foreground_wait(const struct config *cfg, int ready_read)
{
	char buf[ERRLEN];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof buf - 1 && (n = read(ready_read, buf + got, sizeof buf - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got > 0 && buf[0] == '\0')
		exit(0);
	if (got == 0)
		fprintf(stderr, "%s: background process ended before it was ready\n", cfg->progname);
	else
		fprintf(stderr, "%s\n", buf);
	exit(1);
}

/*
 * The background keeps only its own descriptors above 2 (listener, log,
 * ready pipe): an inherited one, such as the write end of a pipe a caller
 * reads until EOF, would hold that caller (`x=$(autossh -f ...)`).
 */
static void close_foreign_descriptors(int listener, int ready_write)
{
	int keep[] = { listener, ready_write, logger.fd, -1 };
	int n = 0;

	/* AUTOSSH_DEBUG's copy for the caller's stderr goes where stderr now goes: /dev/null. */
	if (logger.copy_fd >= 0) {
		close(logger.copy_fd);
		logger.copy_fd = -1;
	}

	for (size_t i = 0; i < sizeof keep / sizeof keep[0] - 1; i++)
		if (keep[i] >= 0)
			keep[n++] = keep[i];
	keep[n] = -1;
	closelog();  /* syslog's socket, if open, is reopened on the next line */
	each_descriptor_above_2(close_unless_kept, keep);
	if (logger.sink == SINK_SYSLOG)
		openlog(logger.progname, LOG_PID, LOG_USER);
}

/* Fork for -f; returns in the background with the ready pipe. */
static int go_background(const struct config *cfg, struct state *st)
{
	int ready[2], devnull;
	pid_t pid;

	if (cloexec_pipe(ready) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char mainpid[48];
		close(ready[1]);
		/* At once, so systemd knows the sender of everything that follows. */
		snprintf(mainpid, sizeof mainpid, "MAINPID=%ld", (long)pid);
		notify_send(&st->report.notify, mainpid);
		foreground_wait(cfg, ready[0]);
	}
	close(ready[0]);
	setsid();
	if (chdir("/") != 0)
		return -1;
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	close_foreign_descriptors(st->mon.listener, ready[1]);
	return ready[1];
}

/* -f: tell the waiting foreground, once: ready (it exits 0) or the error line (it prints it, exits 1). */
static void tell_foreground(int *ready_fd, const char *error_line)
{
	if (*ready_fd < 0)
		return;
	if (error_line)
		write_all(*ready_fd, error_line, strlen(error_line));
	else
		write_all(*ready_fd, "", 1);
	close(*ready_fd);
	*ready_fd = -1;
}

/* A start that cannot go on: the error to stderr and log, and to a waiting foreground; exit 1. */
static void fail_setup(const char *line, int *ready_fd)
{
	report_error(line);
	tell_foreground(ready_fd, line);
	exit(1);
}


/* ------------------------------------------------------------------- check */

/* --check STATUSFILE and --list: read-only views of running autossh processes. */

/* What --check and --list read from a status file. */
struct status_snapshot {
	char state[32], monitor[32];
	long long pid, last_probe_ok, poll, first_poll, net_timeout_ms;
	long long pid_start, ssh_pid, starts, since, last_probe_rtt_ms;  /* -1 or 0: not given */
	char name[128], reason[300], forwards[1024], remote_ports[512], last_exit[32];
};

/* Set *out if this line's key is the one wanted. */
static void take_number(const char *key, const char *wanted, const char *value, long long *out)
{
	if (strcmp(key, wanted) == 0)
		*out = decimal_or_minus1(value);
}

static void take_text(const char *key, const char *wanted, const char *value, char *out, size_t len)
{
	if (strcmp(key, wanted) == 0)
		snprintf(out, len, "%s", value);
}

/* One "key value" line of the status file into snap; unknown keys are ignored. */
static void read_status_line(struct status_snapshot *snap, char *line)
{
	char *value = strchr(line, '=');

	if (value == NULL)
		return;
	*value++ = '\0';
	value[strcspn(value, "\n")] = '\0';
	take_text(line, "state", value, snap->state, sizeof snap->state);
	take_text(line, "monitor", value, snap->monitor, sizeof snap->monitor);
	take_text(line, "name", value, snap->name, sizeof snap->name);
	take_text(line, "reason", value, snap->reason, sizeof snap->reason);
	take_text(line, "forwards", value, snap->forwards, sizeof snap->forwards);
	take_text(line, "remote_ports", value, snap->remote_ports, sizeof snap->remote_ports);
	take_text(line, "last_exit", value, snap->last_exit, sizeof snap->last_exit);
	take_number(line, "pid", value, &snap->pid);
	take_number(line, "last_probe_ok", value, &snap->last_probe_ok);
	take_number(line, "poll", value, &snap->poll);
	take_number(line, "first_poll", value, &snap->first_poll);
	take_number(line, "net_timeout_ms", value, &snap->net_timeout_ms);
	take_number(line, "pid_start", value, &snap->pid_start);
	take_number(line, "ssh_pid", value, &snap->ssh_pid);
	take_number(line, "starts", value, &snap->starts);
	take_number(line, "since", value, &snap->since);
	take_number(line, "last_probe_rtt_ms", value, &snap->last_probe_rtt_ms);
}

static void snapshot_init(struct status_snapshot *snap)
{
	memset(snap, 0, sizeof *snap);
	strcpy(snap->monitor, "0");
	snap->pid_start = snap->last_probe_rtt_ms = -1;
}

/*
 * Read a status file: a regular file only (a FIFO planted there cannot
 * hang a health check), at most 16 KiB.  -1 with errno if it cannot be read.
 */
static int read_status_file(const char *path, struct status_snapshot *snap)
{
	char buf[16384];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	snapshot_init(snap);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		read_status_line(snap, line);
	}
	return 0;
}

static long long clamp(long long value, long long min, long long max)
{
	return value < min ? min : value > max ? max : value;
}

/*
 * How old the last good probe may be: 2 x max(POLL, FIRST_POLL) + 4T s.
 * The file's values are clamped to the ranges autossh writes, so no
 * product can overflow whatever the file says.
 */
static long long probe_age_limit(const struct status_snapshot *snap)
{
	long long poll = clamp(snap->poll, 0, INT_MAX_L);
	long long first_poll = clamp(snap->first_poll, 0, INT_MAX_L);
	long long net_timeout_ms = clamp(snap->net_timeout_ms, 0, 3600000);

	return 2 * (poll > first_poll ? poll : first_poll) + (4 * net_timeout_ms + 999) / 1000;
}

/* A pid from the file names one process: never 0, a group or -1 (kill's other meanings). */
static int status_pid_alive(long long pid)
{
	if (pid <= 0 || pid > INT_MAX_L || (long long)(pid_t)pid != pid)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* The cause a status file's "reason=<cause>: <line>" names, from the fixed list; CAUSE_NONE if none. */
static enum ssh_cause reason_cause(const char *reason)
{
	size_t n = strcspn(reason, ":");

	if (!reason[0])
		return CAUSE_NONE;
	for (int c = CAUSE_NONE + 1; c < N_CAUSES; c++)
		if (strlen(cause_name((enum ssh_cause)c)) == n && strncmp(reason, cause_name((enum ssh_cause)c), n) == 0)
			return (enum ssh_cause)c;
	return CAUSE_UNKNOWN;
}

enum health { HEALTH_OK, HEALTH_UNHEALTHY, HEALTH_DEAD };

/*
 * Is the status file's autossh healthy (autossh(1) --check)?  alive: its
 * pid runs; start: that process's start time (-1 unknown), which must be
 * the file's pid_start where both are known, or the pid was reused.  One
 * line in why says what was found.
 */
static enum health judge_status(const struct status_snapshot *snap, int alive, long long start, long long now,
				char *why, size_t len)
{
	if (!alive || (snap->pid_start > 0 && start > 0 && snap->pid_start != start)) {
		snprintf(why, len, "autossh (pid %lld) is not running%s", snap->pid,
			 alive ? " (its pid now names another process)" : "");
		return HEALTH_DEAD;
	}
	if (strcmp(snap->state, "connected") != 0) {
		snprintf(why, len, "state is %s%s%s%s%s%s", snap->state[0] ? snap->state : "unknown",
			 snap->reason[0] ? ": " : "", snap->reason[0] ? cause_phrase(reason_cause(snap->reason)) : "",
			 snap->reason[0] ? " (" : "", snap->reason, snap->reason[0] ? ")" : "");
		return HEALTH_UNHEALTHY;
	}
	if (strcmp(snap->monitor, "0") == 0) {
		snprintf(why, len, "connected");
		return HEALTH_OK;
	}
	long long age = now - snap->last_probe_ok;
	long long limit = probe_age_limit(snap);
	if (snap->last_probe_ok <= 0 || age > limit) {
		snprintf(why, len, "last good probe %lld s ago (limit %lld s)", snap->last_probe_ok > 0 ? age : -1,
			 limit);
		return HEALTH_UNHEALTHY;
	}
	snprintf(why, len, "connected, last good probe %lld s ago", age);
	return HEALTH_OK;
}

/* judge_status with what the system says about the file's pid now. */
static enum health judge_status_now(const struct status_snapshot *snap, char *why, size_t len)
{
	int alive = status_pid_alive(snap->pid);
	long long start = alive ? process_start_time((long)snap->pid) : -1;

	return judge_status(snap, alive, start, (long long)time(NULL), why, len);
}

/* autossh --check STATUSFILE (autossh(1) SYSTEMD AND CONTAINERS). */
static int run_check(const char *progname, const char *path)
{
	struct status_snapshot snap;
	char why[512];

	if (path == NULL) {
		fprintf(stderr, "%s: --check: option requires a status file\n", progname);
		return 1;
	}
	if (read_status_file(path, &snap) != 0) {
		printf("unhealthy: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	enum health health = judge_status_now(&snap, why, sizeof why);
	printf("%s: %s\n", health == HEALTH_OK ? "healthy" : "unhealthy", why);
	return health == HEALTH_OK ? 0 : 1;
}

/* ---- --list (autossh(1) DESCRIPTION) */

enum list_format { LIST_TEXT, LIST_JSON, LIST_PROMETHEUS };

struct listed {
	char *path;
	int readable;
	char error[128];                /* why it could not be read */
	struct status_snapshot snap;
	enum health health;
	char why[512];
};

struct tunnel_list {
	struct listed *items;
	size_t n, cap;
};

static void list_add(struct tunnel_list *l, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		struct listed *grown = realloc(l->items, l->cap * sizeof *grown);
		if (grown == NULL) {
			fputs("autossh: out of memory\n", stderr);
			exit(1);
		}
		l->items = grown;
	}
	memset(&l->items[l->n], 0, sizeof l->items[l->n]);
	l->items[l->n++].path = xstrdup(path);
}

static char *join_path(const char *dir, const char *name, const char *tail)
{
	size_t len = strlen(dir) + strlen(name) + strlen(tail) + 2;
	char *path = xcalloc(len, 1);
	snprintf(path, len, "%s/%s%s", dir, name, tail);
	return path;
}

/* A directory's status files: NAME.status and NAME/status. */
static void list_directory(struct tunnel_list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	struct stat st;

	if (d == NULL)
		return;
	while ((entry = readdir(d)) != NULL) {
		const char *name = entry->d_name;
		size_t n = strlen(name);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char *path = join_path(dir, name, "");
		if (n > 7 && strcmp(name + n - 7, ".status") == 0 && lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			list_add(l, path);
		} else {
			char *inner = join_path(dir, name, "/status");
			if (lstat(inner, &st) == 0)
				list_add(l, inner);
			free(inner);
		}
		free(path);
	}
	closedir(d);
}

/* A path given: a directory is searched, anything else is one status file (maybe unreadable). */
static void list_path(struct tunnel_list *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		list_directory(l, path);
	else
		list_add(l, path);
}

/* The default places: /run/autossh (units) and $XDG_RUNTIME_DIR/autossh (a user's tunnels). */
static void list_defaults(struct tunnel_list *l)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	list_directory(l, "/run/autossh");
	if (xdg && xdg[0] == '/') {
		char *dir = join_path(xdg, "autossh", "");
		if (strcmp(dir, "/run/autossh") != 0)
			list_directory(l, dir);
		free(dir);
	}
}

static int compare_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int by_name = strcmp(x->snap.name, y->snap.name);
	return by_name ? by_name : strcmp(x->path, y->path);
}

/* Read and judge each file; the name from the file, else from its path. */
static void list_read_all(struct tunnel_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct listed *t = &l->items[i];
		t->readable = read_status_file(t->path, &t->snap) == 0;
		if (!t->readable)
			snprintf(t->error, sizeof t->error, "%s", strerror(errno));
		if (!t->snap.name[0])
			name_from_status_path(t->path, t->snap.name, sizeof t->snap.name);
		t->health = t->readable ? judge_status_now(&t->snap, t->why, sizeof t->why) : HEALTH_UNHEALTHY;
	}
	if (l->n > 1)
		qsort(l->items, l->n, sizeof *l->items, compare_listed);
}

/* The state --list shows: the file's, or dead, or unreadable. */
static const char *listed_state(const struct listed *t)
{
	if (!t->readable)
		return "unreadable";
	if (t->health == HEALTH_DEAD)
		return "dead";
	return t->snap.state[0] ? t->snap.state : "unknown";
}

/* Does "-R spec" ask for the port ssh reported as alloc ("N:H:P")?  It ends "[bind:]0:H:P". */
static size_t allocated_for(const char *spec, const char *alloc)
{
	const char *tail = strchr(alloc, ':');
	size_t sl = strlen(spec), tl = tail ? strlen(tail) : 0;

	if (tail == NULL || sl < tl + 1 || strcmp(spec + sl - tl, tail) != 0 || spec[sl - tl - 1] != '0')
		return 0;
	return sl == tl + 1 || spec[sl - tl - 2] == ':' ? sl - tl : 0;  /* the '0' ends this prefix */
}

enum { MAX_SHOWN_PORTS = 16 };

/* Split remote_ports ("N:H:P N:H:P ...") into allocs; returns how many. */
static int split_allocations(const char *remote_ports, char allocs[][160], int max)
{
	int n = 0;

	for (const char *r = remote_ports; *r && n < max; r += *r == ' ') {
		size_t rl = strcspn(r, " ");
		snprintf(allocs[n++], 160, "%.*s", (int)rl, r);
		r += rl;
	}
	return n;
}

/* The first unused allocation a -R spec asked for: its index (marked used) and *prefix, or -1. */
static int take_allocation(const char *spec, char allocs[][160], int *used, int n, size_t *prefix)
{
	for (int a = 0; a < n; a++)
		if (!used[a] && (*prefix = allocated_for(spec, allocs[a])) > 0) {
			used[a] = 1;
			return a;
		}
	return -1;
}

/*
 * The forwards with the ports the server chose: a -R spec whose "N:H:P"
 * ssh reported shows N in place of its 0; a report that matches none is
 * added as "-R N:H:P".
 */
static void forwards_with_ports(const char *forwards, const char *remote_ports, char *out, size_t len)
{
	char allocs[MAX_SHOWN_PORTS][160], word[1024];
	int used[MAX_SHOWN_PORTS] = { 0 }, after_r = 0;
	int n_allocs = split_allocations(remote_ports, allocs, MAX_SHOWN_PORTS);
	size_t k = 0;

	out[0] = '\0';
	for (const char *f = forwards; *f && k < len; f += *f == ' ') {
		size_t wl = strcspn(f, " "), prefix = 0;
		snprintf(word, sizeof word, "%.*s", (int)wl, f);
		f += wl;
		int a = after_r ? take_allocation(word, allocs, used, n_allocs, &prefix) : -1;
		if (a >= 0)
			k += (size_t)snprintf(out + k, len - k, "%s%.*s%s", k ? " " : "", (int)(prefix - 1), word, allocs[a]);
		else
			k += (size_t)snprintf(out + k, len - k, "%s%s", k ? " " : "", word);
		after_r = strcmp(word, "-R") == 0;
	}
	for (int a = 0; a < n_allocs && k < len; a++)
		if (!used[a])
			k += (size_t)snprintf(out + k, len - k, "%s-R %s", k ? " " : "", allocs[a]);
}

/* "3h05m": how long a state has lasted, in 6 characters up to 270 years. */
static void format_duration(long long seconds, char *buf, size_t len)
{
	if (seconds < 0)
		snprintf(buf, len, "-");
	else if (seconds < 60)
		snprintf(buf, len, "%llds", seconds);
	else if (seconds < 3600)
		snprintf(buf, len, "%lldm%02llds", seconds / 60, seconds % 60);
	else if (seconds < 86400)
		snprintf(buf, len, "%lldh%02lldm", seconds / 3600, seconds % 3600 / 60);
	else if (seconds < 100 * 86400LL)
		snprintf(buf, len, "%lldd%02lldh", seconds / 86400, seconds % 86400 / 3600);
	else
		snprintf(buf, len, "%lldd", seconds / 86400);
}

enum { LIST_WIDTH = 80 };

/* Cut a line to LIST_WIDTH bytes, never inside a UTF-8 character. */
static void cut_to_width(char *line)
{
	size_t n = strlen(line);

	if (n <= LIST_WIDTH)
		return;
	n = LIST_WIDTH;
	while (n > 0 && ((unsigned char)line[n] & 0xC0) == 0x80)
		n--;
	line[n] = '\0';
}

/* What an unhealthy line says before its forwards: the reason, else what the state column does not. */
static const char *unhealthy_detail(const struct listed *t)
{
	if (t->health == HEALTH_DEAD)
		return t->why;
	if (t->snap.reason[0])
		return t->snap.reason;
	return strcmp(t->snap.state, "connected") == 0 ? t->why : "";
}

/* One tunnel, one line of at most 80 columns: name, state, for how long, restarts, RTT, details. */
static void format_list_line(const struct listed *t, long long now, char *line, size_t len)
{
	const struct status_snapshot *s = &t->snap;
	char name[sizeof s->name * 4], since[24] = "-", rtt[24] = "-", restarts[24] = "-", shown[1024];
	char detail[1600], printable_detail[sizeof detail * 4];

	printable(s->name, name, sizeof name);
	if (t->readable && t->health != HEALTH_DEAD && s->since > 0)
		format_duration(now - s->since, since, sizeof since);
	if (t->readable)
		snprintf(restarts, sizeof restarts, "%lld", s->starts > 0 ? s->starts - 1 : 0);
	if (t->readable && strcmp(s->monitor, "0") != 0 && s->last_probe_ok > 0 && s->last_probe_rtt_ms >= 0)
		snprintf(rtt, sizeof rtt, "%lldms", s->last_probe_rtt_ms);
	forwards_with_ports(s->forwards, s->remote_ports, shown, sizeof shown);
	if (!t->readable)
		snprintf(detail, sizeof detail, "%s: %s", t->path, t->error);
	else if (t->health != HEALTH_OK && unhealthy_detail(t)[0])
		snprintf(detail, sizeof detail, "%s%s%s", unhealthy_detail(t), shown[0] ? "; " : "", shown);
	else
		snprintf(detail, sizeof detail, "%s", shown);
	snprintf(line, len, "%-14.14s %-10s %6s %8s %6s %s", name, listed_state(t), since, restarts, rtt,
		 printable(detail, printable_detail, sizeof printable_detail));
	cut_to_width(line);
}

static const char *state_colour(const struct listed *t)
{
	if (t->health == HEALTH_OK)
		return "\033[32m";
	return t->readable && t->health != HEALTH_DEAD && strcmp(t->snap.state, "connected") != 0 ? "\033[33m"
												     : "\033[31m";
}

static void print_list_text(const struct tunnel_list *l, long long now)
{
	int colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	char line[LIST_WIDTH * 8];

	if (colour)  /* a header for people; scripts get one line per tunnel */
		printf("%-14s %-10s %6s %8s %6s %s\n", "NAME", "STATE", "FOR", "RESTARTS", "RTT", "DETAILS");
	for (size_t i = 0; i < l->n; i++) {
		const struct listed *t = &l->items[i];
		format_list_line(t, now, line, sizeof line);
		if (!colour) {
			puts(line);
			continue;
		}
		/* The state is the second column, at 15. */
		printf("%.15s%s%-10s\033[0m%s\n", line, state_colour(t), listed_state(t), line + 15 + 10);
	}
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(FILE *to, const char *key, const char *value)
{
	fprintf(to, ",\"%s\":\"", key);
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(to, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(to, "\\u%04x", *c);
		else
			(void)fputc(*c, to);
	}
	(void)fputc('"', to);
}

static void print_list_json(const struct tunnel_list *l, long long now)
{
	char shown[1024];

	for (size_t i = 0; i < l->n; i++) {
		const struct listed *t = &l->items[i];
		const struct status_snapshot *s = &t->snap;
		printf("{\"healthy\":%s", t->health == HEALTH_OK && t->readable ? "true" : "false");
		json_string(stdout, "name", s->name);
		json_string(stdout, "state", listed_state(t));
		json_string(stdout, "path", t->path);
		if (!t->readable) {
			json_string(stdout, "error", t->error);
			puts("}");
			continue;
		}
		forwards_with_ports(s->forwards, s->remote_ports, shown, sizeof shown);
		json_string(stdout, "why", t->why);
		json_string(stdout, "reason", s->reason);
		json_string(stdout, "forwards", shown);
		json_string(stdout, "last_exit", s->last_exit);
		json_string(stdout, "monitor", s->monitor);
		printf(",\"pid\":%lld,\"ssh_pid\":%lld,\"restarts\":%lld,\"since\":%lld,\"for_seconds\":%lld", s->pid,
		       s->ssh_pid, s->starts > 0 ? s->starts - 1 : 0, s->since, s->since > 0 ? now - s->since : 0);
		printf(",\"last_probe_ok\":%lld,\"last_probe_rtt_ms\":%lld}\n", s->last_probe_ok, s->last_probe_rtt_ms);
	}
}

/* A label value in the exposition format: backslash, quote and newline escaped. */
static void prometheus_label(FILE *to, const char *value)
{
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(to, "\\%c", *c);
		else if (*c == '\n')
			(void)fputs("\\n", to);
		else
			(void)fputc(*c, to);
	}
}

static void prometheus_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{tunnel="...",extra} value. */
static void prometheus_sample(const char *name, const struct listed *t, const char *extra_label,
			      const char *extra_value, long long value)
{
	printf("%s{tunnel=\"", name);
	prometheus_label(stdout, t->snap.name);
	if (extra_label)
		printf("\",%s=\"%s", extra_label, extra_value);
	printf("\"} %lld\n", value);
}

static int monitored(const struct listed *t)
{
	return t->readable && t->health != HEALTH_DEAD && strcmp(t->snap.monitor, "0") != 0;
}

static const char *const list_states[] = { "starting", "connected", "backoff", "stopping", "dead", "unreadable" };

/* The families every tunnel has: up, state, restarts, since. */
static void prometheus_basics(const struct tunnel_list *l)
{
	prometheus_family("autossh_up", "gauge", "1 if the tunnel is healthy (as autossh --check), else 0.");
	for (size_t i = 0; i < l->n; i++)
		prometheus_sample("autossh_up", &l->items[i], NULL, NULL,
				  l->items[i].readable && l->items[i].health == HEALTH_OK);
	prometheus_family("autossh_state", "gauge", "1 for the tunnel's current state, 0 for the others.");
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < sizeof list_states / sizeof list_states[0]; k++)
			prometheus_sample("autossh_state", &l->items[i], "state", list_states[k],
					  strcmp(listed_state(&l->items[i]), list_states[k]) == 0);
	prometheus_family("autossh_restarts_total", "counter", "ssh restarts since autossh started.");
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].readable)
			prometheus_sample("autossh_restarts_total", &l->items[i], NULL, NULL,
					  l->items[i].snap.starts > 0 ? l->items[i].snap.starts - 1 : 0);
	prometheus_family("autossh_state_since_seconds", "gauge", "When the current state began (Unix time).");
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].readable)
			prometheus_sample("autossh_state_since_seconds", &l->items[i], NULL, NULL, l->items[i].snap.since);
}

/* One series per cause of the fixed list (autossh(1) FILES, reason). */
static void prometheus_causes(const struct tunnel_list *l)
{
	prometheus_family("autossh_cause", "gauge", "1 for the cause of the last failed start, while unhealthy.");
	for (size_t i = 0; i < l->n; i++) {
		enum ssh_cause cause = reason_cause(l->items[i].snap.reason);
		for (int c = CAUSE_NONE + 1; c < N_CAUSES && l->items[i].readable; c++)
			prometheus_sample("autossh_cause", &l->items[i], "cause", cause_name((enum ssh_cause)c),
					  (int)cause == c);
	}
}

/* The probe's families, only for tunnels with monitoring, and only if there is one. */
static void prometheus_probes(const struct tunnel_list *l)
{
	int any = 0;

	for (size_t i = 0; i < l->n; i++)
		any |= monitored(&l->items[i]);
	if (!any)
		return;
	prometheus_family("autossh_last_probe_ok_timestamp_seconds", "gauge", "When a probe last passed (Unix time).");
	for (size_t i = 0; i < l->n; i++)
		if (monitored(&l->items[i]))
			prometheus_sample("autossh_last_probe_ok_timestamp_seconds", &l->items[i], NULL, NULL,
					  l->items[i].snap.last_probe_ok);
	prometheus_family("autossh_probe_rtt_seconds", "gauge", "The last passed probe's round trip.");
	for (size_t i = 0; i < l->n; i++) {
		long long rtt_ms = l->items[i].snap.last_probe_rtt_ms;
		if (!monitored(&l->items[i]))
			continue;
		printf("autossh_probe_rtt_seconds{tunnel=\"");
		prometheus_label(stdout, l->items[i].snap.name);
		printf("\"} %.3f\n", (double)(rtt_ms > 0 ? rtt_ms : 0) / 1000.0);
	}
}

/* The text exposition format: each family with # HELP and # TYPE, then its samples. */
static void print_list_prometheus(const struct tunnel_list *l)
{
	prometheus_basics(l);
	prometheus_causes(l);
	prometheus_probes(l);
}

/* --list's own words: --json or --prometheus, then paths; -1 after an error line. */
static int list_options(const char *progname, int argc, char **argv, enum list_format *format, int *first_path)
{
	int i = 0;

	*format = LIST_TEXT;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		enum list_format want = strcmp(argv[i], "--json") == 0 ? LIST_JSON
				      : strcmp(argv[i], "--prometheus") == 0 ? LIST_PROMETHEUS : LIST_TEXT;
		if (want == LIST_TEXT) {
			char shown[256];
			fprintf(stderr, "%s: --list: unknown option \"%s\" (expected --json or --prometheus)\n", progname,
				printable(argv[i], shown, sizeof shown));
			return -1;
		}
		if (*format != LIST_TEXT && *format != want) {
			fprintf(stderr, "%s: --list: --json and --prometheus exclude each other\n", progname);
			return -1;
		}
		*format = want;
	}
	*first_path = i;
	return 0;
}

/*
 * autossh --list [--json|--prometheus] [PATH...] (autossh(1) DESCRIPTION): exit 0
 * if every tunnel found is healthy; the machine formats exit 0 once written.
 */
static int run_list(const char *progname, int argc, char **argv)
{
	struct tunnel_list l = { NULL, 0, 0 };
	enum list_format format;
	int first, all_ok = 1;
	long long now = (long long)time(NULL);

	if (list_options(progname, argc, argv, &format, &first) != 0)
		return 1;
	if (first == argc)
		list_defaults(&l);
	for (int i = first; i < argc; i++)
		list_path(&l, argv[i]);
	list_read_all(&l);
	for (size_t i = 0; i < l.n; i++)
		all_ok &= l.items[i].readable && l.items[i].health == HEALTH_OK;
	if (format == LIST_JSON)
		print_list_json(&l, now);
	else if (format == LIST_PROMETHEUS)
		print_list_prometheus(&l);
	else
		print_list_text(&l, now);
	for (size_t i = 0; i < l.n; i++)
		free(l.items[i].path);
	free(l.items);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return format != LIST_TEXT ? 0 : all_ok && l.n > 0 ? 0 : 1;
}


/* ------------------------------------------------------------------ doctor */

/*
 * autossh --doctor checks a set-up without starting it (autossh(1) DOCTOR):
 * the same parser and checks as a start, then ssh's own view of the options
 * (ssh -G).  It runs nothing but ssh -G, ssh-keygen -F and, with --connect,
 * one ssh; it writes no file.
 */

enum {
	DOCTOR_G_TIMEOUT_MS = 10000,        /* ssh -G may run Match exec commands */
	DOCTOR_KEYGEN_TIMEOUT_MS = 5000,
	DOCTOR_CONNECT_TIMEOUT_S = 10,      /* when ssh has no ConnectTimeout */
	DOCTOR_KILL_AFTER_MS = 5000,        /* beyond ConnectTimeout: login hung */
	DOCTOR_REPLY_WAIT_MS = 3000,        /* after the login, for the server's answers to -R */
	DOCTOR_OUTPUT_MAX = 65536
};

struct captured {
	char out[DOCTOR_OUTPUT_MAX];
	size_t out_len;
	char err[16384];                    /* the tail of its stderr */
	size_t err_len;
	char last_err[512];                 /* its last stderr line, printable */
	int status;                         /* wait status; -1 if it did not run */
	int run_errno;
	int timed_out;
	int stopped;                        /* the stop text appeared on stderr: ended by autossh */
	long long took_ms;
};

struct doctor {
	const struct config *cfg;
	struct captured *g;                 /* ssh -G */
	int failures, warnings;
	int port_held;                      /* a -L port is held: a forward is impossible now */
	int encrypted_key;                  /* an encrypted identity file and no agent */
	struct passwd user;                 /* ssh's idea of home and user name */
	char user_buf[4096];
};

enum verdict { V_OK, V_WARN, V_FAIL };

static void verdict(struct doctor *d, enum verdict v, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verdict(struct doctor *d, enum verdict v, const char *check, const char *fmt, ...)
{
	static const char *const tags[] = { "ok", "warn", "FAIL" };
	char text[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	printf("%-4s %s: %s\n", tags[v], check, text);
	d->warnings += v == V_WARN;
	d->failures += v == V_FAIL;
}

/* Keep stdout whole (up to the buffer) and the tail of stderr. */
static void keep_output(struct captured *c, int is_err, const char *buf, size_t n)
{
	if (!is_err) {
		size_t room = sizeof c->out - 1 - c->out_len;
		memcpy(c->out + c->out_len, buf, n < room ? n : room);
		c->out_len += n < room ? n : room;
		return;
	}
	if (n >= sizeof c->err) {
		buf += n - (sizeof c->err - 1);
		n = sizeof c->err - 1;
	}
	if (c->err_len + n >= sizeof c->err) {
		size_t drop = c->err_len + n - (sizeof c->err - 1);
		memmove(c->err, c->err + drop, c->err_len - drop);
		c->err_len -= drop;
	}
	memcpy(c->err + c->err_len, buf, n);
	c->err_len += n;
}

/*
 * When to end a captured program early: once its stderr shows first, then
 * count lines showing then (ssh's replies to -R), or wait_ms after first.
 */
struct stop_rule {
	const char *first, *then;
	int count;
	long long wait_ms;
};

static int count_occurrences(const char *text, const char *what)
{
	int n = 0;
	for (const char *at = strstr(text, what); at; at = strstr(at + 1, what))
		n++;
	return n;
}

/* After more stderr: has the rule been met?  At first, the deadline moves to wait_ms from now. */
static int stop_rule_met(const struct stop_rule *rule, struct captured *c, int *first_seen, long long *deadline)
{
	c->err[c->err_len] = '\0';
	if (!*first_seen && strstr(c->err, rule->first) != NULL) {
		*first_seen = 1;
		if (*deadline > monotime_ms() + rule->wait_ms)
			*deadline = monotime_ms() + rule->wait_ms;
	}
	return *first_seen && (rule->count == 0 || count_occurrences(c->err, rule->then) >= rule->count);
}

/* Read what one pipe holds (is_err: stderr); close it at its end.  1 if something was read. */
static int read_ready(struct captured *c, struct pollfd *fd, int is_err)
{
	char buf[4096];
	ssize_t n;

	if (fd->fd < 0 || fd->revents == 0)
		return 0;
	n = read(fd->fd, buf, sizeof buf);
	if (n > 0) {
		keep_output(c, is_err, buf, (size_t)n);
		return 1;
	}
	if (n == 0 || errno != EINTR) {
		close(fd->fd);
		fd->fd = -1;
	}
	return 0;
}

/* Read stdout and stderr until both end, the deadline passes, or the stop rule ends it (then 1). */
static int collect_output(struct captured *c, int out_fd, int err_fd, long long deadline, const struct stop_rule *rule)
{
	int stopped = 0, first_seen = 0;

	struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };

	while (!stopped && (fds[0].fd >= 0 || fds[1].fd >= 0)) {
		long long left = deadline - monotime_ms();
		if (left <= 0 || (poll(fds, 2, left > INT_MAX ? INT_MAX : (int)left) < 0 && errno != EINTR)) {
			stopped = first_seen;  /* the wait after first is over */
			break;
		}
		for (int i = 0; i < 2; i++)
			if (read_ready(c, &fds[i], i) && i == 1 && rule != NULL)
				stopped = stop_rule_met(rule, c, &first_seen, &deadline);
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	c->out[c->out_len] = '\0';
	c->err[c->err_len] = '\0';
	return stopped;
}

static void note_last_error_line(struct captured *c)
{
	char *end = c->err + c->err_len, *line;

	while (end > c->err && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	line = end;
	while (line > c->err && line[-1] != '\n')
		line--;
	line[strcspn(line, "\r")] = '\0';
	printable(line, c->last_err, sizeof c->last_err);
}

/* The child's half: stdin from /dev/null, output into the pipes, then exec. */
static void exec_captured(const char *path, char *const *argv, char **envp, int out_fd, int err_fd, int report_fd)
{
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY), err;

	struct sigaction dfl;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (devnull >= 0 && dup2(devnull, STDIN_FILENO) >= 0 && dup2(out_fd, STDOUT_FILENO) >= 0 &&
	    dup2(err_fd, STDERR_FILENO) >= 0)
		execve(path, argv, envp);
	err = errno;
	(void)!write(report_fd, &err, sizeof err);
	_exit(127);
}

/*
 * Run a program without a shell, bounded in time; SIGKILL when the time is
 * up.  With a stop rule, end it (SIGTERM) as soon as the rule says.
 */
static void run_captured_until(const char *path, char *const *argv, char **envp, long long timeout_ms,
			       const struct stop_rule *rule, struct captured *c)
{
	long long kill_at;
	int out[2], err[2], report[2] = { -1, -1 };
	long long started = monotime_ms();
	pid_t pid;
	ssize_t n;

	memset(c, 0, sizeof *c);
	c->status = -1;
	if (cloexec_pipe(out) != 0 || cloexec_pipe(err) != 0 || cloexec_pipe(report) != 0) {
		c->run_errno = errno;  /* the doctor exits soon: a leaked pipe does no harm */
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_captured(path, argv, envp, out[1], err[1], report[1]);
	close(out[1]);
	close(err[1]);
	close(report[1]);
	do
		n = pid < 0 ? -1 : read(report[0], &c->run_errno, sizeof c->run_errno);
	while (n < 0 && errno == EINTR && pid >= 0);
	close(report[0]);
	if (pid < 0 || n == (ssize_t)sizeof c->run_errno) {
		if (pid < 0)
			c->run_errno = errno;
		else
			waitpid(pid, NULL, 0);
		close(out[0]);
		close(err[0]);
		return;
	}
	c->run_errno = 0;
	c->stopped = collect_output(c, out[0], err[0], started + timeout_ms, rule);
	kill_at = started + timeout_ms;
	if (c->stopped) {
		c->took_ms = monotime_ms() - started;
		kill(pid, SIGTERM);
		kill_at = monotime_ms() + DOCTOR_KILL_AFTER_MS;
	}
	/* Its output has ended: it exits in a moment, or is killed at the deadline. */
	while (waitpid(pid, &c->status, WNOHANG) == 0) {
		if (monotime_ms() >= kill_at) {
			c->timed_out = !c->stopped;
			kill(pid, SIGKILL);
			waitpid(pid, &c->status, 0);
			break;
		}
		poll(NULL, 0, 10);
	}
	if (!c->stopped)
		c->took_ms = monotime_ms() - started;
	note_last_error_line(c);
}

static void run_captured(const char *path, char *const *argv, char **envp, long long timeout_ms,
			 struct captured *c)
{
	run_captured_until(path, argv, envp, timeout_ms, NULL, c);
}

/* The index-th "key value" line of ssh -G output: its value in buf, or NULL. */
static const char *ssh_g_value(const char *out, const char *key, int index, char *buf, size_t len)
{
	size_t key_len = strlen(key);

	for (const char *line = out; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		size_t n = strcspn(line, "\n");
		if (n > key_len && strncmp(line, key, key_len) == 0 && line[key_len] == ' ' && index-- == 0) {
			snprintf(buf, len, "%.*s", (int)(n - key_len - 1), line + key_len + 1);
			return buf;
		}
	}
	buf[0] = '\0';
	return NULL;
}

static const char *g_value(const struct doctor *d, const char *key, char *buf, size_t len)
{
	return ssh_g_value(d->g->out, key, 0, buf, len);
}

static int g_is(const struct doctor *d, const char *key, const char *value)
{
	char buf[256];
	return g_value(d, key, buf, sizeof buf) && strcmp(buf, value) == 0;
}

static int g_count(const struct doctor *d, const char *key)
{
	char buf[8];
	int n = 0;
	while (ssh_g_value(d->g->out, key, n, buf, sizeof buf))
		n++;
	return n;
}

/* One option group of filter_ssh_words; *next moves past a value taken from the next word. */
static int filter_group(const char *word, const char *next_word, int *next, const char *drop_flags,
			const char *drop_values, char **out)
{
	char *kept = xcalloc(strlen(word) + 1, 1);
	size_t kl = 1;
	int k = 0, value_next = 0, value_dropped = 0;

	kept[0] = '-';
	for (const char *l = word + 1; *l; l++) {
		int takes_value = strchr(ssh_value_letters, *l) != NULL;
		int dropped = strchr(takes_value ? drop_values : drop_flags, *l) != NULL;
		if (!dropped)
			kept[kl++] = *l;
		if (!takes_value)
			continue;
		if (!dropped)
			kl += (size_t)sprintf(kept + kl, "%s", l + 1);
		value_next = l[1] == '\0' && next_word != NULL;
		value_dropped = dropped;
		break;
	}
	if (kl > 1)
		out[k++] = kept;
	else
		free(kept);
	if (value_next) {
		(*next)++;
		if (!value_dropped)
			out[k++] = xstrdup(next_word);
	}
	return k;
}

/*
 * Copy ssh's words by its grammar, dropping the flag letters in drop_flags
 * and the options in drop_values with their values; with cut_command, stop
 * after the destination's options (the remote command is left out).
 */
static int filter_ssh_words(char *const *words, int n, const char *drop_flags, const char *drop_values,
			    int cut_command, char **out)
{
	int i = 0, k = 0, destination_done = 0;

	while (i < n) {
		const char *word = words[i];
		if (!destination_done && strcmp(word, "--") == 0) {
			out[k++] = xstrdup(words[i++]);  /* ssh's end of options: the destination follows */
			if (i < n)
				out[k++] = xstrdup(words[i++]);
			break;
		}
		if (!is_option_group(word) || strcmp(word, "--") == 0) {
			if (destination_done)
				break;  /* the remote command */
			out[k++] = xstrdup(words[i++]);
			destination_done = 1;
			continue;
		}
		i++;
		k += filter_group(word, i < n ? words[i] : NULL, &i, drop_flags, drop_values, out + k);
	}
	while (!cut_command && i < n)
		out[k++] = xstrdup(words[i++]);
	out[k] = NULL;
	return k;
}

/* What ssh's file names may refer to: ~ and the %-tokens autossh can know. */
struct ssh_names {
	const char *home, *local_user, *host, *remote_user, *port;
};

/* Expand a file name as ssh does; -1 for a token autossh cannot know (%C, ~user ...). */
static int expand_ssh_path(const char *in, const struct ssh_names *names, char *out, size_t len)
{
	size_t k = 0;

	if (in[0] == '~' && in[1] != '/' && in[1] != '\0')
		return -1;
	if (in[0] == '~') {
		k = (size_t)snprintf(out, len, "%s", names->home);
		in++;
	}
	for (; *in && k < len; in++) {
		const char *with = NULL;
		if (*in != '%') {
			out[k++] = *in;
			continue;
		}
		switch (*++in) {
		case '%': with = "%"; break;
		case 'd': with = names->home; break;
		case 'u': with = names->local_user; break;
		case 'h': with = names->host; break;
		case 'r': with = names->remote_user; break;
		case 'p': with = names->port; break;
		default: return -1;
		}
		k += (size_t)snprintf(out + k, len - k, "%s", with);
	}
	if (k >= len)
		return -1;
	out[k] = '\0';
	return 0;
}

/* The name known_hosts files use: host, or [host]:port off port 22. */
static void known_hosts_name(const char *host, const char *port, const char *alias, char *out, size_t len)
{
	if (alias && *alias && strcmp(alias, "none") != 0)
		snprintf(out, len, "%s", alias);
	else if (port == NULL || strcmp(port, "22") == 0)
		snprintf(out, len, "%s", host);
	else
		snprintf(out, len, "[%s]:%s", host, port);
}

/* ssh -G lists its default keys when none is configured; those may well not exist. */
static int is_default_identity(const char *name)
{
	return strncmp(name, "~/.ssh/id_", 10) == 0;
}

static void doctor_names(struct doctor *d, struct ssh_names *names, char bufs[3][256])
{
	struct passwd *pw = NULL;
	const char *home = getenv("HOME");

	/* ssh takes the home directory from the password database, not HOME. */
	if (getpwuid_r(getuid(), &d->user, d->user_buf, sizeof d->user_buf, &pw) != 0)
		pw = NULL;
	names->home = pw && pw->pw_dir ? pw->pw_dir : home ? home : "/";
	names->local_user = pw && pw->pw_name ? pw->pw_name : "";
	names->host = g_value(d, "hostname", bufs[0], sizeof bufs[0]) ? bufs[0] : "";
	names->remote_user = g_value(d, "user", bufs[1], sizeof bufs[1]) ? bufs[1] : "";
	names->port = g_value(d, "port", bufs[2], sizeof bufs[2]) ? bufs[2] : "22";
}

static void doctor_log_target(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	const char *path = cfg->logfile;
	char why[256], line[ERRLEN];
	int fd;

	if (path == NULL || strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0 ||
	    strcmp(path, "/dev/stderr") == 0) {
		verdict(d, V_OK, "log", "%s", path == NULL ? "syslog, facility user" : path);
		return;
	}
	/* As a start opens it, but never creating it. */
	fd = open_log_file(path, 0, why, sizeof why);
	if (fd >= 0) {
		close(fd);
		verdict(d, V_OK, "log", "%s can be appended to", path);
		return;
	}
	if (errno == ENOENT && probe_writable(path, why, sizeof why) == 0) {
		verdict(d, V_OK, "log", "%s will be created", path);
		return;
	}
	format_invalid(line, sizeof line, cfg->progname, "AUTOSSH_LOGFILE", path, why);
	verdict(d, V_FAIL, "log", "%s", line);
}

static void doctor_monitor(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	char err[ERRLEN];
	int listener;

	if (!cfg->port_given) {
		verdict(d, V_WARN, "monitor",
			"no -M given: off here, while the distribution's autossh wrapper picks a random monitor port; "
			"this autossh monitors nothing and ServerAliveInterval has to notice a dead link; "
			"fix: -M 0 to say so, or -M PORT");
		return;
	}
	if (cfg->monitor_port == 0) {
		verdict(d, V_OK, "monitor", "off; ServerAliveInterval has to notice a dead link");
		return;
	}
	if (setup_monitor(cfg, &listener, err, sizeof err) != 0) {
		verdict(d, V_FAIL, "monitor", "%s; fix: choose a free port for -M", err);
		return;
	}
	if (listener >= 0)
		close(listener);
	if (cfg->echo_port)
		verdict(d, V_OK, "monitor", "%s:%d is free; the server must answer on its echo port %d",
			cfg->monitor_addr, cfg->monitor_port, cfg->echo_port);
	else
		verdict(d, V_OK, "monitor", "%s:%d and %s:%d are free", cfg->monitor_addr, cfg->monitor_port,
			cfg->monitor_addr, cfg->monitor_port + 1);
}

/* ssh -G with the words ssh would get, less -E (ssh would create that log file). */
static int doctor_read_ssh_config(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	char **argv = xcalloc((size_t)cfg->ssh_argc + 3, sizeof(char *));

	argv[0] = xstrdup(cfg->ssh_path);
	argv[1] = xstrdup("-G");
	filter_ssh_words(cfg->ssh_argv + 1, cfg->ssh_argc - 1, "", "E", 0, argv + 2);
	run_captured(cfg->ssh_exec, argv, cfg->ssh_envp, DOCTOR_G_TIMEOUT_MS, d->g);
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	if (d->g->status == -1)
		verdict(d, V_FAIL, "ssh", "cannot run %s: %s", cfg->ssh_exec, strerror(d->g->run_errno));
	else if (d->g->timed_out)
		verdict(d, V_FAIL, "ssh", "%s -G did not finish in %d s", cfg->ssh_exec, DOCTOR_G_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(d->g->status) || WEXITSTATUS(d->g->status) != 0)
		verdict(d, V_FAIL, "ssh", "%s -G rejects the options: %s", cfg->ssh_exec,
			d->g->last_err[0] ? d->g->last_err : "(no message)");
	else if (g_count(d, "hostname") == 0)
		verdict(d, V_FAIL, "ssh", "%s -G printed no configuration; is it OpenSSH's ssh?", cfg->ssh_exec);
	else {
		verdict(d, V_OK, "ssh", "%s runs and accepts the options (ssh -G)", cfg->ssh_exec);
		return 0;
	}
	verdict(d, V_FAIL, "checks", "the checks that need ssh's configuration were skipped");
	return -1;
}

static void doctor_destination(struct doctor *d)
{
	char host[256], via[512], family[32], shown[INET6_ADDRSTRLEN];
	struct addrinfo hints, *found = NULL;
	int rc;

	g_value(d, "hostname", host, sizeof host);
	if ((g_value(d, "proxyjump", via, sizeof via) && strcmp(via, "none") != 0) ||
	    (g_value(d, "proxycommand", via, sizeof via) && strcmp(via, "none") != 0)) {
		verdict(d, V_OK, "destination", "%s is reached through a proxy (%s); not resolved here", host, via);
		return;
	}
	memset(&hints, 0, sizeof hints);
	g_value(d, "addressfamily", family, sizeof family);
	/* zeroed hints leave the family unspecified unless ssh is told one */
	if (strcmp(family, "inet") == 0)
		hints.ai_family = AF_INET;
	else if (strcmp(family, "inet6") == 0)
		hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &found);
	if (rc != 0) {
		verdict(d, V_FAIL, "destination", "cannot resolve %s: %s; fix: check the name (HostName) and DNS",
			host, gai_strerror(rc));
		return;
	}
	if (found->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)found->ai_addr)->sin6_addr, shown, sizeof shown);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)found->ai_addr)->sin_addr, shown, sizeof shown);
	freeaddrinfo(found);
	verdict(d, V_OK, "destination", "%s resolves to %s", host, shown);
}

static void doctor_batch_mode(struct doctor *d)
{
	if (g_is(d, "batchmode", "yes"))
		verdict(d, V_OK, "BatchMode", "yes: ssh fails at once instead of asking for a password");
	else
		verdict(d, V_WARN, "BatchMode",
			"not set: ssh may ask for a password or passphrase nobody types, and wait; "
			"fix: -o BatchMode=yes");
}

/* Add ", word" to a list in buf; a word that does not fit is left out. */
static void append_listed(char *buf, size_t len, const char *word)
{
	size_t used = strlen(buf), n = strlen(word);

	if (used + n + 3 > len)
		return;
	if (used > 0) {
		buf[used++] = ',';
		buf[used++] = ' ';
	}
	memcpy(buf + used, word, n + 1);
}

/* The addresses ssh binds for one LocalForward listen spec ("5000", "[::1]:5000", "[*]:5000"). */
static struct addrinfo *forward_bind_addresses(struct doctor *d, const char *spec, int *port)
{
	char host[256] = "", family[32];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *found = NULL;
	long p;
	int wildcard;

	if (spec[0] == '/' || parse_number(colon ? colon + 1 : spec, 1, 65535, &p) != 0)
		return NULL;  /* a Unix socket, or port 0 (ssh picks one) */
	*port = (int)p;
	if (colon)
		snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	/* As ssh: no address means loopback, or every address with GatewayPorts. */
	wildcard = (host[0] == '\0' && g_is(d, "gatewayports", "yes")) || strcmp(host, "*") == 0;
	memset(&hints, 0, sizeof hints);
	g_value(d, "addressfamily", family, sizeof family);
	hints.ai_family = strcmp(family, "inet") == 0 ? AF_INET : strcmp(family, "inet6") == 0 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = wildcard ? AI_PASSIVE : 0;
	if (wildcard || host[0] == '\0' || strcmp(host, "localhost") == 0)
		host[0] = '\0';
	if (getaddrinfo(host[0] ? host : NULL, colon ? colon + 1 : spec, &hints, &found) != 0)
		return NULL;
	return found;
}

/* Try to bind as ssh would (SO_REUSEADDR, IPv6 only on IPv6): 0, or the errno. */
static int try_bind(const struct addrinfo *ai)
{
	int one = 1, err = 0;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		err = errno;
	close(fd);
	return err;
}

/* "127.0.0.1:5000" or "[::1]:5000". */
static void format_address(const struct addrinfo *ai, int port, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ai->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, a, sizeof a);
		snprintf(out, len, "[%s]:%d", a, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, a, sizeof a);
		snprintf(out, len, "%s:%d", a, port);
	}
}

/* The one wording of a held local port, as the log says it (autossh(1) DOCTOR). */
static void format_port_held(char *out, size_t len, int port)
{
	char name[64] = "";
	long pid;

	if (local_port_holder(port, &pid, name, sizeof name) && pid > 0)
		snprintf(out, len, "local port %d is held by %s (pid %ld): free it or forward another port", port,
			 name[0] ? name : "?", pid);
	else
		snprintf(out, len, "local port %d is held by another socket: free it or forward another port", port);
}

/* One -L: each address ssh will bind must be free. */
static void doctor_local_port(struct doctor *d, const char *spec)
{
	char addrs[512] = "", one[80];
	struct addrinfo *found, *ai;
	int port = 0, held = 0, bad = 0;

	if ((found = forward_bind_addresses(d, spec, &port)) == NULL)
		return;
	if (d->cfg->monitor_port && (port == d->cfg->monitor_port)) {
		freeaddrinfo(found);
		return;  /* autossh's own forward: the monitor check covers it */
	}
	for (ai = found; ai && !held && !bad; ai = ai->ai_next) {
		int err = try_bind(ai);
		format_address(ai, port, one, sizeof one);
		if (err == EADDRINUSE)
			held = 1;
		else if (err == 0)
			append_listed(addrs, sizeof addrs, one);
		else if (err != EADDRNOTAVAIL && err != EAFNOSUPPORT) {
			verdict(d, V_FAIL, "local port", "cannot bind %s: %s; fix: forward another port", one,
				strerror(err));
			bad = 1;
		}
	}
	freeaddrinfo(found);
	if (held) {
		char line[384];
		format_port_held(line, sizeof line, port);
		verdict(d, V_FAIL, "local port", "%s", line);
		d->port_held = 1;
	} else if (!bad && addrs[0]) {
		verdict(d, V_OK, "local port", "%s free", addrs);
	}
}

static void doctor_local_ports(struct doctor *d)
{
	char spec[512];

	for (int i = 0; ssh_g_value(d->g->out, "localforward", i, spec, sizeof spec); i++) {
		spec[strcspn(spec, " ")] = '\0';
		doctor_local_port(d, spec);
	}
	for (int i = 0; ssh_g_value(d->g->out, "dynamicforward", i, spec, sizeof spec); i++)
		doctor_local_port(d, spec);
}

static void doctor_forward_failure(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	int monitor_fwds = cfg->monitor_port == 0 ? 0 : cfg->echo_port ? 1 : 2;
	int fwds = g_count(d, "localforward") + g_count(d, "remoteforward") + g_count(d, "dynamicforward");

	if (fwds <= monitor_fwds && !cfg->user_forwards)
		verdict(d, V_OK, "ExitOnForwardFailure", "no forwards asked for");
	else if (g_is(d, "exitonforwardfailure", "yes") && d->port_held)
		verdict(d, V_WARN, "ExitOnForwardFailure",
			"yes, but a forward is impossible now (a local port is held): ssh will exit at each start, "
			"or stay up on the addresses it could bind; fix: free the port");
	else if (g_is(d, "exitonforwardfailure", "yes"))
		verdict(d, V_OK, "ExitOnForwardFailure", "yes: ssh exits, and is restarted, when a forward cannot be set up");
	else
		verdict(d, V_WARN, "ExitOnForwardFailure",
			"not set: ssh stays up without a forward it could not set up (a port in use), "
			"and autossh sees nothing wrong; fix: -o ExitOnForwardFailure=yes");
}

static void doctor_keepalive(struct doctor *d)
{
	char interval[32], count[32];
	long seconds;

	g_value(d, "serveraliveinterval", interval, sizeof interval);
	g_value(d, "serveralivecountmax", count, sizeof count);
	if (d->cfg->monitor_port != 0) {
		verdict(d, V_OK, "ServerAliveInterval", "not needed: the monitor port probes the connection every %ld s",
			d->cfg->poll);
		return;
	}
	if (parse_number(interval, 1, INT_MAX_L, &seconds) == 0) {
		long n = 3;
		parse_number(count, 0, INT_MAX_L, &n);
		if (seconds == 300 && g_is(d, "batchmode", "yes")) {
			verdict(d, V_WARN, "ServerAliveInterval",
				"300 s (OpenSSH's default with BatchMode=yes), ServerAliveCountMax %ld: a dead link "
				"ends ssh only after about %ld s; fix: -o ServerAliveInterval=30 -o ServerAliveCountMax=3",
				n, seconds * (n > 0 ? n : 1));
			return;
		}
		verdict(d, V_OK, "ServerAliveInterval", "%ld s, ServerAliveCountMax %ld: a dead link ends ssh in about %ld s",
			seconds, n, seconds * (n > 0 ? n : 1));
		return;
	}
	verdict(d, V_WARN, "ServerAliveInterval",
		"not set and no monitor port (-M 0): a dead link goes unnoticed until TCP gives up, "
		"which can take hours; fix: -o ServerAliveInterval=30 -o ServerAliveCountMax=3");
}

static void doctor_sharing(struct doctor *d)
{
	char path[512];

	if (g_value(d, "controlpath", path, sizeof path) && strcmp(path, "none") != 0) {
		char master[32], persist[32];
		g_value(d, "controlmaster", master, sizeof master);
		g_value(d, "controlpersist", persist, sizeof persist);
		verdict(d, V_WARN, "connection sharing",
			"ssh will share a connection (ControlPath %s, ControlMaster %s, ControlPersist %s): "
			"it may hand the session to another ssh process and exit 0, and autossh cannot supervise "
			"that; fix: remove ControlMaster, ControlPath, ControlPersist and -S from autossh's options",
			path, master, persist);
	} else {
		verdict(d, V_OK, "connection sharing", "off%s", d->cfg->destination_at >= 0
			? " (autossh adds -o ControlMaster=no -o ControlPath=none)" : "");
	}
	if (g_is(d, "forkafterauthentication", "yes"))
		verdict(d, V_FAIL, "ForkAfterAuthentication",
			"yes: ssh goes to the background after logging in and exits 0; autossh then exits and "
			"nothing supervises the tunnel; fix: remove it (autossh -f puts autossh in the background)");
	else
		verdict(d, V_OK, "ForkAfterAuthentication", "no");
}

/* Under -f, ssh runs in /: each relative file name ssh sees (its words, then ssh_config's). */
static void doctor_relative_paths(struct doctor *d)
{
	static const char *const keys[] = { "IdentityFile", "CertificateFile", "UserKnownHostsFile",
					    "GlobalKnownHostsFile", "ControlPath", "IdentityAgent", "RevokedHostKeys",
					    "XAuthLocation" };
	const struct config *cfg = d->cfg;
	char line[600], key[32], value[PATH_MAX];
	int n = 0;

	if (!cfg->background)
		return;
	for (int i = 0; i < cfg->n_relative_paths; i++, n++) {
		format_relative_path(line, sizeof line, cfg->relative_paths[i].name, cfg->relative_paths[i].value);
		verdict(d, V_WARN, "-f", "%s", line);
	}
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		for (size_t c = 0; c <= strlen(keys[k]); c++)
			key[c] = (char)tolower((unsigned char)keys[k][c]);
		for (int i = 0; ssh_g_value(d->g->out, key, i, value, sizeof value); i++) {
			int seen = 0;
			for (int j = 0; j < cfg->n_relative_paths; j++)
				seen |= strcmp(cfg->relative_paths[j].value, value) == 0;
			if (seen || !has_relative_ssh_path(value))
				continue;
			format_relative_path(line, sizeof line, keys[k], value);
			verdict(d, V_WARN, "-f", "%s", line);
			n++;
		}
	}
	if (n == 0)
		verdict(d, V_OK, "-f", "no relative file names (autossh -f runs ssh in /)");
}

/* A remote command on ssh's command line, after the destination and its options? */
static int has_command_words(const struct config *cfg)
{
	int i = cfg->destination_at;

	if (i < 0)
		return 0;
	for (i++; i < cfg->ssh_argc && is_option_group(cfg->ssh_argv[i]) && strcmp(cfg->ssh_argv[i], "--") != 0; i++) {
		const char *w = cfg->ssh_argv[i];
		size_t at = strcspn(w + 1, ssh_value_letters) + 1;
		if (w[at] != '\0' && w[at + 1] == '\0')
			i++;  /* the value is the next word */
	}
	return i < cfg->ssh_argc;
}

/* -f without -N and without a remote command: the shell reads /dev/null and exits at once. */
static void doctor_session(struct doctor *d)
{
	char type[32], command[256];

	if (!d->cfg->background || !g_value(d, "sessiontype", type, sizeof type))
		return;
	if (strcmp(type, "default") == 0 && !has_command_words(d->cfg) &&
	    (!g_value(d, "remotecommand", command, sizeof command) || strcmp(command, "none") == 0))
		verdict(d, V_WARN, "session", "the remote shell ended at once because its stdin is /dev/null under -f: "
					      "add -N for a tunnel without a remote command");
	else
		verdict(d, V_OK, "session", "%s", strcmp(type, "none") == 0 ? "-N: no remote command"
					       : "a remote command runs");
}

/* Below INFO ssh hides the lines autossh acts on: failed forwards, allocated ports (autossh(1) CAUSES). */
static void doctor_log_level(struct doctor *d)
{
	const char *forwards = d->cfg->forwards;
	int quiet = g_is(d, "loglevel", "QUIET") || g_is(d, "loglevel", "FATAL") || g_is(d, "loglevel", "ERROR");
	int allocated = strstr(forwards, "-R 0:") != NULL || strstr(forwards, ":0:") != NULL;

	/* With ExitOnForwardFailure ssh's exit says it; a -R 0's port is said only at INFO. */
	if (quiet && forwards[0] && (allocated || !g_is(d, "exitonforwardfailure", "yes")))
		verdict(d, V_WARN, "LogLevel", "below INFO: ssh does not say when a forward fails or which port "
					       "the server allocated, so autossh cannot act on it; fix: LogLevel INFO");
}

/* AUTOSSH_* names autossh does not read: a typo leaves a setting at its default. */
static void doctor_environment(struct doctor *d)
{
	char line[512], name[128];

	for (char **e = environ; e && *e; e++)
		if (unknown_autossh_variable(*e, name, sizeof name)) {
			format_unknown_variable(line, sizeof line, name);
			verdict(d, V_WARN, "environment", "%s", line);
		}
}

/* Base64 of the first bytes of a key, enough for the cipher name of an OpenSSH key. */
static size_t decode_base64(const char *in, unsigned char *out, size_t max)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long bits = 0;
	int n_bits = 0;
	size_t n = 0;

	for (; *in && *in != '=' && *in != '-' && n < max; in++) {
		const char *at = strchr(alphabet, *in);
		if (at == NULL || *in == '\0')
			continue;  /* line breaks */
		bits = (bits << 6 | (unsigned long)(at - alphabet)) & 0xffffff;
		if ((n_bits += 6) >= 8) {
			n_bits -= 8;
			out[n++] = (unsigned char)(bits >> n_bits);
		}
	}
	return n;
}

/* Is a private key file encrypted with a passphrase (OpenSSH or PEM format)? */
static int key_file_encrypted(const char *path)
{
	static const char openssh[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	char text[2048];
	unsigned char raw[64];
	size_t n, len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t got;
	const char *body;

	if (fd < 0)
		return 0;
	got = read(fd, text, sizeof text - 1);
	close(fd);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	if (strstr(text, "ENCRYPTED"))  /* PEM: Proc-Type: 4,ENCRYPTED or BEGIN ENCRYPTED PRIVATE KEY */
		return 1;
	if ((body = strstr(text, openssh)) == NULL)
		return 0;
	/* "openssh-key-v1\0", then the cipher name as a 32-bit length and bytes: "none" if plain. */
	n = decode_base64(body + sizeof openssh - 1, raw, sizeof raw);
	if (n < 19 || memcmp(raw, "openssh-key-v1", 15) != 0)
		return 0;
	len = (size_t)raw[15] << 24 | (size_t)raw[16] << 16 | (size_t)raw[17] << 8 | raw[18];
	return !(len == 4 && n >= 23 && memcmp(raw + 19, "none", 4) == 0);
}

/* One key file: it must exist, be readable, and not be readable by others (ssh refuses those). */
static void doctor_identity_file(struct doctor *d, const char *name, const struct ssh_names *names, int is_default)
{
	char path[PATH_MAX];
	struct stat st;

	if (expand_ssh_path(name, names, path, sizeof path) != 0) {
		verdict(d, V_OK, "identity", "%s: not checked (a token autossh cannot expand)", name);
		return;
	}
	if (stat(path, &st) != 0) {
		if (!is_default)
			verdict(d, V_FAIL, "identity", "%s: %s; fix: create the key or correct -i/IdentityFile",
				path, strerror(errno));
		return;
	}
	if (access(path, R_OK) != 0)
		verdict(d, V_FAIL, "identity", "%s: %s; fix: run autossh as the key's owner", path, strerror(errno));
	else if (st.st_uid == getuid() && (st.st_mode & 077) != 0)
		verdict(d, is_default ? V_WARN : V_FAIL, "identity",
			"%s is readable by others (mode %04o): ssh refuses to use it; fix: chmod 600 %s", path,
			(unsigned)(st.st_mode & 07777), path);
	else if (key_file_encrypted(path) && getenv("SSH_AUTH_SOCK") == NULL) {
		verdict(d, V_WARN, "identity", "%s: key is encrypted: load it into ssh-agent, or use an unencrypted "
					       "key for unattended tunnels", path);
		d->encrypted_key = 1;
	} else
		verdict(d, V_OK, "identity", "%s exists and is private", path);
}

static void doctor_identities(struct doctor *d)
{
	char bufs[3][256], name[PATH_MAX];
	struct ssh_names names;
	int explicit = 0, n_found = 0;

	doctor_names(d, &names, bufs);
	for (int i = 0; ssh_g_value(d->g->out, "identityfile", i, name, sizeof name); i++)
		explicit |= !is_default_identity(name);
	for (int i = 0; ssh_g_value(d->g->out, "identityfile", i, name, sizeof name); i++) {
		char path[PATH_MAX];
		if (explicit && strcmp(name, "none") != 0) {
			doctor_identity_file(d, name, &names, 0);
		} else if (!explicit && expand_ssh_path(name, &names, path, sizeof path) == 0 && access(path, F_OK) == 0) {
			doctor_identity_file(d, name, &names, 1);
			n_found++;
		}
	}
	/* ssh drops a missing -i file with a warning and uses its defaults instead. */
	for (int i = 0; i < d->cfg->n_identity_args; i++) {
		char path[PATH_MAX];
		if (expand_ssh_path(d->cfg->identity_args[i], &names, path, sizeof path) == 0 && access(path, F_OK) != 0)
			doctor_identity_file(d, d->cfg->identity_args[i], &names, 0);
	}
	if (explicit || n_found > 0 || d->cfg->n_identity_args > 0)
		return;
	if (getenv("SSH_AUTH_SOCK"))
		verdict(d, V_OK, "identity", "no IdentityFile set and none of ssh's default keys (~/.ssh/id_*) exists; "
					    "ssh-agent must hold the key");
	else
		verdict(d, V_WARN, "identity", "no IdentityFile set and none of ssh's default keys (~/.ssh/id_*) exists; "
					      "fix: -i KEYFILE or IdentityFile in ssh_config");
}

/* ssh-keygen beside ssh, else in PATH. */
static char *find_keygen(const struct config *cfg)
{
	const char *slash = strrchr(cfg->ssh_exec, '/');

	if (slash != NULL) {
		char *path = xcalloc((size_t)(slash - cfg->ssh_exec) + 16, 1);
		sprintf(path, "%.*s/ssh-keygen", (int)(slash - cfg->ssh_exec), cfg->ssh_exec);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	return resolve_executable("ssh-keygen", getenv("PATH"));
}

/* Is name in one of the known_hosts files (ssh-keygen -F)?  Fills tried with the files read. */
static int host_key_known(struct doctor *d, const char *keygen, char *name, const struct ssh_names *names,
			  char *tried, size_t tried_len)
{
	static const char *const keys[] = { "userknownhostsfile", "globalknownhostsfile" };
	struct captured *c = xcalloc(1, sizeof *c);
	char list[1024], path[PATH_MAX];
	int known = 0;

	for (size_t k = 0; k < 2 && !known; k++) {
		g_value(d, keys[k], list, sizeof list);
		for (char *save = NULL, *file = strtok_r(list, " ", &save); file && !known;
		     file = strtok_r(NULL, " ", &save)) {
			char arg0[] = "ssh-keygen", find[] = "-F", in_file[] = "-f";
			char *argv[] = { arg0, find, name, in_file, path, NULL };
			if (expand_ssh_path(file, names, path, sizeof path) != 0 || access(path, R_OK) != 0 ||
			    strcmp(path, "/dev/null") == 0)
				continue;
			append_listed(tried, tried_len, path);
			run_captured(keygen, argv, d->cfg->ssh_envp, DOCTOR_KEYGEN_TIMEOUT_MS, c);
			known = c->status == 0;
		}
	}
	free(c);
	return known;
}

static void doctor_host_key(struct doctor *d)
{
	char bufs[3][256], alias[256], name[600], checking[32], tried[2048] = "";
	struct ssh_names names;
	char *keygen;

	doctor_names(d, &names, bufs);
	g_value(d, "stricthostkeychecking", checking, sizeof checking);
	if (strcmp(checking, "false") == 0) {
		verdict(d, V_WARN, "host key",
			"StrictHostKeyChecking is off: ssh accepts any key, with no protection against a man in "
			"the middle; fix: record the server's key in known_hosts (ssh-keyscan, then compare the "
			"fingerprint) and drop StrictHostKeyChecking=no");
		return;
	}
	known_hosts_name(names.host, names.port, g_value(d, "hostkeyalias", alias, sizeof alias), name, sizeof name);
	if ((keygen = find_keygen(d->cfg)) == NULL) {
		verdict(d, V_WARN, "host key", "not checked: ssh-keygen not found");
		return;
	}
	if (host_key_known(d, keygen, name, &names, tried, sizeof tried))
		verdict(d, V_OK, "host key", "%s is known (%s)", name, tried);
	else if (strcmp(checking, "accept-new") == 0)
		verdict(d, V_WARN, "host key",
			"%s is not in %s; StrictHostKeyChecking accept-new trusts whatever key the first "
			"connection shows; fix: record the key beforehand (ssh-keyscan, compare the fingerprint)",
			name, tried[0] ? tried : "any known_hosts file");
	else
		verdict(d, V_FAIL, "host key",
			"%s is not in %s and StrictHostKeyChecking is %s: ssh will refuse the server; fix: connect "
			"once by hand and check the fingerprint, or add the key with ssh-keyscan",
			name, tried[0] ? tried : "any known_hosts file", checking);
	free(keygen);
}

/*
 * A temporary copy of the user's known_hosts files for --connect, where
 * the user's policy could write to them (StrictHostKeyChecking accept-new
 * or off, CheckHostIP): the policy is still judged, nothing is written.
 * Returns the copy's path (in dir), or NULL when none is needed or possible.
 */
static char *known_hosts_copy(struct doctor *d, char *dir, size_t dir_len, char *from, size_t from_len)
{
	char list[1024], path[PATH_MAX], bufs[3][256];
	const char *tmp = getenv("TMPDIR");
	struct ssh_names names;
	char *copy;
	int out;

	if (!g_is(d, "stricthostkeychecking", "false") && !g_is(d, "stricthostkeychecking", "accept-new") &&
	    !g_is(d, "checkhostip", "yes"))
		return NULL;
	snprintf(dir, dir_len, "%s/autossh-doctor.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return NULL;
	copy = xcalloc(strlen(dir) + 16, 1);
	sprintf(copy, "%s/known_hosts", dir);
	if ((out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		rmdir(dir);
		free(copy);
		return NULL;
	}
	doctor_names(d, &names, bufs);
	g_value(d, "userknownhostsfile", list, sizeof list);
	for (char *save = NULL, *file = strtok_r(list, " ", &save); file; file = strtok_r(NULL, " ", &save)) {
		char buf[4096];
		ssize_t n;
		int in;
		if (expand_ssh_path(file, &names, path, sizeof path) != 0 ||
		    (in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
			continue;
		if (strcmp(path, "/dev/null") != 0)
			append_listed(from, from_len, path);
		while ((n = read(in, buf, sizeof buf)) > 0)
			(void)!write(out, buf, (size_t)n);
		(void)!write(out, "\n", 1);
		close(in);
	}
	close(out);
	return copy;
}

/* Remove the copy's directory and whatever ssh put in it. */
static void remove_known_hosts_copy(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 300];

	while (dh && (e = readdir(dh)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (dh)
		closedir(dh);
	rmdir(dir);
}

/* ssh's last line that is not -v's debug output: its error, if any. */
static void last_message_line(const struct captured *c, char *out, size_t len)
{
	const char *line = c->err, *found = NULL;
	size_t found_len = 0;

	while (*line) {
		size_t n = strcspn(line, "\n");
		if (n > 0 && strncmp(line, "debug", 5) != 0 && strncmp(line, "Transferred:", 12) != 0 &&
		    strncmp(line, "Bytes per second", 16) != 0) {
			found = line;
			found_len = n;
		}
		line += n + (line[n] == '\n');
	}
	snprintf(out, len, "%.*s", (int)(found_len < 400 ? found_len : 400), found ? found : "");
	out[strcspn(out, "\r")] = '\0';
}

/* The one wording of a held server port, as the log says it (autossh(1) DOCTOR). */
static void format_server_port_held(char *out, size_t len, long port)
{
	snprintf(out, len, "the server still holds port %ld, often for the previous session of this tunnel: "
		 "set ClientAliveInterval in the server's sshd_config so that it frees a dead session's ports", port);
}

/* The server's answers to -R, after a login (n_remote asked for). */
static void remote_ports_verdict(struct doctor *d, const struct captured *c, int n_remote)
{
	static const char failed[] = "remote port forwarding failed for listen port ";
	const char *at = strstr(c->err, failed);
	int accepted = count_occurrences(c->err, "remote forward success for");

	if (at != NULL) {
		char line[384];
		format_server_port_held(line, sizeof line, strtol(at + sizeof failed - 1, NULL, 10));
		verdict(d, V_FAIL, "server port", "%s", line);
	} else if (accepted >= n_remote)
		verdict(d, V_OK, "server port", "the server accepted every -R (%d)", n_remote);
	else
		verdict(d, V_WARN, "server port", "the server answered %d of %d -R within %d s", accepted, n_remote,
			DOCTOR_REPLY_WAIT_MS / 1000);
}

/* The verdict on one --connect: ssh's own word that authentication succeeded. */
static void connect_verdict(struct doctor *d, const struct captured *c, long bound_s, const char *changed,
			    int n_remote)
{
	char host[256], said[512];
	int logged_in = strstr(c->err, "Authenticated to ") != NULL;

	g_value(d, "hostname", host, sizeof host);
	last_message_line(c, said, sizeof said);
	if (c->status == -1)
		verdict(d, V_FAIL, "connect", "cannot run %s: %s", d->cfg->ssh_exec, strerror(c->run_errno));
	else if (logged_in)
		verdict(d, V_OK, "connect", "logged in to %s in %lld.%02lld s (no remote command run; for the check: %s)",
			host, c->took_ms / 1000, c->took_ms % 1000 / 10, changed);
	else if (c->timed_out)
		verdict(d, V_FAIL, "connect", "no login within %ld s; ssh said: %s", bound_s,
			said[0] ? said : "nothing");
	else
		verdict(d, V_FAIL, "connect", "ssh exited with status %d before logging in: %s%s",
			WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status),
			said[0] ? said : "(no message)",
			d->encrypted_key && strstr(said, "Permission denied")
				? "; key is encrypted: load it into ssh-agent, or use an unencrypted key for unattended tunnels"
				: "");
	if (logged_in && n_remote > 0)
		remote_ports_verdict(d, c, n_remote);
}

/* How many -L and -D words ssh's command line holds (the user's and the monitor's). */
static int local_forward_words(const struct config *cfg)
{
	int n = 0;

	for (int i = 1; i < cfg->ssh_argc && is_option_group(cfg->ssh_argv[i]); i++) {
		const char *w = cfg->ssh_argv[i];
		size_t at = strcspn(w + 1, ssh_value_letters) + 1;
		if (w[at] == '\0')
			continue;
		n += w[at] == 'L' || w[at] == 'D';
		if (w[at + 1] == '\0')
			i++;
	}
	return n;
}

/*
 * ssh -v -N -o BatchMode=yes <the words ssh would get>: no local forwards,
 * no sharing, no remote command, no -q or -y (ssh's messages are read); a
 * success once ssh says "Authenticated to", bounded by ConnectTimeout plus
 * a hard kill.  The -R forwards are
 * asked for when every local one comes from the command line (so that
 * dropping those words leaves none): the server's answers tell whether it
 * still holds a port.
 */
static void doctor_connect(struct doctor *d)
{
	/* First, so they win; UpdateHostKeys=no: the doctor writes no file, known_hosts included. */
	static const char *const fixed[] = { "-v", "-N", "-o", "BatchMode=yes",
					     "-o", "ControlMaster=no", "-o", "ControlPath=none",
					     "-o", "UpdateHostKeys=no", "-o", "RemoteCommand=none" };
	const struct config *cfg = d->cfg;
	char **argv = xcalloc((size_t)cfg->ssh_argc + 28, sizeof(char *));
	char timeout_opt[32], dir[PATH_MAX], from[1024] = "", changed[1400];
	long timeout_s = DOCTOR_CONNECT_TIMEOUT_S;
	struct captured *c = xcalloc(1, sizeof *c);
	char *copy = known_hosts_copy(d, dir, sizeof dir, from, sizeof from);
	int n_remote = g_count(d, "remoteforward"), k = 0;
	struct stop_rule rule = { "Authenticated to ", "remote forward success for", 0, DOCTOR_REPLY_WAIT_MS };

	if (n_remote > 0 && g_count(d, "localforward") + g_count(d, "dynamicforward") != local_forward_words(cfg))
		n_remote = 0;  /* ssh_config's own local forwards: they would be bound; ask for no forward */
	rule.count = n_remote;
	argv[k++] = xstrdup(cfg->ssh_path);
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		argv[k++] = xstrdup(fixed[i]);
	argv[k++] = xstrdup("-o");
	argv[k++] = xstrdup(n_remote > 0 ? "ExitOnForwardFailure=yes" : "ClearAllForwardings=yes");
	if (!g_value(d, "connecttimeout", timeout_opt, sizeof timeout_opt) ||
	    parse_number(timeout_opt, 1, INT_MAX_L, &timeout_s) != 0) {
		argv[k++] = xstrdup("-o");
		snprintf(timeout_opt, sizeof timeout_opt, "ConnectTimeout=%ld", timeout_s);
		argv[k++] = xstrdup(timeout_opt);
	}
	snprintf(changed, sizeof changed, "BatchMode=yes, -N, %s", n_remote > 0 ? "only the -R forwards" : "no forwards");
	if (copy) {
		char *opt = xcalloc(strlen(copy) + 24, 1);
		sprintf(opt, "UserKnownHostsFile=%s", copy);
		argv[k++] = xstrdup("-o");
		argv[k++] = opt;
		snprintf(changed + strlen(changed), sizeof changed - strlen(changed),
			 ", known_hosts read from a temporary copy of %s so that nothing is written",
			 from[0] ? from : "no file");
	}
	filter_ssh_words(cfg->ssh_argv + 1, cfg->ssh_argc - 1, "NfMsGVTtqy", "ESWOLD", 1, argv + k);
	run_captured_until(cfg->ssh_exec, argv, cfg->ssh_envp, timeout_s * 1000 + DOCTOR_KILL_AFTER_MS, &rule, c);
	connect_verdict(d, c, timeout_s + DOCTOR_KILL_AFTER_MS / 1000, changed, n_remote);
	if (copy) {
		remove_known_hosts_copy(dir);
		free(copy);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	free(c);
}

/* autossh --doctor [--connect] ...: one line per check; 1 if any failed. */
static int run_doctor(struct config *cfg)
{
	struct doctor d;

	memset(&d, 0, sizeof d);
	d.cfg = cfg;
	d.g = xcalloc(1, sizeof *d.g);
	cfg->ssh_envp = filtered_environment(environ);
	verdict(&d, V_OK, "settings", "the arguments and AUTOSSH_* variables are valid");
	doctor_environment(&d);
	doctor_log_target(&d);
	doctor_monitor(&d);
	if (doctor_read_ssh_config(&d) == 0) {
		doctor_destination(&d);
		doctor_batch_mode(&d);
		doctor_local_ports(&d);
		doctor_forward_failure(&d);
		doctor_keepalive(&d);
		doctor_sharing(&d);
		doctor_session(&d);
		doctor_log_level(&d);
		doctor_relative_paths(&d);
		doctor_identities(&d);
		doctor_host_key(&d);
		if (cfg->doctor_connect)
			doctor_connect(&d);
	}
	printf("%d failure%s, %d warning%s\n", d.failures, d.failures == 1 ? "" : "s", d.warnings,
	       d.warnings == 1 ? "" : "s");
	fflush(stdout);
	free(d.g);
	return d.failures > 0 ? 1 : 0;
}


/* -------------------------------------------------------------------- main */

/* The signal handler and its self-pipe, then main: a ladder of named steps. */

static int self_pipe_write = -1;  /* the only state the signal handler touches */

/* The handler only records: one byte, the signal number, for the loop to act on. */
static void on_signal_record(int sig)
{
	int saved = errno;
	unsigned char byte = (unsigned char)sig;
	(void)!write(self_pipe_write, &byte, 1);
	errno = saved;
}

/* The self-pipe (both ends non-blocking: a full pipe drops a byte, never blocks) and the handlers. */
static int install_signals(int *read_end)
{
	static const int handled[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGHUP,
				       SIGALRM, SIGPIPE, SIGCHLD };
	struct sigaction sa;
	int fds[2];

	if (cloexec_pipe(fds) != 0)
		return -1;
	set_nonblocking(fds[0]);
	set_nonblocking(fds[1]);
	*read_end = fds[0];
	self_pipe_write = fds[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal_record;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NOCLDSTOP;
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaction(handled[i], &sa, NULL);
	return 0;
}

/* Die by the signal that asked us to exit, so the parent sees it (autossh(1) EXIT STATUS). */
static void die_by_signal(int sig)
{
	struct sigaction dfl;
	sigset_t set;

	if (sig == SIGQUIT) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* Everything before the fork: environment, paths, log, monitor ports, watchdog. */
static void prepare(struct config *cfg, struct state *st, int *ready_fd)
{
	char err[ERRLEN], why[256];

	cfg->ssh_envp = filtered_environment(environ);
	if (cfg->background)
		make_paths_absolute(cfg);
	if (log_setup(cfg, why, sizeof why) != 0) {
		format_invalid(err, sizeof err, cfg->progname, "AUTOSSH_LOGFILE", cfg->logfile, why);
		fail_setup(err, ready_fd);
	}
	state_init(st, cfg);
	if (setup_monitor(cfg, &st->mon.listener, err, sizeof err) != 0)
		fail_setup(err, ready_fd);
	if (cfg->watchdog_usec > 0 &&
	    (cfg->watchdog_pid == NULL || decimal_or_minus1(cfg->watchdog_pid) == (long long)getpid()))
		st->report.watchdog_interval_ms = cfg->watchdog_usec / 2000 > 0 ? cfg->watchdog_usec / 2000 : 1;
}

/* In the process that supervises: signals, deadlines (the pidfile waits for the first exec). */
static void become_supervisor(struct config *cfg, struct state *st, int *ready_fd, long long started,
			      char *pidline, size_t pidline_len)
{
	rng_seed((uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)started);
	if (install_signals(&st->self_pipe) != 0) {
		char err[ERRLEN];
		snprintf(err, sizeof err, "%s: internal error: self-pipe: %s", cfg->progname, strerror(errno));
		fail_setup(err, ready_fd);
	}
	snprintf(pidline, pidline_len, "%ld\n", (long)getpid());
	st->report.pidline = pidline;
	st->report.pid_start = process_start_time((long)getpid());
	st->report.ready_fd = *ready_fd;
	log_startup_notes(cfg);
	open_watchers(st);
	if (cfg->maxlifetime > 0)
		st->restart.lifetime_deadline = started + cfg->maxlifetime * 1000LL;
	if (st->report.watchdog_interval_ms)
		st->report.next_watchdog_at = monotime_ms() + st->report.watchdog_interval_ms;
}

int main(int argc, char **argv)
{
	static struct config cfg;  /* static: what it holds stays reachable on every exit() path */
	struct state st;
	char err[ERRLEN], pidline[32];
	int ready_fd = -1;
	long long started = monotime_ms();

	open_missing_stdio();
	close_inherited_on_exec();
	switch (parse_config(argc, argv, real_getenv, &cfg, err, sizeof err)) {
	case PARSE_VERSION:
		printf("%s %s\n", cfg.progname, VERSION);
		return 0;
	case PARSE_HELP:
		print_usage(stdout, cfg.progname);
		return 0;
	case PARSE_CHECK:
		return run_check(cfg.progname, argc > 2 ? argv[2] : NULL);
	case PARSE_LIST:
		return run_list(cfg.progname, argc - 2, argv + 2);
	case PARSE_DOCTOR:
		return run_doctor(&cfg);
	case PARSE_USAGE:
		report_error(err);
		print_usage(stderr, cfg.progname);
		return 1;
	case PARSE_ERROR:
		report_error(err);
		return 1;
	case PARSE_RUN:
		break;
	}
	prepare(&cfg, &st, &ready_fd);
	log_start_warnings(&cfg);
	if (cfg.background && (ready_fd = go_background(&cfg, &st)) < 0) {
		snprintf(err, sizeof err, "%s: cannot go to the background: %s", cfg.progname, strerror(errno));
		fail_setup(err, &ready_fd);
	}
	become_supervisor(&cfg, &st, &ready_fd, started, pidline, sizeof pidline);
	run_loop(&st);
	tell_foreground(&st.report.ready_fd, NULL);
	notify_send(&st.report.notify, "STOPPING=1");
	if (st.report.pidfile_written)
		remove_if_ours(cfg.pidfile, pidline);
	if (cfg.statusfile)
		unlink(cfg.statusfile);
	config_free(&cfg);
	if (st.exit_signal)
		die_by_signal(st.exit_signal);
	return st.exit_status;
}
