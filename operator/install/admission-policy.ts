// A ValidatingAdmissionPolicy that narrows what the operator's own
// ServiceAccount may do below what its ClusterRole grants. RBAC cannot say
// "only namespaces with this label" or "only Secrets with these labels"; CEL
// admission can, and the API server enforces it whatever the operator's code
// does (a bug, a compromised process). It holds for that ServiceAccount only:
//   - deleting a namespace needs the ephemeral-environment label (archctl env);
//   - creating or updating (patching) a Secret needs archctl's managed-by label.
// Cluster scope only: a policy and its binding are cluster-wide objects. Pure.
import { EPHEMERAL_NAMESPACE_LABEL, MANAGED_BY } from "../api/names.ts";
import type { KubeObject } from "../kube/types.ts";

export const ADMISSION_POLICY_NAME = "archctl-operator-limits";
const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** The policy's checks, shared with the chart (files/admission-policy.yaml). */
export function admissionValidations(): { expression: string; message: string; reason: string }[] {
  return [
    {
      expression: `request.resource.resource != 'namespaces' || (has(oldObject.metadata.labels) && '${EPHEMERAL_NAMESPACE_LABEL}' in oldObject.metadata.labels)`,
      message: `the archctl operator may delete only namespaces labelled ${EPHEMERAL_NAMESPACE_LABEL} (ephemeral environments)`,
      reason: "Forbidden",
    },
    {
      expression: `request.resource.resource != 'secrets' || (has(object.metadata.labels) && '${MANAGED_BY_LABEL}' in object.metadata.labels && object.metadata.labels['${MANAGED_BY_LABEL}'] == '${MANAGED_BY}')`,
      message: `the archctl operator may create or change only Secrets labelled ${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      reason: "Forbidden",
    },
  ];
}

export function admissionMatchConstraints(): Record<string, unknown> {
  return {
    resourceRules: [
      {
        apiGroups: [""],
        apiVersions: ["v1"],
        operations: ["DELETE"],
        resources: ["namespaces"],
      },
      {
        apiGroups: [""],
        apiVersions: ["v1"],
        operations: ["CREATE", "UPDATE"],
        resources: ["secrets"],
      },
    ],
  };
}

/** The user name the API server gives a ServiceAccount. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The policy and its binding, matching only the operator's ServiceAccount. */
export function admissionPolicy(
  serviceAccount: { namespace: string; name: string },
  labels: Record<string, string>,
  name = ADMISSION_POLICY_NAME,
): KubeObject[] {
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name, labels },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: admissionMatchConstraints(),
        matchConditions: [
          {
            name: "archctl-operator-only",
            expression: `request.userInfo.username == '${serviceAccountUser(serviceAccount.namespace, serviceAccount.name)}'`,
          },
        ],
        validations: admissionValidations(),
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name, labels },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
  ];
}
