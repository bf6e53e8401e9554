import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Keys look like `sk_<16 hex id>_<43 chars secret>`; only the id prefix is ever shown again. */
const KEY_PATTERN = /^sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyInfo {
  readonly id: string;
  /** `sk_<id>`: enough to recognise a key, useless to use it. */
  readonly prefix: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface NewApiKey extends ApiKeyInfo {
  /** The full key. Shown once; only its hash is stored. */
  readonly key: string;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function createApiKey(db: Kysely<Database>, tenantId: string, name = ''): Promise<NewApiKey> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('api_keys')
    .values({
      tenant_id: tenantId,
      key_id: id,
      name,
      secret_hash: hash(secret),
      revoked_at: null,
      last_used_at: null,
    })
    .returning(['created_at'])
    .executeTakeFirstOrThrow();
  return {
    id,
    prefix: `sk_${id}`,
    name,
    createdAt: row.created_at,
    revokedAt: null,
    lastUsedAt: null,
    key: `sk_${id}_${secret}`,
  };
}

export async function listApiKeys(db: Kysely<Database>, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.key_id,
    prefix: `sk_${r.key_id}`,
    name: r.name,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** Revokes a key of the tenant; false when the tenant has no such key. */
export async function revokeApiKey(db: Kysely<Database>, tenantId: string, keyId: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('key_id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return true;
  const exists = await db
    .selectFrom('api_keys')
    .select('key_id')
    .where('tenant_id', '=', tenantId)
    .where('key_id', '=', keyId)
    .executeTakeFirst();
  return exists !== undefined;
}

const lastTouched = new Map<string, number>();

/** The tenant a key belongs to, or undefined for a malformed, unknown or revoked key. Constant-time compare. */
export async function verifyApiKey(
  db: Kysely<Database>,
  key: string,
): Promise<{ tenantId: string; keyId: string } | undefined> {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const [, id, secret] = m as unknown as [string, string, string];
  const row = await db
    .selectFrom('api_keys')
    .select(['tenant_id', 'secret_hash', 'revoked_at'])
    .where('key_id', '=', id)
    .executeTakeFirst();
  const expected = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(hash(secret), 'hex');
  if (!row || row.revoked_at !== null || !timingSafeEqual(expected, actual)) return undefined;
  // Record use at most once a minute per key, to keep writes off the hot path.
  const now = Date.now();
  if ((lastTouched.get(id) ?? 0) < now - 60_000) {
    lastTouched.set(id, now);
    await db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now) })
      .where('tenant_id', '=', row.tenant_id)
      .where('key_id', '=', id)
      .execute();
  }
  return { tenantId: row.tenant_id, keyId: id };
}
