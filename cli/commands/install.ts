// archctl install: the CRD and the operator (ServiceAccount, least-privilege
// RBAC, Deployment with leader election, metrics Service, PodDisruptionBudget,
// Grafana dashboard) by server-side apply: the same objects as the Helm chart
// in charts/archctl. Safe to run again: it converges, and says what changed.

import type { Command } from "commander";
import { Option } from "commander";
import type { ApplyAction } from "../../operator/install/installer.ts";
import type { InstallOptions, InstallScope } from "../../operator/install/manifests.ts";
import {
  checkInstallOptions,
  DEFAULT_NAMESPACE,
  defaultImage,
  INSTALL_NAME,
  installManifests,
} from "../../operator/install/manifests.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { toYamlStream } from "../../operator/render/yaml-output.ts";
import { contextOf, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { packageVersion } from "../input.ts";
import { connectionError } from "../kube-errors.ts";
import { timeoutMs as parseTimeout } from "./apply.ts";

interface InstallFlags {
  scope: string;
  skipCrd?: boolean;
  watchNamespaces?: string;
  image?: string;
  replicas: string;
  dryRun?: string | boolean;
  output?: string;
  timeout: string;
}

export function splitList(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function dryRunMode(value: string | boolean | undefined): "client" | "server" | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || value === "client") return "client";
  if (value === "server") return "server";
  throw new UserError(`--dry-run must be client or server, not '${value}'`);
}

/** Flags -> install options, with every problem in one message. */
export function installOptionsFrom(
  flags: InstallFlags,
  namespace: string | undefined,
): InstallOptions {
  if (flags.scope !== "cluster" && flags.scope !== "namespace")
    throw new UserError(`--scope must be cluster or namespace, not '${flags.scope}'`);
  const replicas = Number(flags.replicas);
  const version = packageVersion();
  const opts: InstallOptions = {
    namespace: namespace ?? DEFAULT_NAMESPACE,
    scope: flags.scope as InstallScope,
    watchNamespaces: splitList(flags.watchNamespaces),
    image: flags.image ?? defaultImage(version),
    replicas,
    version,
    ...(flags.skipCrd ? { skipCrd: true } : {}),
  };
  const problems = checkInstallOptions(opts);
  if (problems.length) throw new UserError(problems.join("; "));
  return opts;
}

export function printObjects(objects: KubeObject[], format: "yaml" | "json"): string {
  if (format === "json")
    return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  return toYamlStream(objects, { leading: true });
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("install")
    .description("install the Architecture CRD and the archctl operator into the cluster")
    .addOption(
      new Option(
        "--scope <scope>",
        "cluster (one ClusterRole) or namespace (Roles in --watch-namespaces only)",
      )
        .choices(["cluster", "namespace"])
        .default("cluster"),
    )
    .option(
      "--watch-namespaces <list>",
      "comma-separated namespaces the operator watches (default: all)",
    )
    .option(
      "--skip-crd",
      "do not install the CRD (a cluster admin installs it once; like helm install --skip-crds)",
    )
    .option("--image <ref>", "operator image (default: ghcr.io/archctl/archctl:<version>)")
    .option("--replicas <n>", "operator replicas (leader election picks one)", "2")
    .option(
      "--dry-run [mode]",
      "client: print the objects, change nothing; server: let the API server check them, change nothing",
    )
    .option("-o, --output <format>", "print the objects as yaml or json")
    .option(
      "--timeout <duration>",
      "how long to wait for the CRD to be served (e.g. 90s, 10m, 1h)",
      "60s",
    )
    .addHelpText(
      "after",
      `
The operator goes into -n/--namespace (default ${DEFAULT_NAMESPACE}). Objects are
server-side applied with the field manager archctl-cli; running it again
updates them. The same objects come from the Helm chart:
  helm install archctl charts/archctl -n ${DEFAULT_NAMESPACE} --create-namespace

--scope cluster (the default) creates the namespace when it is missing (an
existing one is left as it is) and a ClusterRole. --scope namespace writes
only into the namespaces named: they must exist, and with --skip-crd nothing
cluster-wide is written, so a team with admin rights in its namespaces can
install the operator once a cluster admin has installed the CRD
(archctl crd | kubectl apply --server-side -f -).

Examples:
  archctl install
  archctl install --dry-run -o yaml > archctl.yaml
  archctl install --dry-run=server
  archctl install -n team-ops --scope namespace --watch-namespaces team-a,team-b --skip-crd
  archctl install --image registry.example.com/archctl:0.1.0 --replicas 3`,
    )
    .action(async (flags: InstallFlags, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const mode = dryRunMode(flags.dryRun);
      const format = flags.output
        ? outputFormat(flags.output, ["yaml", "json"] as const, "yaml")
        : undefined;
      const opts = installOptionsFrom(flags, ctx.globals.namespace);
      const timeoutMs = parseTimeout(flags.timeout);
      const objects = installManifests(opts);
      if (mode === "client") {
        ctx.write(printObjects(objects, format ?? "yaml"));
        return;
      }
      const inst = await import("../../operator/install/installer.ts");
      const suffix = mode === "server" ? " (server dry run)" : "";
      try {
        const { rest } = await deps.connect(ctx.globals);
        if (opts.scope === "namespace") {
          const absent = await inst.absentNamespaces(rest, [
            opts.namespace,
            ...opts.watchNamespaces,
          ]);
          if (absent.length)
            throw new UserError(
              `namespace${absent.length > 1 ? "s" : ""} ${absent.join(", ")} not found: create ${absent.length > 1 ? "them" : "it"}: ${absent.map((n) => `kubectl create namespace ${n}`).join(" && ")} (--scope namespace never creates namespaces: that needs cluster rights), then run install again`,
              ExitCode.NOT_FOUND,
            );
        }
        if (opts.skipCrd && !(await inst.crdServed(rest)))
          ctx.err(
            ctx.errStyle.yellow(
              "warning: --skip-crd, and the Architecture CRD is not installed: the operator cannot work until a cluster admin installs it (archctl crd | kubectl apply --server-side -f -)",
            ),
          );
        const results = await inst.applyInstall(rest, objects, {
          dryRun: mode === "server",
          crdTimeoutMs: timeoutMs,
          onApplied: (r) =>
            ctx.info(
              `${r.kind.padEnd(26)} ${(r.namespace ? `${r.namespace}/` : "") + r.name}: ${describeAction(r.action, r.namespace)}${r.action === "unchecked" ? "" : suffix}`,
            ),
        });
        if (format)
          ctx.write(
            printObjects(
              results.map((r) => r.object),
              format,
            ),
          );
        const changed = results.filter(
          (r) => r.action === "created" || r.action === "configured",
        ).length;
        ctx.info(
          mode === "server"
            ? `\n${dryRunSummary(results)}`
            : `\narchctl ${opts.version} ${changed ? "installed" : "is already installed"} in namespace ${opts.namespace} (${changed} of ${results.length} objects changed; scope ${opts.scope}${opts.watchNamespaces.length ? `, watching ${opts.watchNamespaces.join(", ")}` : ", watching all namespaces"}${opts.skipCrd ? "; CRD skipped" : ""}).
Next:
  kubectl -n ${opts.namespace} rollout status deployment/${INSTALL_NAME}
  archctl init post my-posts.yaml && archctl apply -f my-posts.yaml --wait
  kubectl get architectures -A`,
        );
      } catch (err) {
        if (err instanceof inst.CrdTimeoutError) throw new UserError(err.message, ExitCode.TIMEOUT);
        if (err instanceof inst.ClusterScopeForbiddenError)
          throw new UserError(err.message, ExitCode.REFUSED);
        throw connectionError(err);
      }
    });
}

function describeAction(action: ApplyAction, namespace: string | undefined): string {
  if (action === "exists") return "exists (left as it is)";
  if (action === "unchecked")
    return `not checked: namespace ${namespace} does not exist yet (a dry run creates nothing)`;
  return action;
}

/** What a server dry run checked, and what it could not. */
export function dryRunSummary(results: { action: ApplyAction; namespace?: string }[]): string {
  const unchecked = results.filter((r) => r.action === "unchecked");
  const sent = results.filter((r) => r.action !== "unchecked" && r.action !== "exists").length;
  if (!unchecked.length) return `The API server accepted all ${sent} objects; nothing was changed.`;
  const namespaces = [...new Set(unchecked.map((r) => r.namespace))].join(", ");
  return `The API server accepted ${sent} of ${sent + unchecked.length} objects; the other ${unchecked.length} were not checked: they go into namespace ${namespaces}, which does not exist yet, and a dry run creates nothing (run install, or create the namespace and dry-run again, to check them). Nothing was changed.`;
}
