#!/usr/bin/env bash
# Ensure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for the
# `postgres` user, installing and starting Debian's postgresql if needed.
#
# Prints on stdout (for `eval "$(scripts/pg.sh)"`):
#   export MOTCUA_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
# All diagnostics go to stderr. Quiet and fast when everything is already fine.
# MOTCUA_PG_PORT overrides the port (default 5432; used to test this script).
set -euo pipefail

host=127.0.0.1
port=${MOTCUA_PG_PORT:-5432}
user=postgres
db=postgres
url="postgres://$user@$host:$port/$db"
timeout_s=${MOTCUA_PG_TIMEOUT:-60}

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

have() { command -v "$1" >/dev/null 2>&1; }

isready() { pg_isready -q -h "$host" -p "$port" -t 5 >/dev/null 2>&1; }

# Can we log in over TCP as postgres without a password?
can_login() {
    PGCONNECT_TIMEOUT=5 psql -X -w -q -h "$host" -p "$port" -U "$user" -d "$db" -Atc 'select 1' >/dev/null 2>&1
}

ready_and_trusted() { have pg_isready && have psql && isready && can_login; }

emit() { printf 'export MOTCUA_TEST_DATABASE_URL=%s\n' "$url"; }

# Fast path: nothing to do.
if ready_and_trusted; then
    emit
    exit 0
fi

apt_install() {
    log "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update >&2 || die "apt-get update failed"
    as_root apt-get install -y "$@" >&2 || die "apt-get install $* failed"
}

port_open() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

# Install the server when no cluster tooling is present. If something already
# listens on the port (a server managed elsewhere), only the client is needed.
if ! have pg_lsclusters || ! have pg_ctlcluster; then
    if port_open; then
        if ! have psql || ! have pg_isready; then
            apt_install postgresql-client
        fi
    else
        apt_install postgresql
    fi
fi

wait_ready() {
    local deadline=$((SECONDS + timeout_s))
    until isready; do
        ((SECONDS < deadline)) || die "PostgreSQL not ready on $host:$port after ${timeout_s}s"
        sleep 0.2
    done
}

# Cluster (version, name) serving $port, if any local cluster does.
cluster_ver=
cluster_name=
find_cluster() {
    local ver name cport _
    # pg_lsclusters -h: "Ver Cluster Port Status Owner Data-directory Log-file"
    while read -r ver name cport _; do
        if [[ $cport == "$port" ]]; then
            cluster_ver=$ver
            cluster_name=$name
            return 0
        fi
    done < <(pg_lsclusters -h 2>/dev/null)
    return 1
}

if have pg_lsclusters && have pg_ctlcluster; then
    if ! find_cluster; then
        if port_open; then
            log "something listens on $host:$port but is not a local Debian cluster; using it as is"
        else
            ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
            [[ -n $ver ]] || die "no PostgreSQL server version found under /usr/lib/postgresql"
            name=main
            [[ ! -e /etc/postgresql/$ver/main ]] || name=motcua
            log "creating cluster $ver/$name on port $port"
            as_root pg_createcluster -p "$port" "$ver" "$name" >&2 || die "pg_createcluster failed"
            find_cluster || die "cluster creation did not produce a cluster on port $port"
        fi
    fi

    if [[ -n $cluster_ver ]]; then
        if ! isready; then
            log "starting PostgreSQL cluster $cluster_ver/$cluster_name"
            # Ignore a non-zero exit here (e.g. "already running"); readiness is checked below.
            as_root pg_ctlcluster --skip-systemctl-redirect "$cluster_ver" "$cluster_name" start >&2 ||
                log "pg_ctlcluster start returned non-zero; checking readiness anyway"
        fi
        wait_ready

        if ! can_login; then
            hba=$(PGCONNECT_TIMEOUT=5 as_root runuser -u postgres -- psql -X -w -p "$port" -Atc 'show hba_file' 2>/dev/null || true)
            [[ -n $hba ]] || hba=/etc/postgresql/$cluster_ver/$cluster_name/pg_hba.conf
            [[ -f $hba ]] || die "pg_hba.conf not found ($hba)"
            marker='# motcua-test: trust on loopback (added by scripts/pg.sh)'
            if ! grep -qF "$marker" "$hba"; then
                log "enabling trust auth for loopback TCP in $hba"
                # pg_hba.conf is first-match: put the trust lines at the top.
                tmp=$(mktemp)
                {
                    printf '%s\n' "$marker"
                    printf 'host    all    all    127.0.0.1/32    trust\n'
                    printf 'host    all    all    ::1/128         trust\n'
                    cat "$hba"
                } >"$tmp"
                as_root cp "$tmp" "$hba"
                rm -f "$tmp"
            fi
            as_root pg_ctlcluster --skip-systemctl-redirect "$cluster_ver" "$cluster_name" reload >&2
            deadline=$((SECONDS + 10))
            until can_login; do
                ((SECONDS < deadline)) || break
                sleep 0.2
            done
        fi
    fi
fi

wait_ready
can_login || die "cannot log in as $user on $host:$port without a password (check pg_hba.conf)"
emit
