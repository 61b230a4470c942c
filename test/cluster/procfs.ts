// What a local cluster's processes are doing, read from Linux's /proc: the
// sockets each one listens on, its memory, and which processes name a
// cluster's folder. Used by the lifecycle test (everything on 127.0.0.1,
// `down` stops exactly its processes) and to measure the figures in
// README.md. The parsers are pure; the readers are thin.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export type Proto = "tcp" | "tcp6" | "udp" | "udp6";

export type Listener = { proto: Proto; address: string; port: number; inode: number };

/**
 * /proc/net/* prints addresses as the kernel stores them: each 32-bit word in
 * host byte order (little-endian here), in hex. IPv4 is one word, IPv6 four.
 */
export function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) throw new Error(`not an address from /proc/net: '${hex}'`);
  // IPv4-mapped (::ffff:a.b.c.d) printed the way ss prints it.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // Shorten the longest run of zero groups to "::" (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(":");
  const head = groups.slice(0, best.at).join(":");
  const tail = groups.slice(best.at + best.len).join(":");
  return `${head}::${tail}`;
}

const TCP_LISTEN = "0A";

/**
 * Server sockets in one /proc/net/{tcp,tcp6,udp,udp6} table: TCP sockets in
 * LISTEN, and UDP sockets with no peer (a connected UDP socket is a client).
 */
export function parseProcNet(text: string, proto: Proto): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local = "", remote = "", state = "", inode = ""] = [f[1], f[2], f[3], f[9]];
    const server = proto.startsWith("tcp") ? state === TCP_LISTEN : /^0+:0+$/.test(remote);
    if (!server) continue;
    const [addr = "", port = ""] = local.split(":");
    out.push({
      proto,
      address: decodeAddress(addr),
      port: parseInt(port, 16),
      inode: Number(inode),
    });
  }
  return out;
}

/** Inodes of the sockets among a process's open files ("socket:[123]" links). */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out; // gone, or not ours to read
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {} // closed meanwhile
  }
  return out;
}

/** Every server socket of a process, over TCP and UDP, IPv4 and IPv6. */
export function listenersOf(pid: number): Listener[] {
  const inodes = socketInodes(pid);
  // The process's own view of the tables (its network namespace).
  return (["tcp", "tcp6", "udp", "udp6"] as const).flatMap((proto) => {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${proto}`, "utf8");
    } catch {
      return [];
    }
    return parseProcNet(text, proto).filter((l) => inodes.has(l.inode));
  });
}

/** One-letter state from /proc/<pid>/stat (R, S, Z, ...), undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may itself contain ") ".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** Running (not exited, not a zombie awaiting its reaper). */
export function processRunning(pid: number): boolean {
  const s = processState(pid);
  return s !== undefined && s !== "Z" && s !== "X";
}

/** PIDs of running processes whose command line contains `text`. */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes(text) && processRunning(pid)) out.push(pid);
    } catch {} // exited while we looked
  }
  return out.sort((a, b) => a - b);
}

/** VmRSS from /proc/<pid>/status in KiB (0 when gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
