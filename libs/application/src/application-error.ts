/**
 * An error with a stable code raised outside the pure domain (key verification, secrets,
 * request limits). The HTTP layer maps it like a `DomainError`: `httpStatus` and
 * `{ error: { code, message, details } }`.
 */
export class ApplicationError extends Error {
  override readonly name = 'ApplicationError';
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
