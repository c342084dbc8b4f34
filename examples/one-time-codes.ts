/**
 * One-time codes: when a sign-in sends a code by SMS or mail, the agent calls the `request_otp`
 * tool (the official SDKs' name and arguments) and gets the code, never the message.
 *
 * Here the codes come from an SMS inbox that your gateway fills (simulated: a queue), read with
 * `Otp.extract`. With `HAI_OTP_IMAP_HOST`, `HAI_OTP_IMAP_USERNAME` and `HAI_OTP_IMAP_PASSWORD`
 * set, they come from that mailbox instead (`ImapOtp.tool`).
 *
 *   npx tsx examples/one-time-codes.ts
 */
import { Otp, Session, Toolkit } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { ImapOtp } from "@hai-effect/platform-node"
import { Config, Console, Effect, Option, Queue } from "effect"
import { describeEvent } from "./support/describe.js"
import * as Example from "./support/layer.js"

const agent = "h/web-surfer-holo3-1-35b"
const task = "Sign in to acme.example as +33 6 12 34 56 78 and tell me the balance shown."

/** The tool fed by an SMS inbox: each call takes the next SMS and reads the code out of it. */
const fromSms = (inbox: Queue.Dequeue<string>) =>
  Otp.tool((request) =>
    Queue.take(inbox).pipe(
      Effect.timeoutFail({
        duration: "1 minute",
        onTimeout: () => new Otp.NoCode({ kind: request.kind, reason: "no SMS arrived within a minute" })
      }),
      Effect.flatMap((sms) =>
        Option.match(Otp.extract(sms, request.kind), {
          onNone: () => Effect.fail(new Otp.NoCode({ kind: request.kind, reason: "the SMS holds none" })),
          onSome: Effect.succeed
        })
      )
    )
  )

const program = Effect.gen(function*() {
  // Offline, script the agent: it reaches the code prompt, asks for the code, types it, answers.
  yield* Example.offline((emulator) =>
    emulator.registerScenario(agent, [
      Scenario.think("tick", "The site texted a sign-in code to +33 6 12 34 56 78"),
      Scenario.callTool("request_otp", {
        prompt: "Enter the 6-digit code sent by SMS to +33 6 •• •• •• 78",
        kind: "code",
        source: "sms"
      }),
      Scenario.think("tick", "Typed the code; the dashboard shows the balance"),
      Scenario.answer("Signed in. The balance is €1,204.50.")
    ])
  )

  const imap = yield* Config.option(Config.nonEmptyString("HAI_OTP_IMAP_HOST"))
  const run = <T extends Toolkit.Any>(tools: T) => Session.run({ agent, messages: task, tools, timeout: "10 minutes" })

  const result = Option.isSome(imap)
    ? yield* Console.log(`codes from the mailbox on ${imap.value}`).pipe(
      Effect.andThen(run(Toolkit.make(ImapOtp.tool))),
      Effect.provide(ImapOtp.layerConfig())
    )
    : yield* Effect.gen(function*() {
      const inbox = yield* Queue.unbounded<string>()
      // The SMS gateway: the site's text arrives a moment after the sign-in page asked for it.
      yield* Queue.offer(inbox, "Acme: 482 913 is your sign-in code. It expires at 14:30. Never share it.").pipe(
        Effect.delay("200 millis"),
        Effect.forkScoped
      )
      return yield* run(Toolkit.make(fromSms(inbox)))
    })

  for (const item of result.events) {
    const line = describeEvent(item)
    if (/tool|error/.test(line)) yield* Console.log(line)
  }
  yield* Console.log(`answer (${result.status}): ${JSON.stringify(result.answer)}`)
})

Example.runMain(program)
