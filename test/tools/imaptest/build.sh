#!/usr/bin/env bash
# Builds Dovecot's IMAP conformance and stress tester, imaptest, from the archive beside this
# script (its public repository at commit 924f619, March 2022: the last one that builds against
# Dovecot 2.3's library; MIT licensed, COPYING and COPYING.MIT inside the archive) and prints
# the path of a wrapper that runs it. The scripted tests end up in OUTDIR/src/tests.
#
#   test/tools/imaptest/build.sh OUTDIR
#
# It links against libdovecot, so it needs Debian's dovecot-core and dovecot-dev; when they or the
# build tools are missing and this runs as root, it installs them. Running it again is cheap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -x "$out/imaptest" ] && [ -d "$out/src/tests" ]; then
  echo "$out/imaptest"
  exit 0
fi

missing=()
for pkg in dovecot-core dovecot-dev autoconf automake libtool make gcc pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "imaptest needs these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

tar -xzf "$here/imaptest-924f619.tar.gz" -C "$out" --strip-components=1
cd "$out"
echo "0.0.0-924f619" > version   # read by its build scripts in place of git
# Dovecot 2.3.19 gave imap_parser_create() a fourth argument (parser parameters); NULL keeps its defaults.
sed -i 's/imap_parser_create(\(.*\), NULL, (size_t)-1)/imap_parser_create(\1, NULL, (size_t)-1, NULL)/' \
  src/commands.c src/imap-client.c src/test-parser.c
./autogen.sh >build.log 2>&1
./configure --with-dovecot=/usr/lib/dovecot >>build.log 2>&1
make -j"$(nproc)" >>build.log 2>&1 || { tail -20 build.log >&2; exit 1; }
printf '#!/bin/sh\nLD_LIBRARY_PATH=/usr/lib/dovecot exec "%s/src/imaptest" "$@"\n' "$out" >"$out/imaptest"
chmod +x "$out/imaptest"
echo "$out/imaptest"
