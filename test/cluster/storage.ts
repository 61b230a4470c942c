// Storage for the local cluster. No CSI driver runs here, so datastore claims
// would stay Pending; kube-controller-manager's own hostPath provisioner (a
// development feature, --enable-hostpath-provisioner) creates PersistentVolume
// objects for them, and kwok "runs" the pods that mount them. Pure.
import type { Manifest } from "./nodes.ts";

export const STORAGE_CLASS = "standard";

export function defaultStorageClass(): Manifest {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: STORAGE_CLASS,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "kubernetes.io/host-path",
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  };
}
