#!/usr/bin/env bash
# The built-in suites through `kubedouble run`, all five clients, as a CI runner would run them.
#   run_suites.sh KUBEDOUBLE as-is   # as the user running the tests
#   run_suites.sh KUBEDOUBLE other   # as root: as an unprivileged user (created when absent);
#                                    # as another user: as root through `sudo -n`
# Without root and without sudo, "other" is skipped (exit 77) with the reason printed. Every
# client is required: a missing one fails the run rather than turning green into skips.
set -euo pipefail
bin=$1 mode=$2
user=${KUBEDOUBLE_CI_USER:-kubedouble-ci}
run=("$bin" run --no-color --require-clients)
if [[ $mode == other ]]; then
  if ((EUID == 0)); then
    if ! id -u "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
      echo "run_suites: created the unprivileged user $user"
    fi
    if ! runuser -u "$user" -- test -x "$bin"; then
      echo "run_suites: $user cannot run $bin (a folder above it is not open to other users)" >&2
      exit 1
    fi
    echo "run_suites: the built-in suites as $user (uid $(id -u "$user"), not root)"
    run=(runuser -u "$user" -- "${run[@]}")
  elif sudo -n true 2>/dev/null; then
    echo "run_suites: the built-in suites as root (sudo), this user being $(id -un)"
    run=(sudo -n "${run[@]}")
  else
    echo "run_suites: SKIPPED: the suites as another user need root or password-less sudo;" \
      "this run is $(id -un) (uid $EUID) only"
    exit 77
  fi
else
  echo "run_suites: the built-in suites as $(id -un) (uid $EUID)"
fi
exec "${run[@]}"
