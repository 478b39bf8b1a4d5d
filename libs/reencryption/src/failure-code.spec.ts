import { ApplicationError } from '@cmk/application';
import { DomainError } from '@cmk/domain';
import { ConcurrencyError } from '@cmk/eventstore';
import { KMS_ERROR_CODES, type KmsErrorCode } from '@cmk/key-providers';
import { failureCode } from './rewrap-batch';

// What the key providers throw (their `kmsError`, not exported): the code and its HTTP status.
const kmsError = (code: KmsErrorCode, message: string) => new ApplicationError(code, KMS_ERROR_CODES[code], message);

/**
 * The split that decides whether a data key is recorded as failed (stays under its old key,
 * counted, the run fails visibly) or the batch is retried with backoff.
 */
describe('failureCode: permanent refusals vs transient failures', () => {
  it.each(['KMS_ACCESS_DENIED', 'KMS_KEY_DISABLED', 'KMS_KEY_PENDING_DELETION', 'KMS_KEY_NOT_FOUND', 'KMS_INVALID_CIPHERTEXT', 'KMS_ROLE_NOT_ASSUMABLE'] as const)(
    'records %s against the key',
    (code) => {
      expect(failureCode(kmsError(code, 'refused'))).toBe(code);
    },
  );

  it.each(['KMS_THROTTLED', 'KMS_UNAVAILABLE'] as const)('retries the batch on %s', (code) => {
    expect(failureCode(kmsError(code, 'try later'))).toBeUndefined();
  });

  it('retries a lost race on the data key stream (never a failure)', () => {
    expect(failureCode(new ConcurrencyError('datakey-dk1', '3', '4'))).toBeUndefined();
  });

  it('records a domain refusal with its own code', () => {
    expect(failureCode(new DomainError('DATA_KEY_NOT_FOUND', 'gone'))).toBe('DATA_KEY_NOT_FOUND');
  });

  it('keeps another application error\'s code', () => {
    expect(failureCode(new ApplicationError('SOMETHING_ELSE', 422, 'no'))).toBe('SOMETHING_ELSE');
  });

  it('treats plain errors (Redis, store I/O, sockets) as transient', () => {
    expect(failureCode(new Error('ECONNRESET'))).toBeUndefined();
    expect(failureCode('a string')).toBeUndefined();
  });
});
