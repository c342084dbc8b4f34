/**
 * @since 0.1.0
 */

/**
 * The MCP server of the Computer-Use Agents API: tools, handlers, stdio and HTTP layers.
 *
 * @since 0.1.0
 */
export * as HaiMcp from "./HaiMcp.js"
