// Exit codes of every archctl command. Scripts and CI branch on these, so a
// code's meaning never changes; new situations get new numbers.
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The operation failed, or an Architecture is Degraded (e.g. apply --wait). */
  FAILURE: 1,
  /** Invalid input: bad flags, unreadable or invalid blueprint. Nothing was changed. */
  INVALID: 2,
  /** A wait (--wait, --timeout) ran out of time. */
  TIMEOUT: 3,
  /** The cluster could not be reached (kubeconfig, network, TLS, authentication). */
  UNREACHABLE: 4,
  /** The named Architecture (or other object) does not exist. */
  NOT_FOUND: 5,
  /** The API server refused the request (RBAC forbidden, admission or CEL rule). */
  REFUSED: 6,
  /** Interrupted by SIGINT (Ctrl-C), as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code, for `archctl --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    failure, or the Architecture is Degraded
  2    invalid input (flags, blueprint); nothing was changed
  3    timed out waiting
  4    cluster unreachable
  5    not found
  6    refused by the API server (RBAC, admission)
  130  interrupted`;
