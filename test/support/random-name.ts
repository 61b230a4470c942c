// Names not used before in a cluster (namespaces, users): a prefix and a random suffix.
export function randomName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}
