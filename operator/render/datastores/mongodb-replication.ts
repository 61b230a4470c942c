// MongoDB replica set on the official image. Every member runs
// `mongod --replSet <component> --keyFile …`; the members authenticate each
// other with a keyfile from a Secret generated once (like the credentials).
// The image's entrypoint creates the root user on a fresh data directory with
// --replSet and --keyFile removed; a member the set then adds drops that copy
// in its initial sync and takes the primary's users.
// The set is initiated once, by member 0: start.sh leaves a loop behind that
// waits until the local server takes the root user's credentials, asks for the
// set's status and runs rs.initiate only when the server answers that no set
// was ever initiated (NotYetInitialized, code 94). A member 0 that lost its
// volume cannot start a second set: rs.initiate's quorum check fails while the
// other members belong to one already. From then on MongoDB elects its own
// primary; archctl writes no failover of its own.
import { childName } from "../../api/names.ts";
import type { RenderContext } from "../context.ts";

export const KEYFILE_DIR = "/etc/archctl-keyfile";
export const KEYFILE_KEY = "keyfile";
/** mongod refuses a keyfile readable by its group: start.sh copies it here as 0400. */
const KEYFILE_COPY = "/tmp/archctl-keyfile";

/** The Secret holding the replica set's keyfile: `<arch>-<component>-keyfile`. */
export function keyfileSecretName(architecture: string, component: string): string {
  return childName(architecture, component, "keyfile");
}

/** Every member's host:port, by its stable name behind the headless Service. */
export function replicaSetHosts(
  ctx: RenderContext,
  component: string,
  members: number,
  port: number,
): string[] {
  const sts = childName(ctx.arch.name, component);
  const headless = childName(ctx.arch.name, component, "headless");
  return Array.from(
    { length: members },
    (_, i) => `${sts}-${i}.${headless}.${ctx.arch.namespace}.svc:${port}`,
  );
}

/**
 * The script every member starts with (sh, POSIX). MEMBERS is the
 * comma-separated host:port list, REPLICA_SET the set's name.
 */
export const MONGODB_START_SCRIPT = `#!/bin/sh
set -eu
ordinal="\${POD_NAME##*-}"
install -m 0400 ${KEYFILE_DIR}/${KEYFILE_KEY} ${KEYFILE_COPY}
if [ "$ordinal" = 0 ]; then
  # Initiates the set once, in the background, while the entrypoint runs the server.
  (
    until mongosh --quiet --norc --port "$MONGODB_PORT" -u "$MONGO_INITDB_ROOT_USERNAME" \\
      -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin \
      --eval "const set = '$REPLICA_SET', hosts = '$MEMBERS';"'
        let code = 0;
        try {
          if (db.adminCommand({ replSetGetStatus: 1 }).ok) quit(0);
        } catch (e) {
          code = e.code;
        }
        if (code !== 94) quit(1);
        const members = hosts.split(",").map((host, _id) => ({ _id, host }));
        rs.initiate({ _id: set, members });' >/dev/null 2>&1; do
      sleep 5
    done
    echo "archctl: replica set $REPLICA_SET is initiated"
  ) &
fi
exec docker-entrypoint.sh "$@" --replSet "$REPLICA_SET" --keyFile ${KEYFILE_COPY}
`;

/** Readiness: the member is the primary or a secondary (hello needs no authentication). */
export const MONGODB_READY_SCRIPT = `#!/bin/sh
exec mongosh --quiet --norc --port "$MONGODB_PORT" --eval '
  const h = db.hello();
  quit(h.isWritablePrimary || h.secondary ? 0 : 1);'
`;

export const MONGODB_SCRIPTS = {
  "start.sh": MONGODB_START_SCRIPT,
  "ready.sh": MONGODB_READY_SCRIPT,
} as const;
