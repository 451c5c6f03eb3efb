/**
 * Dockgate configuration: one YAML file plus environment variables, validated once at start.
 *
 * Precedence: built-in defaults < config file < environment variables < command-line flags.
 * Secrets (the store key) only ever come from the environment, never from the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isNode, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import cron from 'node-cron';
import { z } from 'zod';

const Party = z
  .object({
    /** ISA05 / ISA07 interchange id qualifier, e.g. "ZZ", "01", "12". */
    isaQualifier: z.string().regex(/^[A-Za-z0-9]{2}$/, 'a 2-character ISA id qualifier such as ZZ'),
    /** ISA06 / ISA08, at most 15 characters. */
    isaId: z.string().min(1).max(15),
    /** GS02 / GS03, 2-15 characters. */
    gsId: z.string().min(2).max(15),
  })
  .strict();

/** A schedule: every N seconds, or a cron expression (node-cron, 5 or 6 fields, seconds first when 6). */
const Schedule = z.union([
  z.number().int().min(1).max(86_400),
  z
    .string()
    .max(120)
    .refine((e) => cron.validate(e), 'a cron expression node-cron reads, e.g. "*/30 * * * * *" (6 fields, seconds first) or "*/5 * * * *"'),
]);
const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a short lower-case id');

/**
 * `dockgate start`: which mappings, partners and sellers, where Amazon is, how often each flow
 * runs and the gateway's business settings (src/flows/context.ts GatewaySettings). Every
 * field is optional: src/gateway/config.ts applies the flags, the environment and the defaults.
 */
const GatewaySection = z
  .object({
    /** The mappings folder (relative to this file). Default ./mappings. */
    mappings: z.string().min(1).optional(),
    /** Active partners and sellers (default: all in the mappings). */
    partners: z.array(Id).optional(),
    sellers: z.array(Id).optional(),
    amazon: z
      .object({
        /** Every seller's SP-API calls go to this http://host:port (an emulator such as `dockgate sandbox amazon`). */
        endpoint: z.string().min(1).optional(),
        /** The emulator's --time-scale: our quota runs this many times faster. Only with an endpoint away from Amazon. */
        timeScale: z.number().positive().max(100_000).optional(),
        perSeller: z.record(Id, z.object({ endpoint: z.string().min(1) }).strict()).optional(),
      })
      .strict()
      .optional(),
    /** How often: seconds or a cron expression. partners override each partner file's transport.pollSeconds. */
    schedules: z
      .object({
        /** The order poll of each seller. Default 120 s: searchOrders is 0.0056 rps with a burst of 20. */
        orders: Schedule.optional(),
        /** The checks: overdue acknowledgements, late orders, files not picked up, inventory freshness. Default 60 s. */
        checks: Schedule.optional(),
        partners: z.record(Id, Schedule).optional(),
      })
      .strict()
      .optional(),
    lateOrderLeadMinutes: z.number().int().positive().optional(),
    inventoryFreshnessMinutes: z.number().int().positive().optional(),
    feedThreshold: z.number().int().min(0).optional(),
    ordersPerFile: z.number().int().positive().max(10_000).optional(),
    ordersOverlapSeconds: z.number().int().min(0).optional(),
    firstLookbackDays: z.number().int().positive().max(30).optional(),
    notPickedUpMinutes: z.number().int().positive().optional(),
    channelRefreshHours: z.number().int().positive().optional(),
    leaseMs: z.number().int().min(1000).optional(),
    secondLookMs: z.number().int().min(0).optional(),
    fbaPollMinutes: z.number().int().positive().optional(),
    fbaShipWithinDays: z.number().int().positive().optional(),
    removalReportHours: z.number().int().positive().optional(),
    removalOverdueDays: z.number().int().positive().optional(),
    reconcileHours: z.number().int().positive().optional(),
    reconcileToleranceUnits: z.number().int().min(0).optional(),
    /** Outbox jobs run at once. Default 4. */
    workers: z.number().int().min(1).max(64).optional(),
    /** Attempts of an outbox job before it is dead (with an exception). Default 10. */
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const AlertRule = z.enum(['ack-overdue', 'tracking-lag', 'ship-by-near', 'inventory-stale', 'exception-unowned', 'amazon-auth', 'partner-refused']);

/**
 * The operator surface: where the API and dashboard listen, who may call them, and where
 * alerts go. Secrets never sit in this file: tokens as their sha256 (`dockgate api token`
 * prints one), webhook secrets by the name of the variable that holds them.
 */
const HttpSection = z
  .object({
    /** 127.0.0.1 unless set (--http-host, DOCKGATE_HTTP_HOST). */
    host: z.string().min(1).optional(),
    /** `dockgate start` listens only when a port is given here, by --http-port or DOCKGATE_HTTP_PORT; 0 picks a free port. */
    port: z.number().int().min(0).max(65_535).optional(),
  })
  .strict();

const ApiSection = z
  .object({
    tokens: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a token name: letters, digits, . _ -'),
            /** sha256 of the token, hex: the token itself is never stored. */
            sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex characters (dockgate api token prints them)'),
            access: z.enum(['read-only', 'read-write']),
            /** May this token see buyer names, addresses and phones (raw ship orders, order details)? Default false. */
            buyerData: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    /** Largest request body accepted, in KiB. Default 64. */
    bodyLimitKb: z.number().int().min(1).max(10_240).optional(),
  })
  .strict();

const AlertsSection = z
  .object({
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a short lower-case id'),
            url: z.string().url(),
            /** The variable holding the HMAC-SHA256 secret the X-Dockgate-Signature header is made with. */
            secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
            /** Only these rules (default: all). */
            rules: z.array(AlertRule).optional(),
          })
          .strict(),
      )
      .default([]),
    thresholds: z
      .object({
        /** A package not confirmed to Amazon this long after the warehouse shipped it. Default 60. */
        trackingLagMinutes: z.number().int().positive().optional(),
        /** An open order this close to its ship-by time, unconfirmed. Default: gateway.lateOrderLeadMinutes. */
        shipByLeadMinutes: z.number().int().positive().optional(),
        /** An open exception with no owner for this long. Default 240. */
        exceptionUnownedMinutes: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const PartnerConfig = Party.extend({
  /** ISA12 for what we send, default 00401. */
  isaVersion: z.string().regex(/^\d{5}$/).default('00401'),
  /** GS08 for what we send, default 004010. */
  gsVersion: z.string().min(1).max(12).default('004010'),
  /** ISA15 for what we send. */
  usage: z.enum(['P', 'T']).default('T'),
}).strict();

export const ConfigSchema = z
  .object({
    /** Where the SQLite database and the raw-file store live. */
    dataDir: z.string().default('./data'),
    store: z
      .object({
        /** Days after completion before documents carrying buyer personal data are purged. */
        retentionDays: z.number().int().positive().default(30),
        /** Name of the environment variable that holds the AES-256-GCM key (64 hex chars or base64). */
        encryptionKeyEnv: z.string().default('DOCKGATE_STORE_KEY'),
        /**
         * PostgreSQL instead of the embedded SQLite (several instances sharing one database).
         * DOCKGATE_DATABASE_URL overrides the url; keep a password there, not in this file.
         * Raw files stay under dataDir (a shared volume for instances on several machines).
         */
        postgres: z
          .object({
            url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres://user@host:port/database URL').optional(),
            /** Connections of each instance's pool. */
            poolSize: z.number().int().positive().max(100).default(10),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ retentionDays: 30, encryptionKeyEnv: 'DOCKGATE_STORE_KEY' }),
    /** Our own identity in X12 envelopes. */
    us: Party.default({ isaQualifier: 'ZZ', isaId: 'DOCKGATE', gsId: 'DOCKGATE' }),
    /** The running gateway (`dockgate start`). */
    gateway: GatewaySection.default({}),
    /** The API, dashboard and /metrics (`dockgate start`, `dockgate serve`). */
    http: HttpSection.default({}),
    api: ApiSection.default({ tokens: [] }),
    /** Alert webhooks and thresholds (alerts also go to the log). */
    alerts: AlertsSection.default({ webhooks: [] }),
    /**
     * Deprecated: the X12 identities of partners come from the partner mapping files (x12.us /
     * x12.them). Read only when no mappings folder is found, with a warning.
     */
    partners: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a short lower-case id'), PartnerConfig).default({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type PartnerSettings = z.infer<typeof PartnerConfig>;
export type GatewayFileSettings = z.infer<typeof GatewaySection>;
export type ApiSettings = z.infer<typeof ApiSection>;
export type AlertSettings = z.infer<typeof AlertsSection>;
export type AlertRuleName = z.infer<typeof AlertRule>;
export const ALERT_RULES = AlertRule.options;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(file ? `${file}${line ? `:${line}:${column ?? 1}` : ''}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file read, when there was one. */
  file?: string;
  /** The folder relative paths of the file are read from (the file's folder, else the cwd). */
  base?: string;
  /** dataDir resolved to an absolute path (relative to the config file's folder, or the cwd). */
  dataDir: string;
  /** The store key from the environment, when set. Never logged. */
  storeKey?: string;
  /** PostgreSQL instead of SQLite: DOCKGATE_DATABASE_URL, else store.postgres.url. Never logged whole (redactUrl). */
  databaseUrl?: string;
}

/** Environment variables Dockgate reads (documented in the README). */
export const ENVIRONMENT = {
  DOCKGATE_CONFIG: 'path of the configuration file (default ./dockgate.yaml when present)',
  DOCKGATE_DATA_DIR: 'data directory (overrides dataDir)',
  DOCKGATE_RETENTION_DAYS: 'retention of documents with buyer personal data, in days (overrides store.retentionDays)',
  DOCKGATE_DATABASE_URL: 'postgres://user:password@host:port/database: the store is PostgreSQL instead of SQLite (overrides store.postgres.url)',
  DOCKGATE_STORE_KEY: 'AES-256-GCM key for encryption at rest (64 hex characters or base64 of 32 bytes); name configurable',
  DOCKGATE_MAPPINGS: 'the mappings folder (overrides gateway.mappings; default ./mappings)',
  DOCKGATE_AMAZON_ENDPOINT: "http://host:port every seller's SP-API calls go to (overrides gateway.amazon.endpoint)",
  DOCKGATE_AMAZON_TIME_SCALE: "the emulator's speed-up, applied to the adapter's quota (only with an endpoint away from Amazon's hosts)",
  DOCKGATE_PARTNER_ROOT: "every partner's transport becomes a directory at <root>/<partner id> with the partner's own directory names",
  DOCKGATE_POLL_SECONDS: 'every poll (orders and files) every N seconds (overrides the schedules)',
  DOCKGATE_HTTP_PORT: 'the port the API, dashboard and /metrics listen on (dockgate start, dockgate serve; 0: a free port; overrides http.port)',
  DOCKGATE_HTTP_HOST: 'the address they listen on (default 127.0.0.1; overrides http.host)',
  DOCKGATE_API_TOKEN: 'one read-write API token (without buyer data), beside the hashed ones of api.tokens',
  DOCKGATE_LOG_LEVEL: 'the JSON log level of dockgate start / serve (default info)',
} as const;

/**
 * How many times one YAML document may expand an alias. Aliases repeat a node without copying
 * its text, so a few lines of nested aliases (a "billion laughs") expand to billions of nodes;
 * Dockgate's files need a handful, if any. (The yaml package's own default, made explicit.)
 */
export const MAX_YAML_ALIASES = 100;

/** A YAML file that cannot be used: where and why. */
export interface YamlProblem {
  line: number;
  column: number;
  message: string;
}

export type ParsedYaml = { doc: Document; counter: LineCounter; value: unknown; problem?: undefined } | { problem: YamlProblem };

/**
 * YAML as Dockgate reads its own files (configuration, mappings): syntax errors, nesting too
 * deep to read, alias bombs and aliases that contain themselves are located problems, never
 * an exception from deep inside the parser.
 */
export function parseYaml(text: string): ParsedYaml {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true });
  const at = (node: YamlNode | undefined) => {
    const pos = counter.linePos(node?.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { problem: { line: e.linePos?.[0]?.line ?? 1, column: e.linePos?.[0]?.col ?? 1, message: e.message.split('\n')[0] } };
  }
  let firstAlias: YamlNode | undefined;
  let cycle: YamlProblem | undefined;
  visit(doc, {
    Alias(_, alias, path) {
      firstAlias ??= alias;
      // An alias inside the node it names would make the value contain itself.
      if (path.some((p) => isNode(p) && !isAlias(p) && p.anchor === alias.source)) {
        cycle = { ...at(alias), message: `the alias *${alias.source} is inside the node &${alias.source} it names: the value would contain itself` };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (cycle) return { problem: cycle };
  try {
    return { doc, counter, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (e) {
    // The yaml package's resource-exhaustion check: it names no position, the first alias is where to look.
    if (!(e instanceof ReferenceError)) throw e;
    return { problem: { ...at(firstAlias), message: `aliases expand to too many nodes (more than ${MAX_YAML_ALIASES} expansions; a "billion laughs" alias bomb?): write the values out instead` } };
  }
}

function locate(doc: Document, counter: LineCounter, path: (string | number)[]): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else break;
  }
  const range = (node as YamlNode | undefined)?.range;
  if (!range) return {};
  const pos = counter.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/**
 * The load each Config object came from: commands that hand on only `loaded.config` (the X12
 * commands' partner lookup) still find the file and its folder.
 */
export const LOADED_FROM = new WeakMap<Config, LoadedConfig>();

/** Load configuration from a file (optional) and the environment. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let file = options.file ?? env.DOCKGATE_CONFIG;
  if (!file && existsSync(resolve(cwd, 'dockgate.yaml'))) file = 'dockgate.yaml';
  let raw: unknown = {};
  let base = cwd;
  if (file) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new ConfigError('configuration file not found', file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read the configuration file (${(e as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder' : ((e as NodeJS.ErrnoException).code ?? 'unreadable')})`, file);
    }
    const parsed = parseYaml(text);
    if (parsed.problem) throw new ConfigError(parsed.problem.message, file, parsed.problem.line, parsed.problem.column);
    const { doc, counter } = parsed;
    raw = parsed.value ?? {};
    base = dirname(path);
    const checked = ConfigSchema.safeParse(raw);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = locate(doc, counter, issue.path as (string | number)[]);
      throw new ConfigError(`${issue.path.join('.') || '(top level)'}: ${issue.message}`, file, where.line, where.column);
    }
    raw = checked.data;
  }
  const merged = ConfigSchema.parse(raw);
  if (env.DOCKGATE_DATA_DIR) merged.dataDir = env.DOCKGATE_DATA_DIR;
  if (env.DOCKGATE_RETENTION_DAYS) {
    const days = Number(env.DOCKGATE_RETENTION_DAYS);
    if (!Number.isInteger(days) || days <= 0) throw new ConfigError(`DOCKGATE_RETENTION_DAYS must be a positive whole number of days, got '${env.DOCKGATE_RETENTION_DAYS}'`);
    merged.store.retentionDays = days;
  }
  const dataDir = resolve(env.DOCKGATE_DATA_DIR ? cwd : base, merged.dataDir);
  const storeKey = env[merged.store.encryptionKeyEnv] || undefined;
  const databaseUrl = env.DOCKGATE_DATABASE_URL || merged.store.postgres?.url || undefined;
  if (env.DOCKGATE_DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DOCKGATE_DATABASE_URL)) throw new ConfigError('DOCKGATE_DATABASE_URL must be a postgres://user@host:port/database URL');
  const loaded: LoadedConfig = { config: merged, file, base, dataDir, storeKey, ...(databaseUrl && { databaseUrl }) };
  LOADED_FROM.set(merged, loaded);
  return loaded;
}
