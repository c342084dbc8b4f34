/**
 * Start on a browser that already knows the user: a browser profile restores saved cookies and
 * storage, a vault lets the agent sign in with secrets that never enter its context. Both are
 * bound through per-run overrides; the `Overrides` helpers build the dotted paths
 * (`agent.environments[kind=web].browser_profile_id`, ...) and `Overrides.merge` combines them.
 *
 * Online, set HAI_BROWSER_PROFILE_ID and HAI_VAULT_ID to real ids (without them the example only
 * prints the request it would send).
 *
 *   npx tsx examples/overrides.ts
 */
import { Overrides, Session } from "@hai-effect/core"
import { Console, Effect, Option } from "effect"
import * as Example from "./support/layer.js"

const program = Effect.gen(function*() {
  const offline = yield* Example.isOffline
  const profileId = process.env.HAI_BROWSER_PROFILE_ID ?? "0b7e6c2a-profile-example"
  const vaultId = process.env.HAI_VAULT_ID ?? "5d2a91f0-vault-example"

  const request = {
    agent: "h/web-surfer-holo3-1-35b",
    messages: "Open my dashboard and report any new alerts",
    overrides: Overrides.merge(
      Overrides.browserProfile(profileId),
      Overrides.vault(vaultId),
      Overrides.startUrl("https://dashboard.example.com")
    ),
    timeout: "10 minutes"
  } as const

  // What goes on the wire (no network needed):
  const wire = yield* Session.toWireRequest(request)
  yield* Console.log(`overrides sent:\n${JSON.stringify(wire.overrides, null, 2)}`)

  if (!offline && (process.env.HAI_BROWSER_PROFILE_ID === undefined || process.env.HAI_VAULT_ID === undefined)) {
    return yield* Console.log("set HAI_BROWSER_PROFILE_ID and HAI_VAULT_ID to run it against the hosted API")
  }
  const result = yield* Session.run(request)
  yield* Console.log(`answer (${result.status}): ${JSON.stringify(result.answer)}`)

  // Offline, the emulator shows the request as it resolved the overrides:
  yield* Example.offline((emulator) =>
    Effect.flatMap(
      emulator.session(result.id),
      (snapshot) =>
        Console.log(`emulator saw overrides for: ${
          Option.match(snapshot, {
            onNone: () => "-",
            onSome: (s) => Object.keys((s.request.overrides ?? {}) as object).join(", ")
          })
        }`)
    )
  )
})

Example.runMain(program)
