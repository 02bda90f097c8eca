/**
 * Errors are values of one kind: handlers throw an ApiError and `toResponse` turns it into
 * GitLab's body (lib/api/helpers.rb). Two families exist in GitLab and we keep both:
 * `{"message": ...}` from the API helpers, `{"error": ...}` from Grape parameter validation.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : String(body.error ?? status))
  }

  static unauthorized(): ApiError {
    return new ApiError(401, { message: '401 Unauthorized' })
  }

  /** `forbidden!` with an optional reason: `403 Forbidden - <reason>`. */
  static forbidden(reason?: string): ApiError {
    return new ApiError(403, { message: reason ? `403 Forbidden - ${reason}` : '403 Forbidden' })
  }

  /** `not_found!('Project')` gives `404 Project Not Found`; without a resource `404 Not found`. */
  static notFound(resource?: string): ApiError {
    return new ApiError(404, { message: resource ? `404 ${resource} Not Found` : '404 Not found' })
  }

  static badRequest(reason: string): ApiError {
    return new ApiError(400, { message: `400 Bad request - ${reason}` })
  }

  /** Grape validation failure: `{"error": "<param> <message>"}`. */
  static invalid(param: string, message: string): ApiError {
    return new ApiError(400, { error: `${param} ${message}` })
  }

  static validation(errors: string[]): ApiError {
    return new ApiError(400, { error: errors.join(', ') })
  }

  /** Grape `error!(text, code)`: `{"error": text}`. */
  static plain(status: number, text: string): ApiError {
    return new ApiError(status, { error: text })
  }

  /** `render_api_error!(message, status)`: the message as given, no status prefix. */
  static withMessage(status: number, message: string): ApiError {
    return new ApiError(status, { message })
  }

  static conflict(message: string): ApiError {
    return new ApiError(409, { message })
  }

  static tooLarge(): ApiError {
    return new ApiError(413, { message: '413 Request Entity Too Large' })
  }

  /** ActiveRecord validation errors as the API renders them: `{"message": {field: [..]}}`. */
  static fieldErrors(errors: Record<string, string[]>, status = 400): ApiError {
    return new ApiError(status, { message: errors })
  }

  /** Rack::OAuth2's answer to a personal access token without a scope that opens the request. */
  static insufficientScope(scope: string): ApiError {
    return new ApiError(403, {
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope,
    })
  }

  /** Failed-authentication throttling (Rack::Attack), in the API's body style. */
  static throttled(retryAfterSeconds: number): ApiError {
    return new ApiError(429, { message: 'Retry later' }, { 'Retry-After': String(retryAfterSeconds) })
  }

  static internal(): ApiError {
    return new ApiError(500, { message: '500 Internal Server Error' })
  }

  /** The same error with more response headers (`Job-Status`, `Range`). */
  withHeaders(headers: Record<string, string>): ApiError {
    return new ApiError(this.status, this.body, { ...this.headers, ...headers })
  }

}
