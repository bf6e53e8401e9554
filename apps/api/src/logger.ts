import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export interface LoggerSettings {
  readonly level: LogLevel;
  readonly format: LogFormat;
}

/**
 * LOG_LEVEL (default info) and LOG_FORMAT (`json`, or `pretty`; default pretty only when stderr is a
 * terminal). Throws a TypeError naming the setting when one is not valid.
 */
export function loggerSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  stderrIsTerminal = process.stderr.isTTY === true,
): LoggerSettings {
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new TypeError(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`,
    );
  const format = (env.LOG_FORMAT || (stderrIsTerminal ? 'pretty' : 'json')).toLowerCase();
  if (format !== 'json' && format !== 'pretty')
    throw new TypeError(`LOG_FORMAT must be json or pretty, got ${JSON.stringify(env.LOG_FORMAT)}`);
  return { level: level as LogLevel, format };
}

export interface CreateLoggerOptions extends Partial<LoggerSettings> {
  /** Where lines go (default stderr, written synchronously so no line is lost at exit). */
  readonly destination?: DestinationStream;
  /** Values that must never be written, wherever they turn up (the admin token, a database password). */
  readonly secrets?: readonly (string | undefined)[];
}

// Field names whose values are secrets, at the top level or one object down (`headers.authorization`).
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'apiKey',
  'key',
  'adminToken',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);

/**
 * The last line of defence, applied to every serialized line: API keys keep their public id only
 * (`sk_<id>_[redacted]`), bearer tokens, secret-looking query parameters and every configured secret are
 * replaced. Nothing the API logs is meant to hold a secret in the first place.
 */
export function secretScrubber(secrets: readonly (string | undefined)[] = []): (line: string) => string {
  const literals = [
    ...new Set(
      secrets
        .filter((s): s is string => typeof s === 'string' && s.length >= 4)
        .flatMap((s) => {
          // As written, JSON-escaped once (a field) and twice (JSON text inside a field), URL-encoded.
          const once = JSON.stringify(s).slice(1, -1);
          return [s, once, JSON.stringify(once).slice(1, -1), encodeURIComponent(s)];
        }),
    ),
  ].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line
      .replace(/\b(sk_[0-9a-f]{16}_)[A-Za-z0-9_-]+/g, '$1[redacted]')
      .replace(/\b(Bearer|Basic)(\s+|%20)[^\s"\\,;]+/gi, '$1$2[redacted]')
      .replace(
        /([?&](?:api[_-]?key|key|token|access_token|refresh_token|secret|client_secret|password|signature|sig)=)[^&\s"\\#]+/gi,
        '$1[redacted]',
      )
      .replace(/(\/\/[^/\s:@"]+:)[^@\s/"]+@/g, '$1[redacted]@');
    for (const literal of literals) out = out.split(literal).join('[redacted]');
    return out;
  };
}

const requireOptional = createRequire(import.meta.url);

function prettyDestination(): DestinationStream | undefined {
  try {
    // Loaded only when asked for: an optional dependency, absent from slim installs.
    const pretty = requireOptional('pino-pretty') as (options: object) => DestinationStream;
    return pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true });
  } catch {
    return undefined;
  }
}

/** The API's logger: JSON lines on stderr (or pino-pretty's lines), secrets redacted. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const pretty = !options.destination && format === 'pretty' ? prettyDestination() : undefined;
  const destination = options.destination ?? pretty ?? pino.destination({ fd: 2, sync: true });
  const scrub = secretScrubber(options.secrets);
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: scrub },
    },
    destination,
  );
  if (format === 'pretty' && !pretty && !options.destination)
    logger.warn(
      'LOG_FORMAT=pretty needs the optional package pino-pretty, which is not installed: logging JSON',
    );
  return logger;
}
