/** The emulated organization and user. @internal */
export const ORG = "00000000-0000-4000-8000-00000000e0e0"
/** @internal */
export const USER = "00000000-0000-4000-8000-00000000e0e1"
