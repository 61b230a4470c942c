// GET on the operator's own HTTP endpoints (/healthz, /readyz, /metrics) in tests.

export async function httpGet(
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}
