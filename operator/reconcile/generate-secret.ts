// The value of a generated application secret, from the OS's CSPRNG: random
// bytes in an encoding (keys), or a password drawn uniformly from a charset by
// rejection sampling (no modulo bias). Used by the operator on creation and by
// `archctl secret rotate`.
import { randomBytes } from "node:crypto";
import type { GenerateSpec } from "../api/schema.ts";

const CHARSETS: Record<NonNullable<GenerateSpec["charset"]>, string> = {
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  hex: "0123456789abcdef",
  // Printable ASCII without space, quotes and backslash, which break shells and config files.
  printable:
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~",
};

/** `length` characters of `alphabet`, each uniform (bytes above the last full multiple are drawn again). */
export function randomFrom(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

export function generateSecretValue(g: GenerateSpec): string {
  if (g.bytes !== undefined) {
    const bytes = randomBytes(g.bytes);
    return bytes.toString(g.encoding ?? "base64");
  }
  return randomFrom(CHARSETS[g.charset ?? "alphanumeric"], g.length ?? 32);
}
