/**
 * @since 0.1.0
 */

/**
 * The MCP server of the Computer-Use Agents API: tools, handlers, stdio and HTTP layers.
 *
 * @since 0.1.0
 */
export * as HaiMcp from "./HaiMcp.js"

/**
 * The checks guarding the MCP server's HTTP endpoint: `Host` and `Origin` allow-lists (loopback by
 * default), JSON bodies only, sessions opened by `initialize`, and an optional bearer token.
 *
 * @since 0.1.0
 */
export * as HttpSecurity from "./HttpSecurity.js"
