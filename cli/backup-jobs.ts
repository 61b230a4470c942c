// The Jobs behind `archctl backup run` and `backup list`, and reading what they
// recorded. Pure: the command module does the I/O.
//
// A backup Job is the component's backup CronJob's jobTemplate, as `kubectl
// create job --from=cronjob/...` makes it. A listing Job mounts the same backup
// target read-only (the PVC, or the S3 credentials) and writes the list into
// its termination message, which Kubernetes keeps in the pod's status: no log
// access, no extra RBAC, nothing stored besides the backups themselves.

import type { KubeObject } from "../operator/kube/types.ts";
import { ROLE_LABEL } from "../operator/render/datastores/statefulset.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are plain JSON
type Json = any;

/** One backup as recorded by its run (the termination message) or found by a listing. */
export interface BackupEntry {
  file: string;
  size: number;
  sha256: string;
  /** yyyymmddThhmmssZ, from the file name. */
  time: string;
}

const TIME_IN_NAME = /-([0-9]{8}T[0-9]{6}Z)\./;

/** `kubectl create job --from=cronjob/C`: the CronJob's Job template, owned by the CronJob. */
export function jobFromCronJob(cron: Json, suffix: string): KubeObject {
  const template = cron.spec.jobTemplate;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: `${cron.metadata.name}-manual-${suffix}`.slice(0, 63),
      namespace: cron.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), "archctl.io/trigger": "manual" },
      annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
      ...(cron.metadata.uid
        ? {
            ownerReferences: [
              {
                apiVersion: "batch/v1",
                kind: "CronJob",
                name: cron.metadata.name,
                uid: cron.metadata.uid,
                controller: true,
                blockOwnerDeletion: false,
              },
            ],
          }
        : {}),
    },
    spec: template.spec,
  };
}

/** The listing Job of a component: the backup pod's target (read-only) and image, running `script` (backup-list.ts). */
export function listJob(cron: Json, script: string, suffix: string): KubeObject {
  const job = jobFromCronJob(cron, suffix) as Json;
  job.metadata.name = `${cron.metadata.name}-list-${suffix}`.slice(0, 63);
  job.metadata.labels["archctl.io/trigger"] = "list";
  delete job.metadata.annotations;
  const pod = structuredClone(cron.spec.jobTemplate.spec.template.spec);
  const dump = (pod.initContainers ?? pod.containers)[0];
  const upload = pod.initContainers ? pod.containers[0] : undefined;
  const tmp = { name: "list-tmp", emptyDir: {} };
  const claim = pod.volumes.find((v: Json) => v.name === "backups" && v.persistentVolumeClaim);
  let container: Json;
  if (claim || !upload) {
    container = {
      name: "list",
      image: dump.image,
      command: ["sh", "-c", script],
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
      securityContext: dump.securityContext,
      volumeMounts: [
        { name: "backups", mountPath: "/backups", readOnly: true },
        { name: "list-tmp", mountPath: "/tmp" },
      ],
    };
  } else {
    container = {
      ...upload,
      name: "list",
      command: ["sh", "-c", script],
      volumeMounts: [{ name: "list-tmp", mountPath: "/tmp" }],
    };
  }
  job.spec = {
    ...job.spec,
    backoffLimit: 0,
    activeDeadlineSeconds: 300,
    ttlSecondsAfterFinished: 600,
    template: {
      metadata: {
        labels: { ...(job.spec.template.metadata?.labels ?? {}), [ROLE_LABEL]: "backup" },
      },
      spec: {
        ...pod,
        initContainers: undefined,
        containers: [container],
        volumes: [...(claim ? [claim] : []), tmp],
      },
    },
  };
  delete job.spec.template.spec.initContainers;
  return job;
}

/** The record a backup run wrote into its termination message. */
export function parseRecord(message: string | undefined): BackupEntry | undefined {
  if (!message) return undefined;
  try {
    const r = JSON.parse(message.trim().split("\n").at(-1) ?? "");
    if (typeof r.file !== "string" || typeof r.size !== "number") return undefined;
    return {
      file: r.file,
      size: r.size,
      sha256: String(r.sha256 ?? "-"),
      time: String(r.time ?? ""),
    };
  } catch {
    return undefined;
  }
}

/** `name size sha256` lines, newest first. */
export function parseListing(text: string): BackupEntry[] {
  const out: BackupEntry[] = [];
  for (const line of text.split("\n")) {
    const [file, size, sha256] = line.trim().split(/\s+/);
    if (!file || !size || !/^[0-9]+$/.test(size)) continue;
    out.push({
      file,
      size: Number(size),
      sha256: sha256 ?? "-",
      time: TIME_IN_NAME.exec(file)?.[1] ?? "",
    });
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}

/** Bytes for people: 19575 -> 19.1 KiB. */
export function humanSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** 20261203T031500Z -> 2026-12-03T03:15:00Z. */
export function isoTime(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : stamp || "-";
}

export type JobState =
  | { kind: "running" }
  | { kind: "succeeded" }
  | { kind: "failed"; reason: string };

/** Where a Job is, from its status conditions. */
export function jobState(job: Json): JobState {
  for (const c of job?.status?.conditions ?? []) {
    if (c.status !== "True") continue;
    if (c.type === "Complete" || c.type === "SuccessCriteriaMet") return { kind: "succeeded" };
    if (c.type === "Failed" || c.type === "FailureTarget")
      return { kind: "failed", reason: `${c.reason ?? "Failed"}: ${c.message ?? ""}`.trim() };
  }
  if ((job?.status?.succeeded ?? 0) > 0 && !job?.status?.active) return { kind: "succeeded" };
  return { kind: "running" };
}

/** The termination message of a finished pod's first container that left one. */
export function terminationMessage(pod: Json): string | undefined {
  for (const s of [
    ...(pod?.status?.containerStatuses ?? []),
    ...(pod?.status?.initContainerStatuses ?? []),
  ]) {
    const m = s?.state?.terminated?.message;
    if (m) return m;
  }
  return undefined;
}

/** Where a backup target is, for people: `PVC shop-db-backups` or `s3://bucket/prefix/`. */
export function targetOf(cron: Json): string {
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const claim = pod.volumes?.find((v: Json) => v.persistentVolumeClaim)?.persistentVolumeClaim
    ?.claimName;
  if (claim) return `PVC ${claim}`;
  const script: string = pod.containers?.find((c: Json) => c.name === "upload")?.command?.[2] ?? "";
  return /'(s3:\/\/[^']*)'/.exec(script)?.[1] ?? "S3";
}
