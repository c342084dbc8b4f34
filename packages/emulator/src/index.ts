/**
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 0.1.0
 */
export * as Recording from "./Recording.js"

/**
 * @since 0.1.0
 */
export * as Scenario from "./Scenario.js"

/**
 * @since 0.1.0
 */
export * as Recorder from "./Recorder.js"
