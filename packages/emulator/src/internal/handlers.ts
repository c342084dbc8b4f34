/**
 * A handler per operation, typed by the operation's input.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { Operations } from "./operations.js"
import type { Reply } from "./reply.js"

/** @internal */
export type OperationId = keyof Operations

/** @internal */
export type Handler<K extends OperationId> = (input: Operations[K]) => Effect.Effect<Reply>

/** Handlers for some operations. @internal */
export type Handlers<K extends OperationId> = { readonly [P in K]: Handler<P> }

/** Handlers for every operation of the spec. @internal */
export type AllHandlers = Handlers<OperationId>
