// PostgreSQL streaming replication on the official image. Every member runs the
// same pod template; what it becomes is decided by its data directory:
//   - data present: the official entrypoint starts it as it is (a standby when
//     standby.signal is there);
//   - empty, the primary answering: pg_basebackup clones it and writes
//     standby.signal and primary_conninfo (-R), so it streams from the primary;
//   - empty, ordinal 0, no primary answering: the entrypoint's initdb makes the
//     first primary, and an init script adds the replication user.
// Replicas reach the primary through the read-write Service, so when a failover
// moves that Service they follow the promoted member without being rewritten.
// The scripts below are the exact text the real-server tests run.
import type { ResolvedComponent } from "../../api/defaults.ts";
import { childLabels, childName } from "../../api/names.ts";
import type { RenderContext } from "../context.ts";
import type { SecretSpec } from "../types.ts";

export const SCRIPTS_DIR = "/etc/archctl";
export const INITDB_DIR = "/docker-entrypoint-initdb.d";
export const REPLICATION_USER = "replicator";

/** Server settings a primary/replica pair needs, before the user's own (which win). */
export const REPLICATION_SETTINGS: Record<string, string> = {
  // A replica that lags a while can still catch up from the primary's WAL.
  wal_keep_size: "512MB",
  // Queries on a replica do not have their rows vacuumed away under them.
  hot_standby_feedback: "on",
  // Lets pg_rewind bring a diverged former primary back as a replica.
  wal_log_hints: "on",
};

/** The script every member starts with (sh, POSIX). */
export const START_SCRIPT = `#!/bin/sh
# Bootstraps this member's data directory, then runs the image's entrypoint.
set -eu
ordinal="\${POD_NAME##*-}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  while :; do
    if pg_isready -q -t 5 -h "$PRIMARY_HOST" -p "$PGPORT"; then
      echo "archctl: cloning from the primary at $PRIMARY_HOST"
      rm -rf "$PGDATA"
      PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --no-password --pgdata="$PGDATA" \\
        --dbname="host=$PRIMARY_HOST port=$PGPORT user=${REPLICATION_USER} application_name=$POD_NAME" \\
        --wal-method=stream --checkpoint=fast --write-recovery-conf
      break
    fi
    if [ "$ordinal" = 0 ]; then
      echo "archctl: no primary answers: initialising the first primary"
      break
    fi
    echo "archctl: waiting for the primary at $PRIMARY_HOST"
    sleep 5
  done
fi
exec docker-entrypoint.sh "$@"
`;

/** Run once by the entrypoint after initdb (sourced: it sees the entrypoint's env). */
export const INITDB_SCRIPT = `#!/bin/sh
# Creates the replication user and lets it connect for replication.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
  --set=pw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE ${REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;

/**
 * Readiness: the server answers over TCP and, when it is a replica, its WAL
 * receiver is streaming. A replica that lost its primary leaves the -ro Service.
 */
export const READY_SCRIPT = `#!/bin/sh
set -eu
pg_isready -q -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB"
state=$(PGPASSWORD="$POSTGRES_PASSWORD" psql -XtA -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" \\
  -c "select not pg_is_in_recovery() or exists (select 1 from pg_stat_wal_receiver where status = 'streaming')")
[ "$state" = t ]
`;

// The steps of `archctl failover` (see operator/failover): each runs in a
// member's postgres container. Connection details of the primary to follow
// default to the read-write Service; the arguments override them.
const QUERY = `export PGPASSWORD="$POSTGRES_PASSWORD"
q() { psql -XtA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"; }
conninfo="host=\${1:-$PRIMARY_HOST} port=\${2:-$PGPORT} user=${REPLICATION_USER} password=$REPLICATION_PASSWORD application_name=$POD_NAME"`;

/** Prints `in_recovery,receive_lsn,replay_lsn,current_lsn,streaming` of this member. */
export const STATE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "select pg_is_in_recovery(), coalesce(pg_last_wal_receive_lsn()::text, ''), coalesce(pg_last_wal_replay_lsn()::text, ''), case when pg_is_in_recovery() then '' else pg_current_wal_lsn()::text end, exists (select 1 from pg_stat_wal_receiver where status = 'streaming')" | tr '|' ','
`;

/**
 * Fences the primary: it will start again only as a standby, and a fast stop
 * ends every session. Prints the last WAL position written before the stop;
 * the shutdown checkpoint follows it, and reaches the replicas before the
 * server exits.
 */
export const FENCE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "alter system set primary_conninfo = '$conninfo'" >/dev/null
touch "$PGDATA/standby.signal"
q "select pg_current_wal_lsn()"
pg_ctl stop -D "$PGDATA" -m fast -w >/dev/null
`;

/** Promotes this replica; prints t once it accepts writes. */
export const PROMOTE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "select pg_promote(true, 60)"
`;

/** Points this replica at the (new) primary and reloads: it follows the new timeline. */
export const REPOINT_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "alter system set primary_conninfo = '$conninfo'" >/dev/null
q "select pg_reload_conf()" >/dev/null
`;

export const SCRIPTS = {
  "start.sh": START_SCRIPT,
  "ready.sh": READY_SCRIPT,
  "10-replication.sh": INITDB_SCRIPT,
  "state.sh": STATE_SCRIPT,
  "fence.sh": FENCE_SCRIPT,
  "promote.sh": PROMOTE_SCRIPT,
  "repoint.sh": REPOINT_SCRIPT,
} as const;

/** Name of the read-only Service: `<arch>-<component>-ro`. */
export function readOnlyServiceName(ctx: RenderContext, component: string): string {
  return childName(ctx.arch.name, component, "ro");
}

/** The Secret holding the replication user's password: `<arch>-<component>-replication`. */
export function replicationSecretName(architecture: string, component: string): string {
  return childName(architecture, component, "replication");
}

/** The replication user of a PostgreSQL or MySQL with replicas: `replicator`, a random password. */
export function replicationSecret(
  ctx: RenderContext,
  c: ResolvedComponent,
  engine: "postgres-replication" | "mysql-replication",
): SecretSpec {
  return {
    name: replicationSecretName(ctx.arch.name, c.name),
    component: c.name,
    engine,
    labels: childLabels(ctx.arch.name, c.name),
    keys: { username: { literal: "replicator" }, password: { random: 32 } },
  };
}
