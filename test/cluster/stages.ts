// kwok Stages the local cluster adds to kwok's default ones, so end-to-end
// tests can put a pod into a failure state a kubelet would report. Each
// matches only pods of one made-up image, so no other pod is touched. Pure.
//
// kwokctl 0.8 passes its default Stages to kwok-controller in the cluster's
// kwok.yaml; Stage objects created in the cluster are watched only when the
// controller runs with --enable-crds=Stage, and kwokctl then leaves the
// default Stages out (nodes and pods would not be simulated until someone
// created them). So these go in as a second --config file instead: the
// controller reads both (its --config is a list).
//
// Among several Stages that match a pod, kwok picks by weight, and one with
// weight 0 (the defaults) is never picked when another has more: the pod goes
// straight from Pending into the state below, never through pod-ready.

/** A container of this image "crashes" with exit code CRASH_EXIT_CODE, again and again. */
export const CRASH_LOOP_IMAGE = "registry.invalid/archctl-test/crash-loop:1";
export const CRASH_EXIT_CODE = 3;
export const CRASH_RESTARTS = 5;

export const TEST_STAGES = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: archctl-test-crash-loop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: .status.phase
      operator: In
      values: [Pending]
    - key: .spec.containers.[0].image
      operator: In
      values: [${JSON.stringify(CRASH_LOOP_IMAGE)}]
  weight: 100
  delay:
    durationMilliseconds: 500
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Running
      startTime: {{ $now | Quote }}
      conditions:
      - type: Initialized
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      - type: Ready
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $now | Quote }}
      - type: ContainersReady
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $now | Quote }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        started: false
        restartCount: ${CRASH_RESTARTS}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: back-off 2m40s restarting failed container
        lastState:
          terminated:
            exitCode: ${CRASH_EXIT_CODE}
            reason: Error
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
`;

// --- Backup, listing, drill and restore pods of the e2e backup test ---------
//
// kwok runs no containers, so the scripts of a backup, listing or drill pod
// never run here (test/dataplane runs them on real servers). Their pods' only
// output the CLI and the operator read is the termination message: for the
// pods of the Architecture STAND_IN_ARCHITECTURE these Stages finish the pod
// (as kwok's pod-complete would) with a fixed message standing in for what
// the script writes. The restore pod's Stage only waits RESTORE_STAND_IN_MS,
// standing in for the time a restore takes, so its Restoring phase is seen.
// Everything else (Job and CronJob controllers, scheduling, garbage
// collection, the CLI following the Job, the operator) is the real thing.

/** The only Architecture whose Job pods get the stand-in messages below. */
export const STAND_IN_ARCHITECTURE = "ledger";
export const STAND_IN_BACKUP = {
  file: "db-20261201T030000Z.dump",
  time: "20261201T030000Z",
  size: 48213,
  sha256: "4c1a8e9b0d2f3a5c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5",
};
export const STAND_IN_OLDER = {
  file: "db-20261130T030000Z.dump",
  size: 47100,
  sha256: "0b9d6f4e2a1c3b5d7f9e8a6c4b2d0f1e3a5c7b9d8f6e4a2c0b1d3f5e7a9c8b6d",
};
/** What `ls`-ing the target would report: `name size sha256` lines (backup-list.ts). */
export const STAND_IN_LISTING = [STAND_IN_OLDER, STAND_IN_BACKUP]
  .map((b) => `${b.file} ${b.size} ${b.sha256}`)
  .join("\n");
export const STAND_IN_DRILL = { backup: STAND_IN_BACKUP.file, tables: 3, rows: 1200 };
export const RESTORE_STAND_IN_MS = 4000;

/** A Stage finishing a Running Job pod of STAND_IN_ARCHITECTURE whose first container is one of `containers`. */
function jobPodStage(name: string, containers: string[], message?: string, delayMs = 0): string {
  const msg = message === undefined ? "" : `\n            message: ${JSON.stringify(message)}`;
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: .status.phase
      operator: In
      values: [Running]
    - key: .metadata.ownerReferences.[].kind
      operator: In
      values: [Job]
    - key: '.metadata.labels["archctl.io/architecture"]'
      operator: In
      values: [${JSON.stringify(STAND_IN_ARCHITECTURE)}]
    - key: .spec.containers.[0].name
      operator: In
      values: [${containers.map((c) => JSON.stringify(c)).join(", ")}]
  weight: 100
  delay:
    durationMilliseconds: ${delayMs}
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Succeeded
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            reason: Completed${msg}
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
`;
}

export const BACKUP_STAGES = [
  jobPodStage(
    "archctl-test-backup-record",
    ["dump", "upload"],
    `${JSON.stringify(STAND_IN_BACKUP)}\n`,
  ),
  jobPodStage("archctl-test-backup-listing", ["list"], `${STAND_IN_LISTING}\n`),
  jobPodStage("archctl-test-drill-result", ["drill"], `${JSON.stringify(STAND_IN_DRILL)}\n`),
  jobPodStage("archctl-test-restore", ["restore"], undefined, RESTORE_STAND_IN_MS),
].join("---\n");
