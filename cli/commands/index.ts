// Every command of archctl, in the order `archctl --help` lists them. Adding a
// command is one file in this directory exporting `register(program, deps)`
// and one line below (with the names it registers, aliases included). Commands
// read global options (--kubeconfig, --context, -n/--namespace, --quiet,
// --no-color) and their dependencies (streams, environment, clock, cluster:
// ../deps.ts) with contextOf(cmd, deps), never from process.*.
//
// Only the command named on the command line is loaded: importing all of them
// pulls in every module any command needs at start-up (zod, yaml, the install
// manifests, the status views...), which is most of `archctl validate`'s
// start-up time. --help, `help`, `completion`, no command or an unknown one
// (for commander's suggestion) load them all, since they list every command.
import type { Command } from "commander";
import type { CliDeps } from "../deps.ts";

export type RegisterCommand = (program: Command, deps: CliDeps) => void;

interface Entry {
  /** The names the module registers at the top level, aliases included. */
  names: readonly string[];
  load: () => Promise<{ register: RegisterCommand }>;
}

const ENTRIES: readonly Entry[] = [
  // authoring (offline)
  { names: ["blueprints", "catalogue"], load: () => import("./blueprints.ts") },
  { names: ["init"], load: () => import("./init.ts") },
  { names: ["validate"], load: () => import("./validate.ts") },
  { names: ["render"], load: () => import("./render.ts") },
  { names: ["graph"], load: () => import("./graph.ts") },
  { names: ["estimate"], load: () => import("./estimate.ts") },
  // cluster
  { names: ["apply"], load: () => import("./apply.ts") },
  { names: ["plan", "diff"], load: () => import("./plan.ts") },
  { names: ["get", "status"], load: () => import("./get.ts") },
  { names: ["delete"], load: () => import("./delete.ts") },
  { names: ["env"], load: () => import("./env.ts") },
  { names: ["secret"], load: () => import("./secret.ts") },
  { names: ["backup"], load: () => import("./backup.ts") },
  { names: ["restore"], load: () => import("./restore.ts") },
  { names: ["failover"], load: () => import("./failover.ts") },
  // operator and installation
  { names: ["install"], load: () => import("./install.ts") },
  { names: ["uninstall"], load: () => import("./uninstall.ts") },
  { names: ["operator"], load: () => import("./operator.ts") },
  { names: ["crd"], load: () => import("./crd.ts") },
  { names: ["completion"], load: () => import("./completion.ts") },
];

/** Global options that take a value (main.ts): the token after them is not the command. */
const GLOBAL_WITH_VALUE = new Set(["--kubeconfig", "--context", "-n", "--namespace"]);

/**
 * The top-level command named in argv (the first token that is neither an
 * option nor an option's value), or undefined when every command is needed.
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help" || a === "--") return undefined;
    // `-n ns`, `--context c`, and a cluster of short flags ending in n (`-qn ns`)
    if (GLOBAL_WITH_VALUE.has(a) || /^-[a-zA-Z]+n$/.test(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    if (a === "help" || a === "completion") return undefined;
    return ENTRIES.some((e) => e.names.includes(a)) ? a : undefined;
  }
  return undefined;
}

/** The register functions for argv's command, or all of them (in --help order). */
export async function loadCommands(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = commandNamed(argv);
  const wanted = name === undefined ? ENTRIES : ENTRIES.filter((e) => e.names.includes(name));
  return (await Promise.all(wanted.map((e) => e.load()))).map((m) => m.register);
}

/** Every command, for what lists them all (help, completion, tests). */
export function allCommands(): Promise<RegisterCommand[]> {
  return loadCommands([]);
}
