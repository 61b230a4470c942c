// A short id of this checkout (a hash of its path) for the names of its test
// clusters: two checkouts on one machine (a developer's and CI's fresh clone,
// or two sessions) must never share, or stop, each other's cluster. The
// binaries are still shared through the cache.
import { createHash } from "node:crypto";
import { REPO_ROOT } from "../cluster/binaries.ts";

export const CHECKOUT_ID = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 6);
