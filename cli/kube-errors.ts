// Errors from talking to a cluster, for a person at a terminal: the fact the
// operator states too (operator/kube/errors.ts), then what to type next, and
// the exit code that goes with it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ClusterUnreachableError,
  describeKubeError,
  KubeApiError,
  KubeConfigError,
  NOT_INSTALLED_FACT,
  whereOf,
} from "../operator/kube/errors.ts";
import { UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";

export const NOT_INSTALLED_MESSAGE = `${NOT_INSTALLED_FACT}: run archctl install, or ask a cluster admin to (archctl crd | kubectl apply --server-side -f -)`;

let checkout: boolean | undefined;

/**
 * Whether archctl runs from a source checkout (test/cluster/ is next to it:
 * cli/ in the sources, dist/cli/ once built), the only place the local
 * cluster can be built. The installed package ships no test/ tree.
 */
export function inSourceCheckout(): boolean {
  checkout ??= ["../test/cluster/index.ts", "../../test/cluster/index.ts"].some((p) =>
    existsSync(fileURLToPath(new URL(p, import.meta.url))),
  );
  return checkout;
}

/** The next step when there is no (usable) cluster: which kubeconfig and context are in use. */
export function noClusterHint(sourceCheckout = inSourceCheckout()): string {
  return `Check which cluster you are using (kubectl config current-context) or choose one with --kubeconfig FILE / --context NAME${
    sourceCheckout ? "; for a local cluster from this checkout: npm run cluster:up" : ""
  }`;
}

/** One sentence: what went wrong, where, and what to type next. */
export function explainKubeError(err: unknown): string {
  if (err instanceof ClusterUnreachableError) return `${err.message}. ${noClusterHint()}.`;
  if (err instanceof KubeConfigError) return kubeconfigAdvice(err);
  const fact = describeKubeError(err);
  if (!(err instanceof KubeApiError)) return fact;
  switch (err.status) {
    case 401:
      return `${fact}: log in again or refresh the credentials of your kubeconfig user (kubectl config current-context shows which), or choose another with --context NAME.`;
    case 403:
      return fact.startsWith("forbidden: user ") ? `${fact}, or use another --context.` : fact;
    case 404: {
      if (fact === NOT_INSTALLED_FACT) return NOT_INSTALLED_MESSAGE;
      const name = err.body.details?.name;
      if (err.body.details?.kind === "namespaces" && name)
        return `${fact}: create it: kubectl create namespace ${name} (or choose another namespace with -n)`;
      const w = whereOf(err.path);
      return `${fact}: check the name and the namespace (-n)${w ? `; list them with: kubectl get ${w.resource}${w.namespace ? ` -n ${w.namespace}` : ""}` : ""}`;
    }
    case 409:
      if (err.reason === "AlreadyExists") return fact;
      if (/Apply failed with/.test(err.message))
        return `${fact}. Keep those fields (drop them from what you apply) or take them over with --force-conflicts`;
      return `${fact}. The object changed while archctl wrote it: run the command again`;
    case 422:
      // An Architecture's own spec: the blueprint is at fault.
      if (/^\/apis\/archctl\.io\//.test(err.path) && !/\/status(\?|$)/.test(err.path))
        return `${fact} Fix those fields (archctl validate -f FILE checks a blueprint without a cluster) and try again`;
      return fact;
    default:
      return fact;
  }
}

/** The kubeconfig fact, with where a cluster comes from. */
function kubeconfigAdvice(err: KubeConfigError): string {
  switch (err.problem) {
    case "unreadable":
      return `${err.message}. Pass --kubeconfig FILE or set KUBECONFIG${inSourceCheckout() ? " (a local cluster from this checkout: export KUBECONFIG=$(npm run -s cluster:up))" : ""}.`;
    case "no-context":
      return `${err.message}. ${noClusterHint()}.`;
    default:
      return err.message;
  }
}

export function connectionError(err: unknown): Error {
  if (err instanceof UserError) return err;
  if (err instanceof KubeConfigError)
    return new UserError(explainKubeError(err), ExitCode.UNREACHABLE);
  if (err instanceof ClusterUnreachableError)
    return new UserError(explainKubeError(err), ExitCode.UNREACHABLE);
  if (err instanceof KubeApiError) {
    const code =
      err.status === 404
        ? ExitCode.NOT_FOUND
        : err.status === 401
          ? ExitCode.UNREACHABLE
          : err.status === 403 || err.status === 422 || err.status === 400
            ? ExitCode.REFUSED
            : ExitCode.FAILURE;
    return new UserError(explainKubeError(err), code);
  }
  return err instanceof Error ? err : new Error(String(err));
}
