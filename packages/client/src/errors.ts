/** A field-level error from the API, with the JSON path of the bad part. */
export interface ProblemIssue {
  readonly path: readonly (string | number)[];
  readonly at: string;
  readonly message: string;
  readonly code: string;
}

/** The API's error body (RFC 9457 problem+json). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly ProblemIssue[];
  readonly [extension: string]: unknown;
}

/** The API answered with an error status. */
export class StatuskitApiError extends Error {
  override readonly name: string = 'StatuskitApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly method: string,
    readonly path: string,
  ) {
    const lines = (problem.errors ?? []).map((e) => `\n  - ${e.at}: ${e.message}`).join('');
    super(`${method} ${path} failed with ${status}: ${problem.detail ?? problem.title}${lines}`);
  }
}

/**
 * 412: the catalog or the rules were saved by someone else since this client read them (`ifVersion` named
 * an older version). Read them again, re-apply the change, and save over `currentVersion`.
 */
export class StatuskitVersionConflictError extends StatuskitApiError {
  override readonly name = 'StatuskitVersionConflictError';
  /** The version the API holds now, when it said. */
  readonly currentVersion: number | undefined;
  constructor(problem: Problem, method: string, path: string) {
    super(412, problem, method, path);
    this.currentVersion = typeof problem.currentVersion === 'number' ? problem.currentVersion : undefined;
  }
}

/** The API could not be reached (after the retries). */
export class StatuskitNetworkError extends Error {
  override readonly name = 'StatuskitNetworkError';
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
