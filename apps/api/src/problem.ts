import type { ValidationIssue } from '@statuskit/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An RFC 9457 problem document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** The request's id (`X-Request-Id`), to find it in the log. */
  readonly instance?: string;
  /** Field-level errors, with the JSON path of each bad part. */
  readonly errors?: readonly ValidationIssue[];
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem types are stable, documented slugs (`https://statuskit.dev/problems/<slug>`). */
export function problem(
  status: number,
  slug: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    type: `https://statuskit.dev/problems/${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    ...(detail !== undefined ? { detail } : {}),
    ...extra,
  };
}

/** Sends a problem; its `instance` is the request's id, as logged and sent in `X-Request-Id`. */
export function sendProblem(c: Context, p: Problem, headers: Record<string, string> = {}): Response {
  const requestId: unknown = c.get('requestId');
  const body = typeof requestId === 'string' && p.instance === undefined ? { ...p, instance: requestId } : p;
  return c.body(JSON.stringify(body), p.status as ContentfulStatusCode, {
    ...headers,
    'Content-Type': 'application/problem+json',
  });
}

/** A request rejected before or during handling; rendered as problem+json by the app's error handler. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
  }
}

export const fail = (
  status: number,
  slug: string,
  detail?: string,
  extra?: Record<string, unknown>,
  headers?: Record<string, string>,
): never => {
  throw new ProblemError(problem(status, slug, detail, extra), headers);
};
