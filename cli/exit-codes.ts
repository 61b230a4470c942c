// Exit codes of every archctl command. Scripts and CI branch on these, so a
// code's meaning never changes; new situations get new numbers.
export const ExitCode = {
  /** Success (for `plan`: no changes). */
  OK: 0,
  /** The operation failed, or an Architecture is Degraded (e.g. apply --wait). Never from `plan`. */
  FAILURE: 1,
  /** `plan` only: the plan found changes (like `kubectl diff`). */
  CHANGES: 1,
  /** Invalid input: bad flags, unreadable or invalid blueprint. Nothing was changed. */
  INVALID: 2,
  /** A wait (--wait, --timeout, status -w --timeout) ran out of time. */
  TIMEOUT: 3,
  /** The cluster could not be reached (kubeconfig, network, TLS, authentication). */
  UNREACHABLE: 4,
  /** Not found: the named Architecture, its namespace, or archctl itself (no CRD). */
  NOT_FOUND: 5,
  /** The API server refused the request (RBAC forbidden, admission or CEL rule). */
  REFUSED: 6,
  /**
   * `plan` only: it failed for a reason codes 2-6 do not cover (where another
   * command exits 1), so that 1 always means "there are changes".
   */
  PLAN_FAILED: 7,
  /** Interrupted by SIGINT (Ctrl-C), as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code, for `archctl --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success (plan: no changes)
  1    failure, or the Architecture is Degraded (plan: there are changes)
  2    invalid input (flags, blueprint); nothing was changed
  3    timed out waiting
  4    cluster unreachable
  5    not found (the Architecture, its namespace, or archctl itself: no CRD)
  6    refused by the API server (RBAC, admission)
  7    plan only: plan failed for another reason (so that 1 always means changes)
  130  interrupted`;
