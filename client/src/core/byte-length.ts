/** UTF-8 byte length of a string without allocating (batch sizing, DevTools byte counts). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // a surrogate pair is one 4-byte code point
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}
