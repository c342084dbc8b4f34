/**
 * A function the agent may call while it runs: a name, a description, a Schema for its
 * arguments (sent to the agent as JSON Schema), an optional Schema for its result, and a handler
 * that is an Effect, so it can use your services.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@hai-effect/core"
 *
 * const getWeather = Tool.make("get_weather", {
 *   description: "Current weather in a city",
 *   parameters: Schema.Struct({ city: Schema.String }),
 *   success: Schema.Struct({ celsius: Schema.Number }),
 *   handler: ({ city }) => Effect.succeed({ celsius: city === "Paris" ? 18 : 21 })
 * })
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Tool<in out Name extends string, P, PI, S, SI, E, R> {
  readonly name: Name
  readonly description: string
  readonly parameters: Schema.Schema<P, PI>
  readonly success: Schema.Schema<S, SI> | undefined
  readonly handler: (params: P) => Effect.Effect<S, E, R>
  /**
   * Whether running the handler again for the same call is safe. A call found started but not
   * finished after a restart is then run again, instead of reported `ToolInterrupted`.
   */
  readonly idempotent?: boolean | undefined
}

/**
 * Any tool.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Any {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema.All
  readonly success: Schema.Schema.All | undefined
  // `any`: a tool of any input, output and needs fits here, to be used as it is.
  readonly handler: (params: any) => Effect.Effect<any, any, any>
  readonly idempotent?: boolean | undefined
}

/**
 * Any tool, its needs unknown: the bound of code that takes tools of any type, where what a tool
 * needs is read from the tool's own type with {@link Requirements}, never assumed.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Unknown extends Any {
  readonly handler: (params: any) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * The services a tool's handler needs.
 *
 * @since 0.1.0
 * @category Models
 */
export type Requirements<T> = T extends
  { readonly handler: (params: never) => Effect.Effect<unknown, unknown, infer R> } ? R
  : never

/**
 * The declaration the agent receives, as in `overrides["agent.tools"]`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Definition {
  readonly name: string
  readonly description: string
  readonly input_schema: Record<string, unknown>
}

/**
 * Makes a tool.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@hai-effect/core"
 *
 * const lookup = Tool.make("lookup_order", {
 *   description: "Find an order by id",
 *   parameters: Schema.Struct({ orderId: Schema.String }),
 *   handler: ({ orderId }) => Effect.succeed({ orderId, status: "shipped" }),
 *   // a read: after a crash while it ran, it is run again
 *   idempotent: true
 * })
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = <const Name extends string, P, PI, E, R, S = unknown, SI = unknown>(
  name: Name,
  options: {
    readonly description: string
    readonly parameters: Schema.Schema<P, PI>
    readonly success?: Schema.Schema<S, SI> | undefined
    readonly handler: (params: P) => Effect.Effect<S, E, R>
    /**
     * Safe to run again for the same call (a read, an upsert): after a crash while it ran, it is
     * run again rather than reported `ToolInterrupted` to the agent. Default `false`.
     */
    readonly idempotent?: boolean | undefined
  }
): Tool<Name, P, PI, S, SI, E, R> => ({
  name,
  description: options.description,
  parameters: options.parameters,
  success: options.success,
  handler: options.handler,
  idempotent: options.idempotent ?? false
})

/**
 * A JSON Schema for the agent, from an Effect Schema: `$schema` dropped (the service does not
 * want it), definitions inlined where the generator left references.
 *
 * @since 0.1.0
 * @category Utils
 */
export const jsonSchema = <A, I, R>(schema: Schema.Schema<A, I, R>): Record<string, unknown> => {
  const { $schema: _, ...rest } = JSONSchema.make(schema) as unknown as Record<string, unknown>
  return rest
}

/**
 * The declaration sent to the agent.
 *
 * @since 0.1.0
 * @category Utils
 */
export const definition = (tool: Any): Definition => ({
  name: tool.name,
  description: tool.description,
  input_schema: inputSchema(tool.parameters.ast)
})

// A tool without arguments (`Schema.Struct({})`) would be the JSON Schema of `{}` (any object or
// array); the service wants an object.
const inputSchema = (ast: SchemaAST.AST): Record<string, unknown> =>
  SchemaAST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
    ? { type: "object", properties: {} }
    : jsonSchema(Schema.make(ast))
