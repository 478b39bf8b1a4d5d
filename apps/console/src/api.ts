import { createApiClient, type Client } from '@cmk/api-client';

/** An API refusal as the console shows it: the stable code, the server's message, its details. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Result<T> = { data?: T; error?: unknown; response?: Response };

/** Unwraps a generated-client call: the data, or an ApiFailure built from the error body. */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request;
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
  }
  if (result.response?.ok && result.data !== undefined) return result.data;
  const body = result.error as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  const error = body?.error;
  throw new ApiFailure(
    result.response?.status ?? 0,
    typeof error?.code === 'string' ? error.code : 'UNKNOWN',
    typeof error?.message === 'string' ? error.message : `The server answered ${result.response?.status ?? 'nothing'}.`,
    typeof error?.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {},
  );
}

/** Tokens look like `cmk.<org>.<tokenId>.<secret>`; the org tells us which routes to call. */
export function orgOfToken(token: string): string | undefined {
  return /^cmk\.([a-z0-9][a-z0-9-]{0,38})\.[a-f0-9]{32}\.[A-Za-z0-9_-]{43}$/.exec(token.trim())?.[1];
}

/** Same-origin client: the token travels only in the Authorization header. */
export function clientFor(token: string): Client {
  return createApiClient({ baseUrl: '', token: token.trim() });
}

const STORAGE_KEY = 'cmk.console.token';

/** Session storage: gone when the tab closes; cleared on sign-out. Never logged. */
export const tokenStore = {
  read: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  write: (token: string): void => sessionStorage.setItem(STORAGE_KEY, token.trim()),
  clear: (): void => sessionStorage.removeItem(STORAGE_KEY),
};
