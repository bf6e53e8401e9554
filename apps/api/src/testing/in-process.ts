// Test helpers for the API served in process (`app.request`): one call shape for every test file that does
// not need a real HTTP server.
import { expect } from 'vitest';
import type { App } from '../app.js';

export interface CallOptions {
  /** Bearer token (tenant key or admin token). */
  readonly key?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is (content-type from `headers`). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly type: string;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  readonly json: any;
}

export type Call = (method: string, path: string, options?: CallOptions) => Promise<Answer>;

export function caller(app: App): Call {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, json };
  };
}

let seq = 0;

/** A new tenant made through the admin route; returns its id and first key. */
export async function newTenant(call: Call, adminToken: string): Promise<{ id: string; key: string }> {
  const id = `t${Date.now().toString(36)}-${++seq}`;
  const res = await call('POST', '/v1/tenants', { key: adminToken, body: { id, name: `Tenant ${id}` } });
  expect(res.status).toBe(201);
  return { id, key: res.json.apiKey.key as string };
}

/** The `at` of each field error of a problem answer. */
export const paths = (a: Answer): string[] => (a.json?.errors ?? []).map((e: { at: string }) => e.at);
