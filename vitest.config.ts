import { defineConfig } from "vitest/config"

// vitest 3.2 deprecates vitest.workspace.ts; test.projects is the supported way to run every package.
export default defineConfig({
  test: {
    projects: ["packages/*"]
  }
})
