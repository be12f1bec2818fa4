#!/usr/bin/env bash
# Installs and starts what the platform needs on one Debian machine, then says what it did.
# Usage: deploy/local/setup.sh python|rabbitmq|postgres|browser|fonts
# As root it installs with apt-get; otherwise it prints the command to run and exits 1.
set -euo pipefail

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

apt_install() {
  if ! is_root; then
    die "missing: $*. Install it as root: apt-get update && apt-get install -y $*"
  fi
  say "installing $* with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_python() {
  # The pins in pyproject.toml are tested on CPython 3.11.
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  apt_install python3.11 python3.11-venv
  command -v python3.11
}

ensure_rabbitmq() {
  local host="${RABBITMQ_HOST:-127.0.0.1}"
  if [ "$host" != 127.0.0.1 ] && [ "$host" != localhost ]; then
    port_open "$host" 5672 || die "RabbitMQ at $host:5672 does not answer; start it there."
    return 0
  fi
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] ||
    apt_install rabbitmq-server
  export PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin"
  if ! port_open 127.0.0.1 5672; then
    is_root || die "RabbitMQ is installed but not running. As root: rabbitmq-server -detached"
    if rabbitmqctl -q ping >/dev/null 2>&1; then
      # The node runs but its app was stopped (e.g. a test restarting the broker was killed).
      say "starting the RabbitMQ app on the running node"
      rabbitmqctl -q start_app
    else
      say "starting RabbitMQ"
      rabbitmq-server -detached
    fi
    timeout 120 rabbitmqctl await_startup >/dev/null ||
      die "RabbitMQ did not start within 120 s; see /var/log/rabbitmq/"
  fi
  # management: nameko's test fixtures make a vhost per test through its API;
  # federation and shovel: events between district and city brokers (DESIGN.md §4).
  local wanted="rabbitmq_management rabbitmq_federation rabbitmq_federation_management rabbitmq_shovel"
  local enabled
  enabled=$(rabbitmq-plugins list -e -m 2>/dev/null | tr '\n' ' ')
  for plugin in $wanted; do
    case " $enabled " in
      *" $plugin "*) ;;
      *) is_root || die "RabbitMQ plugin $plugin is off. As root: rabbitmq-plugins enable $wanted"
         say "enabling RabbitMQ plugins: $wanted"
         rabbitmq-plugins enable $wanted >/dev/null
         break ;;
    esac
  done
  for _ in $(seq 60); do port_open 127.0.0.1 15672 && return 0; sleep 1; done
  die "the RabbitMQ management API (port 15672) did not come up"
}

ensure_postgres() {
  # Only for `make test` against PostgreSQL (TEST_DATABASE_URL); the platform defaults to SQLite.
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  if ! port_open 127.0.0.1 5432; then
    is_root || die "PostgreSQL is not running. As root: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 30); do port_open 127.0.0.1 5432 && break; sleep 1; done
  fi
  local db="${1:-weihai_test}"
  if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
    say "creating database $db"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" ||
      die "could not create database $db (is the postgres role reachable over 127.0.0.1 with trust or a password in ~/.pgpass?)"
  fi
}

ensure_browser() {
  # The browser tests (tests/browser) drive Debian's Chromium through Playwright; the CJK
  # fonts make the Chinese pages render as people see them (screenshots, layout).
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
  [ "${#missing[@]}" = 0 ] && return 0
  if ! is_root; then
    # Not fatal: the browser tests skip, saying the same.
    say "missing: ${missing[*]}; the browser tests will be skipped. As root: apt-get update && apt-get install -y ${missing[*]}"
    return 0
  fi
  apt_install "${missing[@]}"
}

ensure_fonts() {
  # The official documents (gateway/documents) embed a TrueType CJK font in each PDF:
  # AR PL UMing, a Song face. ReportLab cannot embed the CFF outlines of fonts-noto-cjk.
  dpkg -s fonts-arphic-uming >/dev/null 2>&1 && return 0
  if ! is_root; then
    # Not fatal: the platform runs; its PDF routes answer 503 document.font_missing and the
    # document tests skip, saying the same.
    say "missing: fonts-arphic-uming; the official documents (PDF) are unavailable until it is installed. As root: apt-get update && apt-get install -y fonts-arphic-uming"
    return 0
  fi
  apt_install fonts-arphic-uming
}

case "${1:-}" in
  python) ensure_python ;;
  rabbitmq) ensure_rabbitmq ;;
  postgres) ensure_postgres "${2:-weihai_test}" ;;
  browser) ensure_browser ;;
  fonts) ensure_fonts ;;
  *) die "usage: $0 python|rabbitmq|postgres|browser|fonts [database]" ;;
esac
