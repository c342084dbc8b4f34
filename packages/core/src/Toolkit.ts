/**
 * A set of tools lent to an agent for one session.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Session, Tool, Toolkit } from "@hai-effect/core"
 *
 * const add = Tool.make("add", {
 *   description: "Add two numbers",
 *   parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
 *   handler: ({ a, b }) => Effect.succeed(a + b)
 * })
 *
 * Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "What is 2+3? Use the tool.", tools: Toolkit.make(add) })
 *
 * @since 0.1.0
 */
import type * as Tool from "./Tool.js"
import { definition as definitionOf } from "./Tool.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Toolkit<Tools extends Tool.Any> {
  readonly tools: ReadonlyMap<string, Tools>
  readonly definitions: ReadonlyArray<Tool.Definition>
}

/**
 * Any toolkit: the bound of the functions that take one, where what its tools need is read from
 * its own type with {@link Requirements}.
 *
 * @since 0.1.0
 * @category Models
 */
export type Any = Toolkit<Tool.Unknown>

/**
 * The services the handlers of a toolkit need.
 *
 * @since 0.1.0
 * @category Models
 */
export type Requirements<T> = T extends Toolkit<infer Tools extends Tool.Unknown> ? Tool.Requirements<Tools> : never

/**
 * Makes a toolkit; tool names must be unique.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = <const Tools extends ReadonlyArray<Tool.Any>>(...tools: Tools): Toolkit<Tools[number]> => {
  const map = new Map<string, Tools[number]>()
  for (const tool of tools) {
    if (map.has(tool.name)) throw new Error(`Toolkit.make: two tools are named "${tool.name}"`)
    map.set(tool.name, tool)
  }
  return { tools: map, definitions: tools.map(definitionOf) }
}

/**
 * The empty toolkit.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const empty: Toolkit<never> = { tools: new Map<string, never>(), definitions: [] }
