/**
 * @since 0.1.0
 */

/**
 * The Promise client: `new HaiClient()`, `runSession`, `startSession`, resource namespaces.
 *
 * @since 0.1.0
 */
export {
  /**
   * @since 0.1.0
   */
  HaiClient,
  /**
   * @since 0.1.0
   */
  SessionHandle,
  /**
   * @since 0.1.0
   */
  tool
} from "./HaiClient.js"

/**
 * @since 0.1.0
 */
export type {
  /**
   * @since 0.1.0
   */
  ClientOptions,
  /**
   * @since 0.1.0
   */
  Promisified,
  /**
   * @since 0.1.0
   */
  RequestOptions,
  /**
   * @since 0.1.0
   */
  RunSessionRequest,
  /**
   * @since 0.1.0
   */
  SessionRequest,
  /**
   * @since 0.1.0
   */
  SessionResult,
  /**
   * @since 0.1.0
   */
  ToolSpec,
  /**
   * @since 0.1.0
   */
  WaitOptions
} from "./HaiClient.js"

/**
 * The client's own errors: `ConfigurationError` (no key, a bad base URL) and `UnexpectedError`
 * (a defect, with its `cause`).
 *
 * @since 0.1.0
 */
export {
  /**
   * @since 0.1.0
   */
  ConfigurationError,
  /**
   * @since 0.1.0
   */
  UnexpectedError
} from "./ClientError.js"

/**
 * The error classes calls reject with: `err instanceof NotFound`, `err._tag === "NotFound"`.
 *
 * @since 0.1.0
 */
export {
  AnswerValidationError,
  Conflict,
  DecodeError,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  PersistenceError,
  RateLimited,
  RequestTooLarge,
  ServerError,
  SessionFailed,
  TimeoutError,
  TransportError,
  Unauthorized,
  UnexpectedStatus,
  Unprocessable,
  WaitTimeout
} from "@hai-effect/core/HaiError"

/**
 * The union types of those errors.
 *
 * @since 0.1.0
 */
export type { HaiError, SessionError } from "@hai-effect/core/HaiError"
