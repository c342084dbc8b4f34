/**
 * @since 1.0.0
 */
export * as Emulator from "./Emulator.js"

/**
 * @since 1.0.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 1.0.0
 */
export * as Scenario from "./Scenario.js"
