# Sourced by scripts/test: install the Debian packages the test suite runs for real
# (tests/clients: isync's mbsync and offlineimap3), when they are missing.
# - Already installed (dpkg -s): silent, no apt at all.
# - Not root, or no apt-get: a one-line note; those tests then skip and say why.
# - Root: apt-get install; apt-get update only when the package lists are empty or
#   the first install fails. A failure never stops the test run (the tests skip).
roost_debs() {
  local wanted=(isync offlineimap3) missing=() pkg log
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/_debs.sh: not installing ${missing[*]} (needs root and apt-get);" \
      "the tests that run them will skip" >&2
    return 0
  fi
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  local install=(apt-get install -y -q --no-install-recommends "${missing[@]}")
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null \
    || ! "${install[@]}" >"$log" 2>&1; then
    if ! { apt-get update -q && "${install[@]}"; } >"$log" 2>&1; then
      echo "scripts/_debs.sh: could not install ${missing[*]}; the tests that run them" \
        "will skip. apt said:" >&2
      tail -n 20 "$log" >&2
    fi
  fi
  rm -f "$log"
  return 0
}
roost_debs
unset -f roost_debs
