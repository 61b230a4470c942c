// The scripts `archctl backup list` runs in a short-lived pod on a component's
// backup target: one line `name size sha256` per backup, newest first (sha256
// `-` where none was recorded), on stdout and in the termination message
// (4096 bytes: about 40 backups; the pod's log has them all).
import type { ResolvedBackup, ResolvedComponent } from "../api/defaults.ts";
import { BACKUP_DIR, dumpOf, s3Target } from "./backup.ts";
import type { RenderContext } from "./context.ts";

const FINISH = [
  "cat /tmp/list",
  "head -c 4000 /tmp/list > /dev/termination-log 2>/dev/null || true",
];

export function listScript(
  ctx: RenderContext,
  c: ResolvedComponent,
  b: ResolvedBackup,
): string | undefined {
  const dump = dumpOf(ctx, c);
  if (!dump) return undefined;
  if (b.s3) {
    const t = s3Target(c, b, dump.ext);
    return [
      "set -eu",
      t.region,
      ": > /tmp/list",
      `aws s3api list-objects-v2 --bucket ${t.bucket} --prefix ${t.keyPrefix} --query 'Contents[].[Key,Size]' --output text ${t.o} | grep -E ${t.backupsWithColumns} | sort -r | while read -r key size; do`,
      `  sha=\`aws s3 cp ${t.root}"$key.sha256" - ${t.o} 2>/dev/null | cut -d' ' -f1\` || true`,
      '  echo "${key##*/} $size ${sha:--}" >> /tmp/list',
      "done",
      ...FINISH,
      "",
    ].join("\n");
  }
  return [
    "set -eu",
    ": > /tmp/list",
    `for f in \`ls -1 ${BACKUP_DIR}/${c.name}-*.${dump.ext} 2>/dev/null | sort -r\`; do`,
    "  sha=-",
    '  if [ -f "$f.sha256" ]; then sha=`cut -d" " -f1 "$f.sha256"`; fi',
    '  echo "${f##*/} `wc -c < "$f" | tr -d " "` $sha" >> /tmp/list',
    "done",
    ...FINISH,
    "",
  ].join("\n");
}
