// The steps of `archctl failover` for MySQL (see operator/failover/decide-mysql.ts):
// each runs in a member's mysql container, as root over loopback, and ships in
// the `<arch>-<name>-scripts` ConfigMap with the replication scripts. GTID sets
// are printed on one line (@@gtid_executed breaks lines after its commas).
import { REPLICATION_USER } from "./postgres-replication.ts";

const QUERY = `export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"
q() { mysql -h 127.0.0.1 -P "$MYSQL_PORT" -u root -NB -e "$1"; }
channels() { q "select count(*) from performance_schema.replication_connection_configuration"; }`;

const EXECUTED = "replace(@@global.gtid_executed, '\\n', '')";
const RECEIVED =
  "(select received_transaction_set from performance_schema.replication_connection_status where channel_name = '')";

/**
 * Prints `channels;receiver;applier;super_read_only;server_uuid;gtid_executed;received`
 * of this member (receiver/applier: ON, OFF, CONNECTING, or empty without a channel).
 */
export const MYSQL_STATE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "select concat_ws(';',
  (select count(*) from performance_schema.replication_connection_configuration),
  coalesce((select service_state from performance_schema.replication_connection_status where channel_name = ''), ''),
  coalesce((select service_state from performance_schema.replication_applier_status where channel_name = ''), ''),
  @@global.super_read_only, @@global.server_uuid, ${EXECUTED},
  coalesce(replace(${RECEIVED}, '\\n', ''), ''))"
`;

/**
 * Fences the primary: super_read_only (which implies read_only) refuses every
 * write, root's included, and is persisted, so a restart keeps it read-only.
 * Setting it waits for commits in flight; lock_wait_timeout bounds that wait.
 * Prints the GTID set executed, which nothing can add to any more.
 */
export const MYSQL_FENCE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
q "set session lock_wait_timeout = 30; set persist super_read_only = on"
q "select ${EXECUTED}"
`;

/**
 * Promotes this replica: waits (60 s at most) until the applier has applied
 * everything received, drops the replication channel and makes the server
 * writable, persisted. Prints the GTID set executed. The receiver keeps running
 * during the wait, so a transaction it was halfway through arrives whole (the
 * fenced primary sends nothing new).
 */
export const MYSQL_PROMOTE_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
waited=$(q "select wait_for_executed_gtid_set(coalesce(${RECEIVED}, ''), 60)")
if [ "$waited" != 0 ]; then
  echo "archctl: the applier did not apply what it received within 60 s: not promoted, still a replica" >&2
  exit 1
fi
q "stop replica; reset replica all; set persist super_read_only = off; set persist read_only = off"
q "select ${EXECUTED}"
`;

/**
 * Makes this member (a replica, or the fenced old primary) replicate from the
 * new primary, named by its pod, through the headless Service with GTID
 * auto-positioning: it fetches exactly the transactions it lacks.
 */
export const MYSQL_REPOINT_SCRIPT = `#!/bin/sh
set -eu
${QUERY}
if [ -z "\${1:-}" ]; then
  echo "usage: repoint.sh NEW_PRIMARY_POD" >&2
  exit 2
fi
q "set persist super_read_only = on"
if [ "$(channels)" != 0 ]; then q "stop replica"; fi
q "change replication source to source_host = '$1.$HEADLESS_HOST', source_port = $MYSQL_PORT,
  source_user = '${REPLICATION_USER}', source_password = '$REPLICATION_PASSWORD',
  source_auto_position = 1, source_ssl = 1, get_source_public_key = 1,
  source_connect_retry = 5, source_retry_count = 86400;
start replica"
`;

export const MYSQL_FAILOVER_SCRIPTS = {
  "state.sh": MYSQL_STATE_SCRIPT,
  "fence.sh": MYSQL_FENCE_SCRIPT,
  "promote.sh": MYSQL_PROMOTE_SCRIPT,
  "repoint.sh": MYSQL_REPOINT_SCRIPT,
} as const;
