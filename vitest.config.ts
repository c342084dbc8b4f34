import { defineConfig } from "vitest/config"
import shared from "./vitest.shared.js"

// vitest 3.2 deprecates vitest.workspace.ts; test.projects is the supported way to run every package.
// The durable-workflow crash campaigns (three runner processes on PostgreSQL, killed and taken
// over) run once every other file is done: on a two-core machine busy with the whole suite, a
// runner's shard-lock refresh misses its interval and the cluster hands shards around instead of
// running the workflows the campaign is about.
export default defineConfig({
  test: {
    projects: [
      "packages/*",
      {
        ...shared,
        test: {
          ...shared.test,
          name: "@hai-effect/workflow crash campaigns",
          root: "./packages/workflow",
          include: ["test/crash.test.ts"],
          sequence: { ...shared.test?.sequence, groupOrder: 1 }
        }
      }
    ]
  }
})
