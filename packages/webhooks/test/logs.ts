import { Effect, Logger } from "effect"

/** Runs `effect` with its log lines captured (`LEVEL message`) instead of printed, and returns them with its result. */
export const withCapturedLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      lines.push(`${logLevel.label} ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}`)
    })
    return Effect.map(
      Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger)),
      (a) => [a, lines as ReadonlyArray<string>] as const
    )
  })
