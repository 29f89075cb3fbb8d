/** Record IDs: 25 random lowercase base36 characters (about 129 bits). */
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(25));
  let id = "";
  // 252 is the largest multiple of 36 below 256: reject above it to stay uniform.
  for (let i = 0; id.length < 25; i++) {
    if (i === bytes.length) {
      crypto.getRandomValues(bytes);
      i = 0;
    }
    if (bytes[i]! < 252) id += alphabet[bytes[i]! % 36];
  }
  return id;
}

export const isId = (s: string) => /^[0-9a-z]{25}$/.test(s);
