// Errors from talking to a cluster, as UserErrors with the right exit code.
import {
  ClusterUnreachableError,
  explainKubeError,
  KubeApiError,
  KubeConfigError,
} from "../operator/kube/errors.ts";
import { UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";

export function connectionError(err: unknown): Error {
  if (err instanceof UserError) return err;
  if (err instanceof KubeConfigError) return new UserError(err.message, ExitCode.UNREACHABLE);
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
