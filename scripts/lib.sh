# Shared by the scripts in this folder: where things live and how to run a command
# inside the project's Python 3.14 environment (native venv or cached Debian sid root).
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${FLUVIUS_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fluvius-ha}
ROOTFS=$CACHE_DIR/rootfs-sid
ENV_FILE=$REPO/.devenv        # written by scripts/setup: which route it took
MIN_PY=(3 14 2)

log() { printf '\033[1;34m[fluvius]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[fluvius]\033[0m %s\n' "$*" >&2; exit 1; }

python_ok() {  # python_ok BINARY: true when it is CPython >= 3.14.2
  "$1" -c "import sys; sys.exit(sys.version_info[:3] < (${MIN_PY[0]}, ${MIN_PY[1]}, ${MIN_PY[2]}))" 2>/dev/null
}

env_ready() { [ -f "$ENV_FILE" ]; }

# Variables passed into the chroot, as a file bash can source; everything else stays outside.
write_passthrough_env() {
  local name
  for name in $(compgen -e); do
    case "$name" in
      PIP_FIND_LINKS) ;;  # host paths that do not exist inside the root filesystem
      PIP_*|FLUVIUS_*|PYTEST_*|CI|TERM|TZ|COLUMNS|BENCH_*|NO_COLOR|FORCE_COLOR)
        printf 'export %s=%q\n' "$name" "${!name}" ;;
    esac
  done
}

# in_env CMD ARGS...: run CMD from the repository root inside the project environment.
# With IN_ENV_EXEC=1 the shell is replaced by CMD, so signals sent to it reach CMD.
in_env() {
  env_ready || die "environment not set up: run scripts/setup"
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  local run=()
  [ "${IN_ENV_EXEC:-}" = 1 ] && run=(exec)
  if [ "$DEV_MODE" = native ]; then
    if [ ${#run[@]} -gt 0 ]; then
      cd "$REPO" && PATH="$DEV_VENV/bin:$PATH" VIRTUAL_ENV="$DEV_VENV" exec "$@"
    fi
    (cd "$REPO" && PATH="$DEV_VENV/bin:$PATH" VIRTUAL_ENV="$DEV_VENV" "$@")
    return
  fi
  local envfile rc=0
  envfile=$(mktemp)
  write_passthrough_env >"$envfile"
  # A private mount namespace: every mount vanishes with the process, none is left behind.
  # unshare, sh and chroot all exec, so CMD ends up with this process's PID.
  "${run[@]}" unshare -m --propagation private sh -c '
    root=$1; repo=$2; envfile=$3; shift 3
    mount --bind "$repo" "$root/src" &&
    mount -t proc proc "$root/proc" &&
    mount --rbind /dev "$root/dev" &&
    mount -t sysfs sys "$root/sys" &&
    mount -t tmpfs tmpfs "$root/tmp" &&
    cp "$envfile" "$root/tmp/.passenv" && rm -f "$envfile" || exit 97
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin VIRTUAL_ENV=/opt/venv \
      /bin/bash -c ". /tmp/.passenv; cd /src && exec \"\$@\"" bash "$@"
  ' sh "$ROOTFS" "$REPO" "$envfile" "$@" || rc=$?
  rm -f "$envfile"
  return $rc
}

# rootfs_apt_install PKG...: install Debian packages into the sid root (no-op natively or when
# already there). The mirror's sid snapshot may carry an expired Release date; accept it.
rootfs_apt_install() {
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  [ "$DEV_MODE" = rootfs ] || return 0
  local missing=() pkg
  for pkg in "$@"; do
    chroot "$ROOTFS" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} into the root filesystem"
  in_env sh -c 'apt-get -o Acquire::Check-Valid-Until=false update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null' \
    sh "${missing[@]}"
}
