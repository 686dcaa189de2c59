/** HTTP status of each service error name (PROTOCOL.md, Errors). */
export const ERROR_STATUS: Record<string, number> = {
  ValidationException: 400,
  UnauthorizedException: 401,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ConflictException: 409,
  RetryableConflictException: 409,
  RuntimeClientError: 424,
  ThrottlingException: 429,
  InternalServerException: 500,
};

export function errorTypeHeader(name: string): string {
  return `${name}:http://internal.amazon.com/coral/com.amazonaws.bedrockagentcore/`;
}

export interface FieldProblem {
  name: string;
  message: string;
}

export type ValidationReason =
  | "CannotParse"
  | "FieldValidationFailed"
  | "IdempotentParameterMismatchException"
  | "EventInOtherSession"
  | "ResourceConflict";

/** A request the service would reject with 400; thrown by validators, answered by the router. */
export class ValidationFailure extends Error {
  constructor(
    message: string,
    readonly reason: ValidationReason,
    readonly fieldList: FieldProblem[] = [],
  ) {
    super(message);
  }

  static field(name: string, constraint: string): ValidationFailure {
    const problem = `Value at '${name}' failed to satisfy constraint: ${constraint}`;
    return new ValidationFailure(`1 validation error detected: ${problem}`, "FieldValidationFailed", [
      { name, message: problem },
    ]);
  }

  static lengthRange(name: string, length: number, min: number, max: number): ValidationFailure | undefined {
    if (length < min) return ValidationFailure.field(name, `Member must have length greater than or equal to ${min}`);
    if (length > max) return ValidationFailure.field(name, `Member must have length less than or equal to ${max}`);
    return undefined;
  }
}

/** What the service model requires of an error besides `message`: a ValidationException's `reason`. */
export function modeledFields(type: string): object | undefined {
  return /^validationexception$/i.test(type) ? { reason: "FieldValidationFailed" } : undefined;
}

export const GATEWAY_PAGES: Record<string, { status: number; html: string }> = {
  "500-html": {
    status: 500,
    html: "<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center></body></html>\n",
  },
  "502-html": {
    status: 502,
    html: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n",
  },
  "503": {
    status: 503,
    html: "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n",
  },
  "504": {
    status: 504,
    html: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>\n",
  },
};
