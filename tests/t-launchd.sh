#!/bin/sh
# t-launchd: contrib/com.github.autossh.plist, the macOS launchd job (not
# tested on macOS). Its XML is valid against the property list grammar
# (xmllint, skipped where missing), it keeps autossh in the foreground under
# KeepAlive with a log path, its command line is accepted by autossh (run
# with the stand-in ssh), and `make install` ships it with the examples.
# TEST_PLIST=FILE checks another file instead.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init launchd

PLIST=${TEST_PLIST:-$TOP/contrib/com.github.autossh.plist}

if ! command -v xmllint >/dev/null 2>&1; then
	skip "launchd: plist is valid XML" "xmllint not installed (Debian: libxml2-utils)"
	skip "launchd: Label, KeepAlive, foreground autossh, log path" "xmllint not installed"
	skip "launchd: autossh accepts the plist's command line" "xmllint not installed"
else
	# Apple's property list DTD (PropertyList-1.0.dtd), here so that no
	# network is needed.
	cat >"$T/plist.dtd" <<'EOF'
<!ENTITY % plistObject "(array | data | date | dict | real | integer | string | true | false )" >
<!ELEMENT plist %plistObject;>
<!ATTLIST plist version CDATA "1.0" >
<!ELEMENT array (%plistObject;)*>
<!ELEMENT dict (key, %plistObject;)*>
<!ELEMENT key (#PCDATA)>
<!ELEMENT string (#PCDATA)>
<!ELEMENT data (#PCDATA)>
<!ELEMENT date (#PCDATA)>
<!ELEMENT true EMPTY>
<!ELEMENT false EMPTY>
<!ELEMENT real (#PCDATA)>
<!ELEMENT integer (#PCDATA)>
EOF
	name="launchd: plist is valid XML"
	if xmllint --noout --nonet --dtdvalid "$T/plist.dtd" "$PLIST" 2>"$T/xmllint.log"; then
		ok "$name"
	else
		not_ok "$name" "$(grep 'error' "$T/xmllint.log" | grep -v 'network entity' | head -n 1)"
	fi

	# value KEY: the element after <key>KEY</key> in the top dict, as text
	# (or its name for <true/> and <false/>).
	value() {
		xmllint --nonet --xpath "string(/plist/dict/key[.='$1']/following-sibling::*[1])" "$PLIST" 2>/dev/null || :
	}
	kind() {
		xmllint --nonet --xpath "name(/plist/dict/key[.='$1']/following-sibling::*[1])" "$PLIST" 2>/dev/null || :
	}
	xmllint --nonet --xpath "/plist/dict/key[.='ProgramArguments']/following-sibling::array[1]/string/text()" \
		"$PLIST" >"$T/argv" 2>/dev/null || :
	logfile=$(xmllint --nonet --xpath "string(/plist/dict/key[.='EnvironmentVariables']/following-sibling::dict[1]/key[.='AUTOSSH_LOGFILE']/following-sibling::*[1])" \
		"$PLIST" 2>/dev/null || :)

	name="launchd: Label, KeepAlive, foreground autossh, log path"
	WHY=
	# shellcheck disable=SC2034 # WHY is read by report
	if [ -z "$(value Label)" ]; then
		WHY="no Label"
	elif [ "$(kind KeepAlive)" != true ]; then
		WHY="KeepAlive is not <true/>"
	elif ! head -n 1 "$T/argv" | grep -q '/autossh$'; then
		WHY="ProgramArguments does not start with autossh: $(head -n 1 "$T/argv")"
	elif grep -qx -e '-f' -e '-[A-Za-z]*f[A-Za-z]*' "$T/argv"; then
		WHY="-f in ProgramArguments: launchd must watch autossh itself"
	elif [ -z "$(value StandardErrorPath)" ]; then
		WHY="no StandardErrorPath"
	elif [ "$logfile" != - ]; then
		WHY="AUTOSSH_LOGFILE is '$logfile', want - (stderr, to StandardErrorPath)"
	elif ! grep -q 'NOT TESTED ON macOS' "$PLIST"; then
		WHY="the comment does not say it is not tested on macOS"
	fi
	report "$name"

	name="launchd: autossh accepts the plist's command line"
	# Every argument but the program, as positional parameters (one per line).
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <<EOF
$(sed 1d "$T/argv")
EOF
	dest=$(tail -n 1 "$T/argv")
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/stub.log" STUB_EXIT=0 AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$logfile" \
		AUTOSSH_JITTER="$(xmllint --nonet --xpath "string(//key[.='AUTOSSH_JITTER']/following-sibling::*[1])" "$PLIST")" \
		"$AUTOSSH" "$@" >"$T/run.out" 2>&1
	if ! wait_exit 10 "$BG_PID"; then
		not_ok "$name" "autossh still runs 10 s after the stand-in ssh exited 0"
	elif [ "$EXIT_STATUS" != 0 ]; then
		not_ok "$name" "exit $EXIT_STATUS: $(head -n 1 "$T/run.out")"
	elif ! stub_args "$T/stub.log" 1 | grep -q "'$dest'\$"; then
		not_ok "$name" "ssh got [$(stub_args "$T/stub.log" 1 || :)], want it to end with $dest"
	else
		ok "$name"
	fi
fi

name="launchd: make install puts the plist with the examples"
rc=0
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s install DESTDIR="$T/root" PREFIX=/usr \
	>"$T/install.log" 2>&1 || rc=$?
# The installed copy names the installed binary (here /usr/bin/autossh).
if [ "$rc" = 0 ] && sed 's|<string>/usr/local/bin/autossh</string>|<string>/usr/bin/autossh</string>|' "$PLIST" |
	cmp -s - "$T/root/usr/share/doc/autossh/examples/com.github.autossh.plist"; then
	ok "$name"
else
	not_ok "$name" "exit $rc, plist not installed"
	diag "$T/install.log"
fi
