// Application secrets and configuration files: `spec.secrets[]` (generated,
// taken from an existing Secret, or synced from an external store) and, on
// application components, `secretEnv`, `secretFiles` and `config`. Values of
// secrets never appear in a spec: only names and keys do.
import { z } from "zod";

/** Bounds of a generated secret: below them it is guessable, above them absurd. */
export const GENERATE_BOUNDS = {
  bytes: { min: 16, max: 1024 },
  length: { min: 12, max: 1024 },
} as const;
export const GENERATE_ENCODINGS = ["base64", "base64url", "hex"] as const;
export const GENERATE_CHARSETS = ["alphanumeric", "hex", "printable"] as const;

/** A config file's size limit (bytes, UTF-8) and the limit of all config files of an Architecture. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024;
export const MAX_CONFIG_TOTAL_BYTES = 512 * 1024;

/** The key a generated or external secret's value is stored under. */
export const SINGLE_KEY = "value";

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const secretName = z
  .string()
  .max(40)
  .regex(NAME, "must be lower-case letters, digits and '-', starting with a letter");
/** A key of a Secret or ConfigMap (also a file name when mounted). */
const KEY = /^[-._a-zA-Z0-9]+$/;
const dataKey = z.string().min(1).max(253).regex(KEY, "must be letters, digits, '-', '_' or '.'");
const absolutePath = z
  .string()
  .max(256)
  .regex(/^\/[^:]*$/, "must be an absolute path such as /etc/app (no ':')");

export const GenerateSchema = z
  .strictObject({
    bytes: z
      .number()
      .int()
      .min(GENERATE_BOUNDS.bytes.min, "fewer random bytes could be guessed: use 32 or 64")
      .max(GENERATE_BOUNDS.bytes.max, "no key needs more than 1024 random bytes: use 32 or 64")
      .optional()
      .describe("random bytes, written in `encoding` (a key: 32 or 64)"),
    encoding: z
      .enum(GENERATE_ENCODINGS)
      .optional()
      .describe("how bytes are written (default base64)"),
    length: z
      .number()
      .int()
      .min(GENERATE_BOUNDS.length.min, "a shorter password could be guessed: use 32")
      .max(GENERATE_BOUNDS.length.max, "no password needs more than 1024 characters: use 32")
      .optional()
      .describe("characters of a password drawn from `charset`"),
    charset: z
      .enum(GENERATE_CHARSETS)
      .optional()
      .describe("characters of a password (default alphanumeric)"),
  })
  .refine((g) => (g.bytes === undefined) !== (g.length === undefined), {
    message:
      "give bytes (a key) or length (a password), exactly one: generate: {bytes: 64, encoding: base64} or generate: {length: 32}",
  })
  .refine((g) => g.encoding === undefined || g.bytes !== undefined, {
    message: "encoding goes with bytes: add bytes or remove encoding",
  })
  .refine((g) => g.charset === undefined || g.length !== undefined, {
    message: "charset goes with length: add length or remove charset",
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "has(self.bytes) != has(self.length)",
        message: "give bytes (a key) or length (a password), exactly one",
      },
      { rule: "!has(self.encoding) || has(self.bytes)", message: "encoding goes with bytes" },
      { rule: "!has(self.charset) || has(self.length)", message: "charset goes with length" },
    ],
  });

export const FromSecretSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
        "must be the name of a Secret in the Architecture's own namespace (no namespace/ prefix: Secrets of other namespaces cannot be used)",
      )
      .describe("a Secret the team manages, in the Architecture's namespace"),
    keys: z.array(dataKey).min(1).max(32).describe("the keys it must hold"),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "!self.name.contains('/')",
        message:
          "Secrets of other namespaces cannot be used: name a Secret in the Architecture's namespace",
      },
    ],
  });

export const ExternalSecretRefSchema = z.strictObject({
  store: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be the name of a SecretStore")
    .describe("the External Secrets Operator SecretStore"),
  storeKind: z
    .enum(["SecretStore", "ClusterSecretStore"])
    .optional()
    .describe("default SecretStore"),
  key: z.string().min(1).max(512).describe("the key in the external store"),
  property: z.string().max(256).optional().describe("a property of that key (JSON field)"),
  refresh: z
    .string()
    .max(16)
    .regex(/^([0-9]{1,5}(s|m|h))+$/, "must be a duration such as 30m or 1h")
    .optional()
    .describe("how often the value is read again (default 1h)"),
});

export const AppSecretSchema = z
  .strictObject({
    name: secretName.describe("referred to by secretEnv and secretFiles"),
    description: z.string().max(1024).optional(),
    generate: GenerateSchema.optional().describe(
      "created once from the OS's CSPRNG, never rotated except by `archctl secret rotate`",
    ),
    fromSecret: FromSecretSchema.optional(),
    external: ExternalSecretRefSchema.optional(),
  })
  .refine(
    (s) => [s.generate, s.fromSecret, s.external].filter((x) => x !== undefined).length === 1,
    { message: "a secret has exactly one source: generate, fromSecret or external" },
  )
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "(has(self.generate) ? 1 : 0) + (has(self.fromSecret) ? 1 : 0) + (has(self.external) ? 1 : 0) == 1",
        message: "a secret has exactly one source: generate, fromSecret or external",
      },
    ],
  });

/** `JWT_SIGNING_KEY: jwt` or `JWT_SIGNING_KEY: {secret: jwt, key: value}`. */
export const SecretRefSchema = z.strictObject({
  secret: secretName,
  key: dataKey.optional().describe("default: value, or the only key of a fromSecret"),
});
export const SecretEnvValueSchema = z
  .union([secretName, SecretRefSchema])
  // Structural schemas allow no string-or-object union: the API server keeps
  // the value as written and the operator's validation checks it.
  .meta({ "x-kubernetes-preserve-unknown-fields": true });

export const SecretEnvSchema = z
  .record(z.string().max(253), SecretEnvValueSchema)
  .describe("environment variables read from spec.secrets");

export const SecretFileSchema = z.strictObject({
  secret: secretName,
  mountPath: absolutePath.describe("a directory: one read-only file (mode 0400) per key"),
  keys: z.array(dataKey).max(32).optional().describe("only these keys (default: all)"),
});

export const SecretFilesSchema = z
  .array(SecretFileSchema)
  .max(16)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["mountPath"] });

export const ConfigSchema = z.strictObject({
  mountPath: absolutePath.describe("the directory the files appear in, read-only"),
  files: z
    .record(
      dataKey,
      z
        .string()
        .max(
          MAX_CONFIG_FILE_BYTES,
          "over the 64 KiB limit of a config file: keep large data in the image or a volume",
        ),
    )
    .refine((files) => Object.keys(files).length > 0, {
      message: "config has no files: add files: {app.yaml: ...} or remove config",
    })
    .meta({ minProperties: 1 })
    .describe("file name -> content; in a blueprint, {fromFile: path} reads a file"),
});

export const SecretsListSchema = z
  .array(AppSecretSchema)
  .max(32)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] });

/** The fields application components gain (added to ComponentSchema). */
export const componentSecretFields = {
  secretEnv: SecretEnvSchema.optional(),
  secretFiles: SecretFilesSchema.optional(),
  config: ConfigSchema.optional().describe("configuration files, mounted from a ConfigMap"),
};

/** Rules on spec that CEL can say: every secret used by secretFiles is defined. */
export const SECRET_SPEC_RULES = [
  {
    rule: "self.components.all(c, !has(c.secretFiles) || c.secretFiles.all(f, has(self.secrets) && self.secrets.exists(s, s.name == f.secret)))",
    message: "every secretFiles[].secret must be defined in spec.secrets",
  },
];

/** Rules on a component. */
export const SECRET_COMPONENT_RULES = [
  {
    // secretEnv's values are kept as written (string or object), so CEL cannot
    // see the field; validation refuses it on datastores.
    rule: "self.type in ['service','gateway','worker','job','cron'] || (!has(self.secretFiles) && !has(self.config))",
    message: "secretFiles and config are for application components",
  },
];

export type AppSecret = z.infer<typeof AppSecretSchema>;
export type GenerateSpec = z.infer<typeof GenerateSchema>;
export type SecretEnvValue = z.infer<typeof SecretEnvValueSchema>;
export type SecretFile = z.infer<typeof SecretFileSchema>;
export type AppConfig = z.infer<typeof ConfigSchema>;
