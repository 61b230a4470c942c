// The objects `archctl install` applies: the same objects the Helm chart in
// charts/archctl installs with its default values (a test renders the chart
// with `helm template` and compares the two object by object). Pure: no I/O,
// no clock; the CLI passes the version in.
import { buildCrd } from "../api/crd.ts";
import type { KubeObject } from "../kube/types.ts";
import { admissionPolicy } from "./admission-policy.ts";
import { operatorDashboardJson } from "./dashboard.ts";
import type { PolicyRule } from "./rbac.ts";
import { discoveryRules, leaderElectionRules, operatorRules } from "./rbac.ts";

export type InstallScope = "cluster" | "namespace";

export interface InstallOptions {
  /** Namespace of the operator (its Deployment, ServiceAccount, Lease). */
  namespace: string;
  /** cluster: one ClusterRole; namespace: a Role in each watched namespace, nothing cluster-wide but the CRD (none with skipCrd). */
  scope: InstallScope;
  /** Namespaces the operator watches; empty = all (cluster scope only). */
  watchNamespaces: string[];
  /** Container image reference. */
  image: string;
  replicas: number;
  /** archctl version: the app.kubernetes.io/version label. */
  version: string;
  /**
   * Leave the CRD out (like `helm install --skip-crds`): a cluster admin
   * installs it once, teams without cluster rights install the operator.
   */
  skipCrd?: boolean;
}

/** Names of everything installed; the chart's default release name is `archctl`, so they match. */
export const INSTALL_NAME = "archctl";
export const OPERATOR_ROLE = `${INSTALL_NAME}-operator`;
export const LEADER_ROLE = `${INSTALL_NAME}-leader-election`;
export const METRICS_SERVICE = `${INSTALL_NAME}-metrics`;
export const DASHBOARD_CONFIGMAP = `${INSTALL_NAME}-dashboard`;
export const DEFAULT_NAMESPACE = "archctl-system";
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/archctl/archctl";
export const METRICS_PORT = 8080;
/** What `archctl install` puts in app.kubernetes.io/managed-by (Helm puts "Helm"). */
export const INSTALL_MANAGER = "archctl-cli";

export function defaultImage(version: string): string {
  return `${DEFAULT_IMAGE_REPOSITORY}:${version}`;
}

export function selectorLabels(): Record<string, string> {
  return { "app.kubernetes.io/name": "archctl", "app.kubernetes.io/instance": INSTALL_NAME };
}

function labels(version: string): Record<string, string> {
  return {
    ...selectorLabels(),
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/component": "operator",
    "app.kubernetes.io/part-of": "archctl",
    "app.kubernetes.io/managed-by": INSTALL_MANAGER,
  };
}

/** Problems with the options, as sentences; empty when they are usable. */
export function checkInstallOptions(o: InstallOptions): string[] {
  const problems: string[] = [];
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (!dns.test(o.namespace) || o.namespace.length > 63)
    problems.push(`namespace '${o.namespace}' is not a valid namespace name`);
  for (const ns of o.watchNamespaces)
    if (!dns.test(ns) || ns.length > 63)
      problems.push(`watched namespace '${ns}' is not a valid namespace name`);
  if (o.scope === "namespace" && o.watchNamespaces.length === 0)
    problems.push(
      "namespace scope needs the namespaces to watch (--watch-namespaces a,b): without cluster-wide rights the operator cannot watch all namespaces",
    );
  if (!Number.isInteger(o.replicas) || o.replicas < 1)
    problems.push(`replicas must be a positive whole number, not ${o.replicas}`);
  if (!o.image.trim() || /\s/.test(o.image))
    problems.push(`'${o.image}' is not an image reference`);
  return problems;
}

function role(
  kind: "ClusterRole" | "Role",
  name: string,
  namespace: string | undefined,
  rules: PolicyRule[],
  version: string,
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels: labels(version) },
    rules,
  };
}

function binding(
  kind: "ClusterRoleBinding" | "RoleBinding",
  name: string,
  namespace: string | undefined,
  o: InstallOptions,
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels: labels(o.version) },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: kind === "ClusterRoleBinding" ? "ClusterRole" : "Role",
      name,
    },
    subjects: [{ kind: "ServiceAccount", name: INSTALL_NAME, namespace: o.namespace }],
  };
}

/**
 * Node's options for the operator, as the chart's operator.nodeOptions: V8's
 * heap from the 512Mi limit (about 3/4 of it), small semi-spaces
 * (test/bench/ANALYSIS.md, issue 17). The bench runs its operators with them.
 */
export const OPERATOR_NODE_OPTIONS = "--max-old-space-size=384 --max-semi-space-size=2";

function deployment(o: InstallOptions): KubeObject {
  const env: Record<string, unknown>[] = [
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "ARCHCTL_LEADER_ELECT", value: "true" },
    { name: "ARCHCTL_METRICS_ADDRESS", value: `0.0.0.0:${METRICS_PORT}` },
    { name: "ARCHCTL_WORKERS", value: "8" },
    { name: "ARCHCTL_RESYNC_SECONDS", value: "300" },
    { name: "ARCHCTL_LOG_LEVEL", value: "info" },
    { name: "NODE_OPTIONS", value: OPERATOR_NODE_OPTIONS },
  ];
  if (o.watchNamespaces.length)
    env.push({ name: "ARCHCTL_WATCH_NAMESPACES", value: o.watchNamespaces.join(",") });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: INSTALL_NAME, namespace: o.namespace, labels: labels(o.version) },
    spec: {
      replicas: o.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels() },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: {
            ...selectorLabels(),
            "app.kubernetes.io/component": "operator",
            "app.kubernetes.io/part-of": "archctl",
          },
        },
        spec: {
          serviceAccountName: INSTALL_NAME,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selectorLabels() },
            },
          ],
          containers: [
            {
              name: "operator",
              image: o.image,
              imagePullPolicy: "IfNotPresent",
              args: ["operator", "run"],
              env,
              ports: [{ name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" }],
              livenessProbe: {
                httpGet: { path: "/healthz", port: "metrics" },
                initialDelaySeconds: 5,
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              readinessProbe: {
                httpGet: { path: "/readyz", port: "metrics" },
                periodSeconds: 5,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              resources: {
                requests: { cpu: "50m", memory: "128Mi" },
                limits: { memory: "512Mi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        },
      },
    },
  };
}

/**
 * Everything `archctl install` applies, in apply order: the cluster-scoped
 * objects first, so that a user without cluster rights is refused before
 * anything in a namespace is written.
 *
 * The Namespace is part of cluster scope only (and the installer creates it
 * only when it is missing, leaving an existing one as it is); in namespace
 * scope the namespace must exist, since creating one needs cluster rights.
 * With skipCrd the CRD is left out; namespace scope with skipCrd writes
 * nothing cluster-wide.
 */
export function installManifests(o: InstallOptions): KubeObject[] {
  const problems = checkInstallOptions(o);
  if (problems.length) throw new Error(problems.join("; "));
  const v = o.version;
  const objects: KubeObject[] = [];
  if (!o.skipCrd) objects.push(buildCrd() as unknown as KubeObject);
  if (o.scope === "cluster")
    objects.push(
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: o.namespace, labels: labels(v) },
      },
      role("ClusterRole", OPERATOR_ROLE, undefined, [...operatorRules(), ...discoveryRules()], v),
      binding("ClusterRoleBinding", OPERATOR_ROLE, undefined, o),
      ...admissionPolicy({ namespace: o.namespace, name: INSTALL_NAME }, labels(v)),
    );
  objects.push({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: INSTALL_NAME, namespace: o.namespace, labels: labels(v) },
  });
  if (o.scope === "namespace")
    for (const ns of o.watchNamespaces)
      objects.push(
        role("Role", OPERATOR_ROLE, ns, operatorRules(), v),
        binding("RoleBinding", OPERATOR_ROLE, ns, o),
      );
  objects.push(
    role("Role", LEADER_ROLE, o.namespace, leaderElectionRules(), v),
    binding("RoleBinding", LEADER_ROLE, o.namespace, o),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: DASHBOARD_CONFIGMAP,
        namespace: o.namespace,
        labels: { ...labels(v), grafana_dashboard: "1" },
      },
      data: { "archctl-operator.json": operatorDashboardJson() },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: METRICS_SERVICE, namespace: o.namespace, labels: labels(v) },
      spec: {
        type: "ClusterIP",
        selector: selectorLabels(),
        ports: [{ name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP" }],
      },
    },
    deployment(o),
  );
  if (o.replicas > 1)
    objects.push({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: INSTALL_NAME, namespace: o.namespace, labels: labels(v) },
      spec: { minAvailable: 1, selector: { matchLabels: selectorLabels() } },
    });
  return objects;
}
