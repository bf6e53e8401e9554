import type { z } from '@hono/zod-openapi';
import { ProblemSchema } from '../schemas.js';

export const security = [{ apiKey: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const problemResponse = (description: string) => ({
  content: { 'application/problem+json': { schema: ProblemSchema } },
  description,
});

/** The error responses every authenticated route can give. */
export const errors = {
  400: problemResponse('The request is not valid; `errors` lists each bad field with its path.'),
  401: problemResponse('Missing or invalid API key.'),
  404: problemResponse('Not found (or not visible to this tenant).'),
  409: problemResponse('The resource is not in a state that allows this yet (a health run still going).'),
  429: {
    ...problemResponse(
      'Too many failed authentications from this address or for this key; `Retry-After` says when to try again.',
    ),
    headers: { 'Retry-After': { schema: { type: 'integer' as const }, description: 'Seconds to wait.' } },
  },
  503: problemResponse(
    'The database work took longer than the statement timeout (STATUSKIT_STATEMENT_TIMEOUT) and was stopped; `timeoutSeconds` says how long that is. Ask for less (a shorter range).',
  ),
} as const;

export const preconditionFailed = problemResponse(
  'If-Match names another version: someone saved since it was read (`currentVersion`, and its ETag).',
);

export const body = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: {
    content: { 'application/json': { schema } },
    required: true,
    ...(description ? { description } : {}),
  },
});
