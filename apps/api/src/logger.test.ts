import { fileURLToPath } from 'node:url';
import { startProcess } from '@statuskit/test-support';
import { describe, expect, it } from 'vitest';
import { loggerSettingsFromEnv, secretScrubber } from './logger.js';
import { capturedLogger } from './testing/captured-logger.js';

// The built module (the API's tests run after its build, as the process tests do).
const loggerModule = fileURLToPath(new URL('../dist/logger.js', import.meta.url));
const KEY = 'sk_0123456789abcdef_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg';

describe('pretty lines', () => {
  it('come from pino-pretty, loaded only when asked for', async () => {
    const code = `const { createLogger } = await import(${JSON.stringify(loggerModule)});
      createLogger({ format: 'pretty' }).info({ tenantId: 'acme' }, 'hello ${KEY}');`;
    const p = startProcess(process.execPath, ['--input-type=module', '-e', code]);
    expect(await p.exited).toBe(0);
    expect(p.stderr).toMatch(/INFO.*hello sk_0123456789abcdef_\[redacted\]/);
    expect(p.stderr).toMatch(/tenantId: "acme"/);
    expect(p.stderr.trimStart().startsWith('{')).toBe(false);
  });
});

describe('log settings', () => {
  it('default to info and JSON, pretty only on a terminal or when asked, and name a bad setting', () => {
    expect(loggerSettingsFromEnv({}, false)).toEqual({ level: 'info', format: 'json' });
    expect(loggerSettingsFromEnv({}, true)).toEqual({ level: 'info', format: 'pretty' });
    expect(loggerSettingsFromEnv({ LOG_FORMAT: 'json' }, true).format).toBe('json');
    expect(loggerSettingsFromEnv({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'DEBUG' }, false)).toEqual({
      level: 'debug',
      format: 'pretty',
    });
    expect(() => loggerSettingsFromEnv({ LOG_LEVEL: 'loud' }, false)).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(() => loggerSettingsFromEnv({ LOG_FORMAT: 'xml' }, false)).toThrow(
      /LOG_FORMAT must be json or pretty/,
    );
  });
});

describe('log lines', () => {
  it('are one JSON object per line with the level by name, an ISO time and the fields given', () => {
    const { logger, lines } = capturedLogger({ level: 'info' });
    logger.debug('not at info');
    logger.info({ tenantId: 'acme' }, 'hello');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 'info', msg: 'hello', tenantId: 'acme', pid: process.pid });
    expect(new Date(lines()[0]?.time as string).toISOString()).toBe(lines()[0]?.time);
  });

  it('never hold a secret, wherever it turns up: messages, fields, nested headers, errors, URLs', () => {
    const admin = 'adm1n-"token"\\with-quotes';
    const { logger, raw } = capturedLogger({ secrets: [admin, 'dbpass', undefined, ''] });
    logger.info(`key ${KEY} sent`);
    logger.info({ apiKey: KEY, headers: { authorization: `Bearer ${KEY}`, cookie: 'sid=1' } }, 'fields');
    logger.info({ req: { headers: { Authorization: 'Bearer abc.def.ghi' } } }, 'deeper');
    logger.error({ err: new Error(`bad key ${KEY} from Bearer abc.def.ghi`) }, 'error');
    logger.info({ url: '/v1/x?token=tok123&limit=5&api_key=k9&signature=s1' }, 'query');
    logger.info({ admin, quoted: JSON.stringify({ admin }) }, `admin ${admin}`);
    logger.info('postgres://statuskit:dbpass@db:5432/statuskit and postgres://u:other@h/d');
    const all = raw.join('\n');
    for (const secret of [KEY.slice(20), 'abc.def.ghi', 'tok123', 'k9&', 's1"', 'dbpass', 'other@', 'sid=1'])
      expect(all, secret).not.toContain(secret);
    expect(all).not.toContain('adm1n');
    // What is left says where the secret was, and the key's public id stays, to tell keys apart.
    expect(all).toContain('sk_0123456789abcdef_[redacted]');
    expect(all).toContain('limit=5');
    expect(all).toContain('Bearer [redacted]');
  });

  it('scrubs a line the same whether the secret is written plainly, JSON-escaped or URL-encoded', () => {
    const scrub = secretScrubber(['p@ss "word"']);
    expect(scrub('a p@ss "word" b')).toBe('a [redacted] b');
    expect(scrub(JSON.stringify({ v: 'p@ss "word"' }))).toBe('{"v":"[redacted]"}');
    expect(scrub(`x=${encodeURIComponent('p@ss "word"')}`)).toBe('x=[redacted]');
  });
});
