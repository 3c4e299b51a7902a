// Where a JSON pointer (RFC 6901) sits in a JSON text, so an API error about `/properties/name/type` can be shown
// at that place in the editor. A small parser that records the span of every value (and of its member name).

const escapePart = (part) => String(part).replaceAll("~", "~0").replaceAll("/", "~1");

export function spans(text) {
  const found = new Map();
  let at = 0;
  const fail = (what) => { throw new SyntaxError(`${what} at character ${at}`); };
  const space = () => { while (at < text.length && " \t\r\n".includes(text[at])) at += 1; };
  const string = () => {
    const begin = at;
    at += 1;
    while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    if (at >= text.length) fail("unterminated string");
    at += 1;
    return JSON.parse(text.slice(begin, at));
  };
  const value = (pointer, keyStart) => {
    space();
    const begin = at;
    const c = text[at];
    if (c === "{") {
      at += 1; space();
      if (text[at] === "}") at += 1;
      else for (;;) {
        space();
        if (text[at] !== '"') fail("expected a member name");
        const nameStart = at;
        const name = string();
        space();
        if (text[at] !== ":") fail("expected ':'");
        at += 1;
        value(`${pointer}/${escapePart(name)}`, nameStart);
        space();
        if (text[at] === ",") { at += 1; continue; }
        if (text[at] === "}") { at += 1; break; }
        fail("expected ',' or '}'");
      }
    } else if (c === "[") {
      at += 1; space();
      if (text[at] === "]") at += 1;
      else for (let index = 0; ; index += 1) {
        value(`${pointer}/${index}`, undefined);
        space();
        if (text[at] === ",") { at += 1; continue; }
        if (text[at] === "]") { at += 1; break; }
        fail("expected ',' or ']'");
      }
    } else if (c === '"') {
      string();
    } else {
      const match = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(at));
      if (!match) fail("unexpected character");
      at += match[0].length;
    }
    found.set(pointer, { start: keyStart ?? begin, valueStart: begin, end: at });
  };
  value("", undefined);
  space();
  if (at < text.length) fail("unexpected text after the JSON value");
  return found;
}

// Line and column (1-based) of a character offset.
export function lineColumn(text, offset) {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

// The pointer an API message names: "at /properties/x/pattern" (RFC 6901) or "(at properties/x/type)".
export function pointerIn(message) {
  const rfc = /\bat (\/[^\s,;()]*)/.exec(message);
  if (rfc) return rfc[1];
  const path = /\(at ([^)]+)\)/.exec(message);
  if (path && path[1] !== "(root)") return `/${path[1]}`;
  if (path) return "";
  return null;
}

// The span of the pointer in the text, or of its longest prefix that exists there.
export function locate(text, pointer) {
  const all = spans(text);
  let candidate = pointer;
  while (!all.has(candidate) && candidate.includes("/")) candidate = candidate.slice(0, candidate.lastIndexOf("/"));
  const span = all.get(candidate);
  return span ? { pointer: candidate, exact: candidate === pointer, ...span } : null;
}
