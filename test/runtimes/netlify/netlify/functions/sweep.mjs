// Netlify Scheduled Function: ends vanished clients' sessions while the site is quiet.
import { io } from '../../../app.mjs'

export default async () => {
  await io.sweep()
}

export const config = { schedule: '* * * * *' }
