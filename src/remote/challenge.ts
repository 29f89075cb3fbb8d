/**
 * `WWW-Authenticate` read as RFC 7235 challenges: a scheme, then `key=value` or
 * `key="quoted value"` parameters, several challenges possibly in one header. Registries
 * answer `Bearer realm=…,service=…,scope=…` (distribution-spec's token flow) or `Basic`.
 *
 *     parseChallenges('Bearer realm="https://auth.example/token",service="reg"')
 *     // [{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg" } }]
 */

export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercase, values as sent. */
  params: { [name: string]: string };
}

export function parseChallenges(header: string | null): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let i = 0;
  const skip = (chars: string) => {
    while (i < header.length && chars.includes(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < header.length && !" \t,=".includes(header[i]!)) i++;
    return header.slice(start, i);
  };
  const value = () => {
    if (header[i] !== '"') {
      const start = i;
      while (i < header.length && !" \t,".includes(header[i]!)) i++;
      return header.slice(start, i);
    }
    let text = "";
    for (i++; i < header.length && header[i] !== '"'; i++) text += header[i] === "\\" ? header[++i] ?? "" : header[i];
    i++;
    return text;
  };
  while (i < header.length) {
    skip(" \t,");
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    skip(" \t");
    if (header[i] === "=" && out.length) {
      i++;
      skip(" \t");
      out[out.length - 1]!.params[word.toLowerCase()] = value();
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}
