/**
 * KMS error names the emulator can answer with. The SDK's AWS JSON 1.1 protocol reads the
 * error name from `__type` first (then `code`, then the `x-amzn-errortype` header), so the body
 * carries `__type` and we mirror it in the header for tools that only look there.
 */
export const KMS_ERROR_STATUS = {
  AccessDeniedException: 400,
  AlreadyExistsException: 400,
  DisabledException: 400,
  ExpiredTokenException: 400,
  IncorrectKeyException: 400,
  InvalidCiphertextException: 400,
  KMSInternalException: 500,
  KMSInvalidStateException: 400,
  NotFoundException: 400,
  // The SDK classifies throttling by error name (ThrottlingException), not by status.
  ThrottlingException: 400,
  UnrecognizedClientException: 400,
  ValidationException: 400,
  InvalidAliasNameException: 400,
  UnknownOperationException: 400,
  SerializationException: 400,
} as const;

export type KmsErrorName = keyof typeof KMS_ERROR_STATUS;

export function isKmsErrorName(name: string): name is KmsErrorName {
  return Object.prototype.hasOwnProperty.call(KMS_ERROR_STATUS, name);
}

/** A KMS failure that the HTTP layer serialises as `{"__type": name, "message": ...}`. */
export class KmsError extends Error {
  readonly status: number;

  constructor(
    readonly errorName: KmsErrorName,
    message: string,
  ) {
    super(message);
    this.name = errorName;
    this.status = KMS_ERROR_STATUS[errorName];
  }
}

/** STS (AWS Query protocol) error codes and the HTTP statuses AWS answers them with. */
export const STS_ERROR_STATUS = {
  AccessDenied: 403,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  IDPRejectedClaim: 403,
  InvalidAction: 400,
  InvalidIdentityToken: 400,
  InternalFailure: 500,
  InvalidParameterValue: 400,
  MissingParameter: 400,
  ValidationError: 400,
} as const;

export type StsErrorCode = keyof typeof STS_ERROR_STATUS;

/** An STS failure that the HTTP layer serialises as an XML `ErrorResponse`. */
export class StsError extends Error {
  readonly status: number;

  constructor(
    readonly code: StsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = STS_ERROR_STATUS[code];
  }
}

/** Control API failures; answered as `{ error: { code, message } }` per the house style. */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
