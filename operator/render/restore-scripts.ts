// The scripts that put a backup back: pick the file (`latest` or a name), refuse
// it unless it is there, matches its recorded checksum and is this engine's,
// refuse a target that already holds data, then load it with the engine's own
// client. Pure: the renderer places them in a restore Job, a Redis init
// container or a drill pod; the dataplane tier runs them against real servers.
import type { ResolvedComponent } from "../api/defaults.ts";
import { BACKUP_DIR, shellQuote } from "./backup.ts";
import { serviceHost } from "./connection.ts";
import type { RenderContext } from "./context.ts";

/** Exit code of a refused restore (bad backup or non-empty target), as opposed to a failed one. */
export const RESTORE_REFUSED_EXIT = 3;
/** Env var naming the backup to restore: `latest` or a file name. */
export const BACKUP_NAME_ENV = "ARCHCTL_BACKUP";
/** Where a restored Redis pod's data volume is, and the mark that a restore already ran there. */
const REDIS_DATA = "/data";
const RESTORED_MARK = ".archctl-restored";
/** Redis 7's default appenddirname under the data directory. */
const REDIS_AOF_DIR = `${REDIS_DATA}/appendonlydir`;

interface EngineRestore {
  ext: string;
  label: string;
  /** Shell test that succeeds when "$file" has the engine's format. */
  magic: string;
  /** Shell lines setting $n to how much data the target holds (0 = empty). */
  count: string[];
  /** What $n counts, for the refusal message. */
  unit: string;
  /** Shell lines that load "$file" into the target. */
  load: string[];
}

const PG_USER_RELATIONS =
  "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.relkind IN ('r','p','m','v','S') AND s.nspname NOT IN ('pg_catalog','information_schema') AND s.nspname NOT LIKE 'pg_toast%'";

const MYSQL_USER_TABLES =
  "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('mysql','information_schema','performance_schema','sys')";

function engineOf(ctx: RenderContext, c: ResolvedComponent): EngineRestore | undefined {
  const host = serviceHost(ctx, c.name);
  const port = c.port;
  switch (c.type) {
    case "postgres":
      return {
        ext: "dump",
        label: "PostgreSQL (pg_dump -Fc)",
        magic: '[ "`head -c 5 "$file"`" = PGDMP ]',
        count: [
          `n=\`psql --host=${host} --port=${port} -XAt -c ${shellQuote(PG_USER_RELATIONS)}\``,
        ],
        unit: "tables, views or sequences",
        load: [
          `pg_restore --host=${host} --port=${port} --dbname="$PGDATABASE" --no-owner --no-privileges --exit-on-error --single-transaction "$file"`,
        ],
      };
    case "mysql":
      return {
        ext: "sql",
        label: "MySQL (mysqldump)",
        magic: `head -n 5 "$file" | grep -Eq '^-- (MySQL|MariaDB) dump'`,
        count: [
          `n=\`mysql --host=${host} --port=${port} --user=root --batch --skip-column-names --execute=${shellQuote(MYSQL_USER_TABLES)}\``,
        ],
        unit: "tables",
        load: [`mysql --host=${host} --port=${port} --user=root < "$file"`],
      };
    case "mongodb":
      return {
        ext: "archive.gz",
        label: "MongoDB (mongodump --archive --gzip)",
        magic: '[ "`head -c 2 "$file" | od -An -tx1 | tr -d \' \\n\'`" = 1f8b ]',
        count: [
          `pw=\`printf '%s' "$MONGO_PASSWORD" | sed "s/'/''/g"\``,
          `printf "password: '%s'\\n" "$pw" > /tmp/mongo.yaml`,
          `n=\`mongosh --quiet --host ${host} --port ${port} --username "$MONGO_USERNAME" --authenticationDatabase admin --password "$MONGO_PASSWORD" --eval "db.adminCommand({listDatabases: 1}).databases.filter(d => !['admin','config','local'].includes(d.name)).length"\``,
        ],
        unit: "databases",
        load: [
          `mongorestore --config=/tmp/mongo.yaml --host=${host} --port=${port} --username="$MONGO_USERNAME" --authenticationDatabase=admin --archive="$file" --gzip`,
          "rm -f /tmp/mongo.yaml",
        ],
      };
    case "redis":
      // Redis loads a dump only at start: this runs in an init container on the
      // data volume, before the server, and only once (the mark).
      return {
        ext: "rdb",
        label: "Redis (RDB)",
        magic: '[ "`head -c 5 "$file"`" = REDIS ]',
        count: [`n=\`ls -A ${REDIS_DATA} | grep -v -e '^lost+found$' | wc -l | tr -d ' '\``],
        unit: "files in the data volume",
        // With append-only on, Redis 7 ignores a dump.rdb when it finds no AOF
        // (it starts empty: the dataplane tier saw it), so the backup becomes
        // the base file of a multi-part AOF, named in its manifest.
        load: [
          `mkdir -p ${REDIS_AOF_DIR}`,
          `cp "$file" ${REDIS_AOF_DIR}/appendonly.aof.1.base.rdb`,
          `printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > ${REDIS_AOF_DIR}/appendonly.aof.manifest.partial`,
          `mv ${REDIS_AOF_DIR}/appendonly.aof.manifest.partial ${REDIS_AOF_DIR}/appendonly.aof.manifest`,
          `touch ${REDIS_DATA}/${RESTORED_MARK}`,
        ],
      };
    default:
      return undefined;
  }
}

/** Whether a component type's backups can be restored (and so backed up at all). */
export function restorable(c: ResolvedComponent, ctx: RenderContext): boolean {
  return engineOf(ctx, c) !== undefined;
}

/**
 * The restore script of `target` from the backups of component `source` found
 * in /backups; ARCHCTL_BACKUP names the file (default `latest`).
 */
export function restoreScript(
  ctx: RenderContext,
  target: ResolvedComponent,
  source: string,
): string | undefined {
  const e = engineOf(ctx, target);
  if (!e) return undefined;
  const name = '"${file##*/}"';
  const lines = [
    "set -eu",
    `refuse() { echo "restore refused: $*" >&2; exit ${RESTORE_REFUSED_EXIT}; }`,
    ...(target.type === "redis"
      ? [`if [ -f ${REDIS_DATA}/${RESTORED_MARK} ]; then echo "already restored"; exit 0; fi`]
      : []),
    `want="\${${BACKUP_NAME_ENV}:-latest}"`,
    'if [ "$want" = latest ]; then',
    `  file=\`ls -1 ${BACKUP_DIR}/${source}-*.${e.ext} 2>/dev/null | sort -r | head -n 1\``,
    `  [ -n "$file" ] || refuse "no backup of '${source}' in ${BACKUP_DIR}"`,
    "else",
    `  file="${BACKUP_DIR}/$want"`,
    `  [ -f "$file" ] || refuse "backup '$want' does not exist in ${BACKUP_DIR}"`,
    "fi",
    `case "$file" in *.${e.ext}) ;; *) refuse ${name}" is not a ${e.label} backup: those end in .${e.ext}" ;; esac`,
    `[ -f "$file.sha256" ] || refuse ${name}" has no recorded checksum (${BACKUP_DIR}/"${name}".sha256)"`,
    `(cd ${BACKUP_DIR} && sha256sum -c --status "\${file##*/}.sha256") || refuse ${name}" does not match its recorded checksum: the file is corrupt"`,
    `${e.magic} || refuse ${name}" is not a ${e.label} backup (its content)"`,
    ...e.count,
    `[ "$n" = 0 ] || refuse "${target.name} already holds data ($n ${e.unit}): restore only into an empty datastore"`,
    `echo "restoring "${name}" into ${target.name}"`,
    ...e.load,
    `printf '{"restored":"%s"}\\n' ${name} > /dev/termination-log 2>/dev/null || true`,
    `echo "restored "${name}" into ${target.name}"`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The drill's check, run after a restore into a throwaway server: the engine
 * must open the data, and what it holds is counted. Prints one line
 * `archctl-drill: {"tables":N,"rows":M}` (Redis: keys; MongoDB: collections, documents).
 */
export function drillCheckScript(ctx: RenderContext, c: ResolvedComponent): string | undefined {
  const host = serviceHost(ctx, c.name);
  const port = c.port;
  const out = (json: string) => `printf 'archctl-drill: ${json}\\n'`;
  switch (c.type) {
    case "postgres": {
      const counts =
        "SELECT count(*) || ' ' || coalesce(sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, tablename), false, true, '')))[1]::text::bigint), 0) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema')";
      return [
        "set -eu",
        `set -- \`psql --host=${host} --port=${port} -XAt -c ${shellQuote(counts)}\``,
        `${out('{"tables":%s,"rows":%s}')} "$1" "$2"`,
        "",
      ].join("\n");
    }
    case "mysql": {
      const each = `SELECT concat('SELECT count(*) FROM \`', table_schema, '\`.\`', table_name, '\`;') FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql','information_schema','performance_schema','sys')`;
      const mysql = `mysql --host=${host} --port=${port} --user=root --batch --skip-column-names`;
      return [
        "set -eu",
        `${mysql} --execute=${shellQuote(each)} > /tmp/counts.sql`,
        "tables=`wc -l < /tmp/counts.sql | tr -d ' '`",
        `rows=\`${mysql} < /tmp/counts.sql | awk '{ s += $1 } END { print s + 0 }'\``,
        `${out('{"tables":%s,"rows":%s}')} "$tables" "$rows"`,
        "",
      ].join("\n");
    }
    case "redis":
      return [
        "set -eu",
        `keys=\`redis-cli -h ${host} -p ${port} dbsize\``,
        `case "$keys" in ''|*[!0-9]*) echo "redis did not answer DBSIZE: $keys" >&2; exit 1 ;; esac`,
        `${out('{"keys":%s}')} "$keys"`,
        "",
      ].join("\n");
    case "mongodb":
      return [
        "set -eu",
        `counts=\`mongosh --quiet --host ${host} --port ${port} --username "$MONGO_USERNAME" --authenticationDatabase admin --password "$MONGO_PASSWORD" --eval "let c = 0, d = 0; db.adminCommand({listDatabases: 1}).databases.filter(x => !['admin','config','local'].includes(x.name)).forEach(x => { const s = db.getSiblingDB(x.name); s.getCollectionNames().forEach(n => { c++; d += s.getCollection(n).countDocuments(); }); }); print(c + ' ' + d)"\``,
        "set -- $counts",
        `${out('{"collections":%s,"documents":%s}')} "$1" "$2"`,
        "",
      ].join("\n");
    default:
      return undefined;
  }
}
