// The Bot API error envelope and the real server's error texts (docs/bot-api-semantics.md §1.3, §3, §5.1).

/** Exact 409 texts of the real server. */
export const CONFLICT_OTHER_GET_UPDATES =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
export const CONFLICT_WEBHOOK_ACTIVE =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
export const CONFLICT_BY_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';

/** A Bot API refusal: HTTP status = `error_code`; `retryAfter` adds `parameters.retry_after` and `Retry-After`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/** 400 `Bad Request: <msg>`. */
export function badRequest(msg: string): ApiError {
  return new ApiError(400, `Bad Request: ${msg}`);
}

/** 429 `Too Many Requests: retry after N` with `parameters.retry_after`. */
export function tooManyRequests(retryAfterS: number): ApiError {
  return new ApiError(429, `Too Many Requests: retry after ${retryAfterS}`, { retry_after: retryAfterS });
}

/** The default description for a status, as the real server (or its nginx front) words it. */
export function defaultDescription(status: number, retryAfterS?: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden: bot was blocked by the user';
    case 404:
      return 'Not Found';
    case 409:
      return CONFLICT_OTHER_GET_UPDATES;
    case 429:
      return `Too Many Requests: retry after ${retryAfterS ?? 5}`;
    case 500:
      return 'Internal Server Error';
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Unavailable';
    case 504:
      return 'Gateway Timeout';
    default:
      return status >= 500 ? 'Internal Server Error' : 'Bad Request';
  }
}

/** The JSON body of an error, keys in the real order: ok, error_code, description, parameters. */
export function errorBody(e: ApiError): string {
  const base = `{"ok":false,"error_code":${e.code},"description":${JSON.stringify(e.description)}`;
  return e.parameters ? `${base},"parameters":${JSON.stringify(e.parameters)}}` : `${base}}`;
}

/** The nginx HTML page some Telegram outages returned instead of JSON. */
export const NGINX_502_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n';
