/**
 * Whether the code now running runs with the tracer off: its spans would be no-ops, so hot paths
 * can skip building them.
 *
 * @since 0.1.0
 * @internal
 */
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"

/** True when called on a fiber whose tracer is off; false outside any fiber. */
export const tracerOff = (): boolean => {
  const fiber = Fiber.getCurrentFiber()
  return Option.isSome(fiber) && !fiber.value.getFiberRef(FiberRef.currentTracerEnabled)
}
