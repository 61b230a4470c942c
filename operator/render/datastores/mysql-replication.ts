// MySQL GTID replication on the official image (8.4). Every member runs the
// same pod template; what an empty member becomes is decided once, by start.sh,
// before the image's entrypoint initialises it:
//   - the primary answers on the read-write Service: a replica. The entrypoint
//     makes root and the app user as always, then 10-replication.sh (sourced by
//     the entrypoint on its temporary server) copies the primary's databases
//     with mysqldump (one consistent snapshot, GTID_PURGED included), points
//     replication at the read-write Service with GTID auto-positioning and
//     persists super_read_only;
//   - ordinal 0 and no primary answers: the first primary; the init script adds
//     the replication user.
// A member with data starts as it is: its role lives in its data directory
// (replication metadata, mysqld-auto.cnf), so the pod template never names a
// primary and moving the read-write Service restarts nothing. Replicas reach
// the primary through that Service, so they follow it when it moves.
import { MYSQL_FAILOVER_SCRIPTS } from "./mysql-failover.ts";
import { REPLICATION_USER } from "./postgres-replication.ts";

/** Server settings every member needs, before the user's own (which win). */
export const MYSQL_REPLICATION_SETTINGS: Record<string, string> = {
  gtid_mode: "ON",
  enforce_gtid_consistency: "ON",
  // Named after the setting, not the pod's hostname: the log survives a rename.
  relay_log: "relay-bin",
  // A replica that is itself a source after a failover has every transaction.
  log_replica_updates: "ON",
};

const DATA_DIR = "/var/lib/mysql";
/** Present while a new replica copies the primary: its data is not to be trusted yet. */
const MARKER = ".archctl-bootstrapping";

/** The script every member starts with (sh, POSIX). */
export const MYSQL_START_SCRIPT = `#!/bin/sh
# Decides what an empty member becomes, then runs the image's entrypoint.
set -eu
ordinal="\${POD_NAME##*-}"
ARCHCTL_ROLE=existing
if [ -e ${DATA_DIR}/${MARKER} ]; then
  # A replica's copy was cut short: its data is partial, start it again from nothing.
  echo "archctl: an interrupted bootstrap left partial data: starting over"
  find ${DATA_DIR} -mindepth 1 -delete
fi
if [ ! -d ${DATA_DIR}/mysql ]; then
  while :; do
    if mysqladmin ping --silent --connect-timeout=5 -h "$PRIMARY_HOST" -P "$MYSQL_PORT" -u ${REPLICATION_USER} 2>/dev/null; then
      echo "archctl: the primary at $PRIMARY_HOST answers: this member starts as a replica"
      ARCHCTL_ROLE=replica
      break
    fi
    if [ "$ordinal" = 0 ]; then
      echo "archctl: no primary answers: initialising the first primary"
      ARCHCTL_ROLE=primary
      break
    fi
    echo "archctl: waiting for the primary at $PRIMARY_HOST"
    sleep 5
  done
fi
export ARCHCTL_ROLE
# server_id must differ per member; report_host names it in SHOW REPLICAS.
exec docker-entrypoint.sh mysqld --server-id="$((ordinal + 1))" --report-host="$POD_NAME.$HEADLESS_HOST" "$@"
`;

/**
 * Sourced by the entrypoint on its temporary server, after it made root and the
 * app user (docker_process_sql is the entrypoint's own client as root). Nothing
 * here is binary-logged on a replica: its GTID set is exactly the primary's.
 */
export const MYSQL_INITDB_SCRIPT = `#!/bin/sh
# Adds the replication user; on a new replica, copies the primary and follows it.
archctl_replication_user() {
  docker_process_sql --database=mysql <<SQL
SET SESSION sql_log_bin = $1;
CREATE USER '${REPLICATION_USER}'@'%' IDENTIFIED BY '$REPLICATION_PASSWORD';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${REPLICATION_USER}'@'%';
SQL
}
case "\${ARCHCTL_ROLE:-}" in
primary)
  archctl_replication_user 1
  ;;
replica)
  touch ${DATA_DIR}/${MARKER}
  # The replica's own users exist already; a failover needs it to have the replication user too.
  archctl_replication_user 0
  docker_process_sql --database=mysql <<SQL
RESET BINARY LOGS AND GTIDS;
SQL
  databases=$(MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -h "$PRIMARY_HOST" -P "$MYSQL_PORT" -u root -NB -e \\
    "select schema_name from information_schema.schemata where schema_name not in ('mysql', 'sys', 'information_schema', 'performance_schema')")
  if [ -n "$databases" ]; then
    echo "archctl: copying $(echo $databases) from the primary"
    # shellcheck disable=SC2086
    MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqldump -h "$PRIMARY_HOST" -P "$MYSQL_PORT" -u root \\
      --single-transaction --set-gtid-purged=ON --routines --events --triggers --databases $databases \\
      | docker_process_sql --database=mysql
  fi
  docker_process_sql --database=mysql <<SQL
CHANGE REPLICATION SOURCE TO SOURCE_HOST = '$PRIMARY_HOST', SOURCE_PORT = $MYSQL_PORT,
  SOURCE_USER = '${REPLICATION_USER}', SOURCE_PASSWORD = '$REPLICATION_PASSWORD',
  SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, GET_SOURCE_PUBLIC_KEY = 1,
  SOURCE_CONNECT_RETRY = 5, SOURCE_RETRY_COUNT = 86400;
SET PERSIST super_read_only = ON;
SQL
  rm ${DATA_DIR}/${MARKER}
  ;;
esac
`;

/**
 * Readiness: the server answers over TCP and, when a replication channel is
 * configured, both its receiver and its applier are running. A replica that
 * lost its source or stopped on an error leaves the -ro Service.
 */
export const MYSQL_READY_SCRIPT = `#!/bin/sh
set -eu
export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"
state=$(mysql -h 127.0.0.1 -P "$MYSQL_PORT" -u root -NB -e "select
  (select count(*) from performance_schema.replication_connection_configuration) = 0
  or exists (select 1 from performance_schema.replication_connection_status c
    join performance_schema.replication_applier_status a using (channel_name)
    where c.service_state = 'ON' and a.service_state = 'ON')")
[ "$state" = 1 ]
`;

export const MYSQL_SCRIPTS = {
  "start.sh": MYSQL_START_SCRIPT,
  "ready.sh": MYSQL_READY_SCRIPT,
  "10-replication.sh": MYSQL_INITDB_SCRIPT,
  ...MYSQL_FAILOVER_SCRIPTS,
} as const;
