/** This package's version (package.json's; version.test.ts keeps them equal), as the inspector's instance list shows it. */
export const VERSION = '1.0.0-beta.1'
