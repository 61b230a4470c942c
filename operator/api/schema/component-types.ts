// The kinds of component an Architecture is made of.

export const APP_TYPES = ["service", "gateway", "worker", "job", "cron"] as const;
export const DATASTORE_TYPES = [
  "mysql",
  "postgres",
  "mongodb",
  "redis",
  "rabbitmq",
  "kafka",
  "milvus",
] as const;
export const COMPONENT_TYPES = [...APP_TYPES, ...DATASTORE_TYPES] as const;

export type AppType = (typeof APP_TYPES)[number];
export type DatastoreType = (typeof DATASTORE_TYPES)[number];
export type ComponentType = (typeof COMPONENT_TYPES)[number];

export function isAppType(type: string): type is AppType {
  return (APP_TYPES as readonly string[]).includes(type);
}
export function isDatastoreType(type: string): type is DatastoreType {
  return (DATASTORE_TYPES as readonly string[]).includes(type);
}
