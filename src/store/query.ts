/** What "live" means for a hold, shared by the statements that ask it. */

/** A hold that has not expired at the bound time (its owner's life is checked elsewhere). */
export const LIVE = "(holds.expiresAt IS NULL OR holds.expiresAt > ?)";
