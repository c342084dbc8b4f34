import { configDefaults, defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// The crash campaigns are a project of their own in the root config, run after the rest.
export default mergeConfig(
  shared,
  defineConfig({ test: { exclude: [...configDefaults.exclude, "test/crash.test.ts"] } })
)
