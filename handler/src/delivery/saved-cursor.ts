/**
 * Marks a stream adds to the cursor it saves for the inspector (Logs.saveCursor). Log keys are
 * `d` and `r:<room>`, so these names cannot clash with one.
 */
/** ms epoch of the save: the stream was open then */
export const SAVED_AT = '@at'
/** bytes written to the stream that its client had not taken yet (it stopped reading) */
export const UNREAD_BYTES = '@unread'
/** the SSE stream closed (its client went away, or it was replaced) */
export const CLOSED = '@closed'
/** prefix of a mark naming the instance whose stream saved it (`@in:<instance id>`), when the observer names one */
export const INSTANCE_MARK = '@in:'
