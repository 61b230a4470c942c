// Milvus standalone with its own etcd (metadata) and MinIO (object storage),
// each a StatefulSet with its own volume and Services. The MinIO keys come from
// the Milvus component's generated Secret.
import { DATASTORE_DEFAULTS, MILVUS_DEPENDENCIES } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources, smallResources } from "../pod.ts";
import {
  configMap,
  datastoreObjects,
  dottedYaml,
  fieldEnv,
  headlessName,
  secretEnv,
} from "./statefulset.ts";

export const MILVUS_UID = 1000;
/** etcd's and MinIO's images run as anyone; 65532 is the distroless "nonroot". */
export const DEPENDENCY_UID = 65532;
const METRICS_PORT = DATASTORE_DEFAULTS.milvus.metricsPort;
const ETCD_PEER_PORT = 2380;
const ETCD_METRICS_PORT = 2381;
const MINIO_CONSOLE_PORT = 9001;

const small = (cpu: string, memory: string) => smallResources(cpu, memory);

export const renderMilvus: ComponentRenderer = (c, ctx) => {
  const ns = ctx.arch.namespace;
  const etcd = MILVUS_DEPENDENCIES.etcd;
  const minio = MILVUS_DEPENDENCIES.minio;
  const etcdHost = `${childName(ctx.arch.name, c.name, "etcd")}.${ns}.svc`;
  const minioHost = `${childName(ctx.arch.name, c.name, "minio")}.${ns}.svc`;
  const objects: KubeObject[] = [];
  const storageClass = c.storage?.storageClassName
    ? { storageClassName: c.storage.storageClassName }
    : {};

  // etcd: a single member, addressed through its headless name.
  const etcdSelf = `$(POD_NAME).${headlessName(ctx, c.name, "etcd")}.${ns}.svc`;
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      part: "etcd",
      replicas: 1,
      server: {
        name: "etcd",
        image: etcd.image,
        command: [
          "etcd",
          "--name=$(POD_NAME)",
          "--data-dir=/var/lib/etcd/data",
          `--listen-client-urls=http://0.0.0.0:${etcd.port}`,
          `--advertise-client-urls=http://${etcdSelf}:${etcd.port}`,
          `--listen-peer-urls=http://0.0.0.0:${ETCD_PEER_PORT}`,
          `--initial-advertise-peer-urls=http://${etcdSelf}:${ETCD_PEER_PORT}`,
          `--initial-cluster=$(POD_NAME)=http://${etcdSelf}:${ETCD_PEER_PORT}`,
          `--listen-metrics-urls=http://0.0.0.0:${ETCD_METRICS_PORT}`,
          // Milvus' recommended settings.
          "--auto-compaction-mode=revision",
          "--auto-compaction-retention=1000",
          "--quota-backend-bytes=4294967296",
          "--snapshot-count=50000",
        ],
        env: [fieldEnv("POD_NAME", "metadata.name")],
        ports: [
          { name: "client", containerPort: etcd.port, protocol: "TCP" },
          { name: "peer", containerPort: ETCD_PEER_PORT, protocol: "TCP" },
          { name: "health", containerPort: ETCD_METRICS_PORT, protocol: "TCP" },
        ],
        readinessProbe: {
          httpGet: { path: "/health", port: "health" },
          periodSeconds: 10,
          timeoutSeconds: 5,
        },
        livenessProbe: {
          tcpSocket: { port: "client" },
          initialDelaySeconds: 30,
          periodSeconds: 20,
          timeoutSeconds: 5,
          failureThreshold: 6,
        },
        resources: small("100m", "256Mi"),
      },
      clientPorts: [{ name: "client", port: etcd.port }],
      peerPorts: [{ name: "peer", port: ETCD_PEER_PORT }],
      dataPath: "/var/lib/etcd",
      storage: { size: etcd.storage, ...storageClass },
      runAsUser: DEPENDENCY_UID,
      readOnlyRootFilesystem: true,
    }),
  );

  // MinIO: one server, root credentials from the Secret.
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      part: "minio",
      replicas: 1,
      server: {
        name: "minio",
        image: minio.image,
        args: [
          "server",
          "/data",
          `--address=:${minio.port}`,
          `--console-address=:${MINIO_CONSOLE_PORT}`,
          "--certs-dir=/tmp/certs",
        ],
        env: [
          { name: "HOME", value: "/tmp" },
          secretEnv(ctx, c.name, "MINIO_ROOT_PASSWORD", "minio-secret-key"),
          secretEnv(ctx, c.name, "MINIO_ROOT_USER", "minio-access-key"),
        ],
        ports: [
          { name: "s3", containerPort: minio.port, protocol: "TCP" },
          { name: "console", containerPort: MINIO_CONSOLE_PORT, protocol: "TCP" },
        ],
        readinessProbe: {
          httpGet: { path: "/minio/health/ready", port: "s3" },
          periodSeconds: 10,
          timeoutSeconds: 5,
        },
        livenessProbe: {
          httpGet: { path: "/minio/health/live", port: "s3" },
          initialDelaySeconds: 30,
          periodSeconds: 20,
          timeoutSeconds: 5,
          failureThreshold: 6,
        },
        resources: small("100m", "512Mi"),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
      clientPorts: [{ name: "s3", port: minio.port }],
      dataPath: "/data",
      storage: { size: minio.storage, ...storageClass },
      runAsUser: DEPENDENCY_UID,
      readOnlyRootFilesystem: true,
      volumes: [{ name: "tmp", emptyDir: {} }],
    }),
  );

  // Milvus itself. settings use milvus.yaml's dotted keys (e.g. proxy.maxTaskNum)
  // and are mounted as user.yaml, which Milvus reads over its defaults.
  const port = c.port ?? DATASTORE_DEFAULTS.milvus.port;
  const userYaml =
    c.settings && Object.keys(c.settings).length ? dottedYaml(c.settings) : undefined;
  const volumes: Record<string, unknown>[] = [];
  const server: Record<string, unknown> = {
    name: "milvus",
    image: c.image,
    args: ["milvus", "run", "standalone"],
    env: [
      { name: "DEPLOY_MODE", value: "STANDALONE" },
      { name: "ETCD_ENDPOINTS", value: `${etcdHost}:${etcd.port}` },
      { name: "MINIO_ADDRESS", value: `${minioHost}:${minio.port}` },
      secretEnv(ctx, c.name, "MINIO_ACCESS_KEY_ID", "minio-access-key"),
      secretEnv(ctx, c.name, "MINIO_SECRET_ACCESS_KEY", "minio-secret-key"),
      ...plainEnv(c.env),
    ],
    ports: [
      { name: "grpc", containerPort: port, protocol: "TCP" },
      { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
    ],
    startupProbe: {
      httpGet: { path: "/healthz", port: "metrics" },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 60,
    },
    readinessProbe: {
      httpGet: { path: "/healthz", port: "metrics" },
      periodSeconds: 10,
      timeoutSeconds: 5,
    },
    livenessProbe: {
      tcpSocket: { port: "grpc" },
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    resources: resources(c),
  };
  if (userYaml) {
    const cm = configMap(ctx, c.name, { "user.yaml": userYaml });
    objects.push(cm);
    server.volumeMounts = [
      {
        name: "config",
        mountPath: "/milvus/configs/user.yaml",
        subPath: "user.yaml",
        readOnly: true,
      },
    ];
    volumes.push({ name: "config", configMap: { name: cm.metadata.name } });
  }
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      replicas: 1,
      server,
      clientPorts: [{ name: "grpc", port }],
      metricsPort: METRICS_PORT,
      dataPath: "/var/lib/milvus",
      runAsUser: MILVUS_UID,
      // Milvus writes under /milvus at start.
      readOnlyRootFilesystem: false,
      volumes,
      terminationGracePeriodSeconds: 60,
      ...(userYaml ? { config: userYaml } : {}),
    }),
  );
  return { objects };
};
