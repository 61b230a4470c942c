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
