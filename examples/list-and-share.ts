/**
 * Listing and sharing: `hai.sessions.list` reads one page; `hai.sessions.listAll` is a Stream
 * that fetches pages lazily as it is pulled (take 10 and only the pages needed are read).
 * `share` makes a public replay link; `unshare` revokes it.
 *
 *   npx tsx examples/list-and-share.ts
 */
import { HaiAgents, Session } from "@hai-effect/core"
import { Console, Effect, Stream } from "effect"
import * as Example from "./support/layer.js"

const program = Effect.gen(function*() {
  const hai = yield* HaiAgents.HaiAgents

  // Offline there is nothing to list yet: run a few sessions first.
  if (yield* Example.isOffline) {
    yield* Effect.forEach(
      ["Paris", "Lyon", "Nice"],
      (city) => Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: `Weather in ${city}?` }),
      { concurrency: 3, discard: true }
    )
  }

  const page = yield* hai.sessions.list({ size: 2 })
  yield* Console.log(`first page: ${page.items.length} of ${page.total ?? "?"} sessions`)

  yield* hai.sessions.listAll({ size: 2 }).pipe(
    Stream.take(10),
    Stream.runForEach((summary) => Console.log(`  ${summary.id}  ${summary.status}`))
  )

  const latest = page.items[0]
  if (latest === undefined) return yield* Console.log("no sessions to share")
  const link = yield* hai.sessions.share(latest.id)
  yield* Console.log(`share link: ${link.share_url}`)
  yield* hai.sessions.unshare(latest.id)
  yield* Console.log("link revoked")
})

Example.runMain(program)
