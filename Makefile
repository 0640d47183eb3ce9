# autossh: plain `make` works without ./configure; configure writes config.mk
# to override the defaults below.

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DOCDIR = $(PREFIX)/share/doc/autossh
CC = cc
# -Os: about 12% smaller than -O2 and no slower where it matters (autossh
# waits on ssh and the network; see bench/bench.sh, stripped_size_bytes).
CFLAGS = -Os -g
WARNFLAGS = -std=c99 -Wall -Wextra -Werror
CPPFLAGS =
LDFLAGS =
SSH_PATH =

-include config.mk

VERSION != sh tests/version.sh
SSH_DEFINE != test -n "$(SSH_PATH)" && echo "-DSSH_PATH='\"$(SSH_PATH)\"'" || true
ALL_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DVERSION='"$(VERSION)"' $(SSH_DEFINE) $(CPPFLAGS)

all: autossh

autossh: autossh.c CHANGES
	$(CC) $(WARNFLAGS) $(ALL_CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ autossh.c

tests/unit: tests/unit.c autossh.c CHANGES
	$(CC) $(WARNFLAGS) $(ALL_CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit.c

# The programs the tests need are checked (or installed, as root on Debian)
# before anything is built, so a missing one stops the run at once.
# TESTS: only these scripts (e.g. TESTS=tests/t-core-args.sh), no unit tables.
TESTS =

check:
	sh tests/prereq.sh check
	$(MAKE) autossh tests/unit
	sh tests/run.sh $(TESTS)

demo:
	sh tests/prereq.sh demo
	$(MAKE) autossh
	sh tests/demo.sh

# A statically linked autossh (for scratch or Alpine images) built with
# musl (Debian/Ubuntu: musl-tools), as build/static/autossh: ./autossh is
# always the plain build.  Debian's musl-gcc has no kernel headers:
# MUSL_INC gets symlinks to the system's linux, asm-generic and asm headers.
MUSL_CC = musl-gcc
MUSL_INC = build/musl-include
STATIC = build/static/autossh

static:
	@command -v $(MUSL_CC) >/dev/null 2>&1 || { echo "make static: $(MUSL_CC) not found (Debian/Ubuntu: apt-get install musl-tools; Fedora: dnf install musl-gcc; on Alpine: make LDFLAGS=-static)" >&2; exit 1; }
	rm -rf $(MUSL_INC) && mkdir -p $(MUSL_INC)
	ln -s /usr/include/linux /usr/include/asm-generic $(MUSL_INC)/
	arch=$$(gcc -print-multiarch 2>/dev/null || :); \
	if [ -n "$$arch" ] && [ -d "/usr/include/$$arch/asm" ]; then ln -s "/usr/include/$$arch/asm" $(MUSL_INC)/asm; \
	else ln -s /usr/include/asm $(MUSL_INC)/asm; fi
	mkdir -p "$$(dirname $(STATIC))"
	$(MUSL_CC) $(WARNFLAGS) $(ALL_CPPFLAGS) -I$(MUSL_INC) $(CFLAGS) -static $(LDFLAGS) -o $(STATIC) autossh.c

# Same tests, other builds or longer runs (see README, "Reliability").
# make sanitize builds autossh and the unit tables with ASan and UBSan in
# SANITIZE_DIR and runs the suite (or TESTS) against them; ./autossh stays
# the plain build, whatever the tests say.
SANITIZE_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SANITIZE_DIR = build/sanitize

$(SANITIZE_DIR)/autossh: autossh.c CHANGES
	mkdir -p $(SANITIZE_DIR)
	$(CC) $(WARNFLAGS) $(ALL_CPPFLAGS) $(SANITIZE_FLAGS) -o $@ autossh.c

$(SANITIZE_DIR)/unit: tests/unit.c autossh.c CHANGES
	mkdir -p $(SANITIZE_DIR)
	$(CC) $(WARNFLAGS) $(ALL_CPPFLAGS) $(SANITIZE_FLAGS) -o $@ tests/unit.c

sanitize:
	sh tests/prereq.sh check
	$(MAKE) autossh $(SANITIZE_DIR)/autossh $(SANITIZE_DIR)/unit
	TEST_AUTOSSH="$$(pwd)/$(SANITIZE_DIR)/autossh" TEST_UNIT=$(SANITIZE_DIR)/unit sh tests/run.sh $(TESTS)

valgrind: autossh tests/unit
	sh tests/valgrind.sh

soak: autossh
	sh tests/soak.sh

fuzz:
	sh tests/fuzz/run.sh

lint:
	sh tests/lint.sh

bench: autossh
	sh bench/bench.sh

# A package's autossh at $(BINDIR) (Debian's /usr/bin/autossh is 1.4g's
# wrapper) is named before it is overwritten; the system's own path is
# checked, DESTDIR or not.  The example unit and launchd job get the
# installed $(BINDIR)/autossh, so they run this build.
install: autossh
	@owner=; \
	if [ -e "$(BINDIR)/autossh" ] && command -v dpkg >/dev/null 2>&1; then \
	    owner=$$(dpkg -S "$(BINDIR)/autossh" 2>/dev/null | sed -n '1s/: .*//p'); fi; \
	if [ -z "$$owner" ] && [ -e "$(BINDIR)/autossh" ] && command -v rpm >/dev/null 2>&1; then \
	    owner=$$(rpm -qf --qf '%{NAME}\n' "$(BINDIR)/autossh" 2>/dev/null) && owner=$$(echo "$$owner" | head -n 1) || owner=; fi; \
	if [ -n "$$owner" ]; then \
	    echo "make install: warning: $(BINDIR)/autossh belongs to the package $$owner; installing over it (a package update may put it back)" >&2; fi
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)/examples
	cp autossh rscreen $(DESTDIR)$(BINDIR)/
	chmod 755 $(DESTDIR)$(BINDIR)/autossh $(DESTDIR)$(BINDIR)/rscreen
	cp autossh.1 $(DESTDIR)$(MANDIR)/man1/autossh.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/autossh.1
	cp autossh.host contrib/autossh.default $(DESTDIR)$(DOCDIR)/examples/
	sed 's|^ExecStart=/usr/bin/autossh |ExecStart=$(BINDIR)/autossh |' contrib/autossh@.service \
	    >$(DESTDIR)$(DOCDIR)/examples/autossh@.service
	sed 's|<string>/usr/local/bin/autossh</string>|<string>$(BINDIR)/autossh</string>|' \
	    contrib/com.github.autossh.plist >$(DESTDIR)$(DOCDIR)/examples/com.github.autossh.plist
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/autossh@.service $(DESTDIR)$(DOCDIR)/examples/com.github.autossh.plist

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/autossh $(DESTDIR)$(BINDIR)/rscreen
	rm -f $(DESTDIR)$(MANDIR)/man1/autossh.1
	rm -f $(DESTDIR)$(DOCDIR)/examples/autossh.host \
	    $(DESTDIR)$(DOCDIR)/examples/autossh@.service \
	    $(DESTDIR)$(DOCDIR)/examples/autossh.default \
	    $(DESTDIR)$(DOCDIR)/examples/com.github.autossh.plist
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -f autossh tests/unit tests/fuzz/fuzz-parse
	rm -rf build

distclean: clean
	rm -rf config.mk config.log config.status autom4te.cache

.PHONY: all check static demo sanitize valgrind soak fuzz lint bench install uninstall clean distclean
