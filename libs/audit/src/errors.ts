/** Codes the audit routes answer with, and their HTTP status (the api documents and maps them). */
export const AUDIT_ERROR_CODES = {
  DATA_KEY_NOT_FOUND: 404,
} as const;
