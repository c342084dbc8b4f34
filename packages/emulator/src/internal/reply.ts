/** @internal */
export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Bytes instead of a JSON body. */
  readonly bytes?: { readonly content: Uint8Array; readonly contentType: string }
  /** Drop the connection instead of answering. */
  readonly drop?: boolean
}

/** @internal */
export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers === undefined ? { status, body } : { status, body, headers }

/** @internal */
export const detail = (status: number, message: string, headers?: Record<string, string>): Reply =>
  json(status, { detail: message }, headers)

/** @internal */
export const empty = (status: number): Reply => ({ status })

/** @internal */
export const notFound = (what: string): Reply => detail(404, `${what} not found`)

/** @internal */
export const bytes = (content: Uint8Array, contentType: string): Reply => ({
  status: 200,
  bytes: { content, contentType }
})

/** @internal */
export const page = <A>(items: ReadonlyArray<A>, page: number, size: number) => ({
  items: items.slice((page - 1) * size, page * size),
  total: items.length,
  page
})
