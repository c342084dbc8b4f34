/**
 * `hai doctor`: are credentials found and private, does the base URL answer as the Agents API
 * with them, and is the local clock close to the server's. What it does is in
 * `../handlers/doctor.ts`, loaded when it runs.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"

/**
 * `hai doctor`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make(
  "doctor",
  {},
  () => Effect.flatMap(Effect.promise(() => import("../handlers/doctor.js")), (h) => h.doctor)
).pipe(Command.withDescription("Check the credentials, that the base URL is the Agents API, and the clock"))
