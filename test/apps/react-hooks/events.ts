// The maps the page and the test server share (test/e2e/react-hooks.test.ts).
export interface ServerToClient {
  news: (item: { n: number }) => void
  ask: (q: string, ack: (answer: string) => void) => void
}
export interface ClientToServer {
  add: (nums: { a: number; b: number }, ack: (sum: number) => void) => void
}
