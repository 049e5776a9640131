// Parses the grpcurl / `buf curl` blocks of README.md and checks their shape (no cluster needed).
// A block is a ```console fence right after a line starting with READMECHECK_MARKER; in it, a line
// "$ COMMAND" starts a command (continued while a line ends with " \"), and the lines up to the
// next "$ " are its answer. The rules (each broken one is returned as a sentence):
//   - every grpcurl command line of README.md is inside such a block;
//   - every `$ grpcurl` is followed by its `buf curl` twin, the translation of the grpcurl
//     command flag for flag (twinOf below), and every `$ buf curl` follows its grpcurl twin;
//   - every `buf curl` has an answer and names the address 127.0.0.1:8080 exactly once;
//   - every rpc of service KV in kv.proto, and grpc.health.v1.Health/Check, is called.
// Pure functions; no IO except reading the two files given.
import { readFileSync } from "node:fs";

export const READMECHECK_MARKER = "<!-- readme-check:";
export const README_ADDRESS = "127.0.0.1:8080";
export const HEALTH_METHOD = "grpc.health.v1.Health/Check";
const BUF_PREFIX = ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge"];

// Splits a shell command into words: whitespace separates, '...' quotes literally, a backslash
// before a newline joins lines. Anything else shell-special is refused (returns null), so the
// words are exactly what bash would pass.
export function shellWords(text) {
  const words = [];
  let word = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && text[i + 1] === "\n") { i++; continue; }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (/["\\$`;&|<>(){}[\]*?!#~]/.test(c)) {
      return null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

// The `buf curl` words equivalent to grpcurl `words`, or null when the grpcurl form is not one
// of: grpcurl -plaintext ADDR list | grpcurl -plaintext [-d BODY] ADDR SERVICE/METHOD.
export function twinOf(words) {
  const [tool, plaintext, ...rest] = words;
  if (tool !== "grpcurl" || plaintext !== "-plaintext") return null;
  let body = null;
  if (rest[0] === "-d") {
    if (rest.length < 2) return null;
    body = rest[1];
    rest.splice(0, 2);
  }
  if (rest.length !== 2) return null;
  const [address, what] = rest;
  if (what === "list") {
    return body === null ? [...BUF_PREFIX, "--list-services", `http://${address}`] : null;
  }
  if (!/^[\w.]+\/\w+$/.test(what)) return null;
  return [...BUF_PREFIX, ...(body === null ? [] : ["-d", body]), `http://${address}/${what}`];
}

// The method a `buf curl` command calls ("gryadka.v1.KV/Get"), or null (a listing).
export function methodOf(words) {
  const url = words[words.length - 1];
  const match = /^http:\/\/[^/]+\/([\w.]+\/\w+)$/.exec(url);
  return match ? match[1] : null;
}

// Every command of every marked block: {tool, text (the command as typed, without "$ "),
// words, answer (lines), line (1-based, of the "$ ")}; errors for malformed blocks.
function parseBlocks(lines, errors) {
  const commands = [];
  const inBlock = new Set();
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(READMECHECK_MARKER)) continue;
    if (lines[i + 1] !== "```console") {
      errors.push(`README.md:${i + 1}: the readme-check marker is not followed by a \`\`\`console fence`);
      continue;
    }
    let j = i + 2;
    let current = null;
    for (; j < lines.length && lines[j] !== "```"; j++) {
      inBlock.add(j);
      if (lines[j].startsWith("$ ")) {
        let text = lines[j].slice(2);
        const line = j + 1;
        while (text.endsWith(" \\") && j + 1 < lines.length && lines[j + 1] !== "```") {
          j++;
          inBlock.add(j);
          text += `\n${lines[j]}`;
        }
        const words = shellWords(text);
        if (words === null) errors.push(`README.md:${line}: quoting this test does not parse: ${text}`);
        current = { tool: words?.[0], text, words: words ?? [], answer: [], line };
        commands.push(current);
      } else if (current) {
        current.answer.push(lines[j]);
      } else {
        errors.push(`README.md:${j + 1}: a readme-check block must start with a "$ " command`);
      }
    }
    if (j >= lines.length) errors.push(`README.md:${i + 1}: the readme-check block is not closed`);
  }
  return { commands, inBlock };
}

function checkTwins(commands, errors) {
  commands.forEach((c, k) => {
    const where = `README.md:${c.line}`;
    if (c.tool === "grpcurl") {
      const want = twinOf(c.words);
      const next = commands[k + 1];
      if (want === null) errors.push(`${where}: grpcurl form not understood: ${c.text}`);
      if (c.answer.length > 0) errors.push(`${where}: the answer belongs after the buf curl twin, not after grpcurl`);
      if (!next || next.tool !== "buf") {
        errors.push(`${where}: grpcurl command has no buf curl twin on the next line: ${c.text}`);
      } else if (want && JSON.stringify(next.words) !== JSON.stringify(want)) {
        errors.push(`README.md:${next.line}: the buf curl twin of line ${c.line} should be\n  ` +
          `${want.join(" ")}\nbut is\n  ${next.words.join(" ")}`);
      }
    } else if (c.tool === "buf") {
      if (commands[k - 1]?.tool !== "grpcurl") errors.push(`${where}: buf curl command has no grpcurl twin before it`);
      if (c.answer.join("").trim() === "") errors.push(`${where}: buf curl command has no answer after it`);
      if (c.text.split(README_ADDRESS).length !== 2) {
        errors.push(`${where}: buf curl command must name ${README_ADDRESS} exactly once (the test rewrites it)`);
      }
    } else {
      errors.push(`${where}: only grpcurl and buf curl commands belong in a readme-check block: ${c.text}`);
    }
  });
}

// The methods README must call: every rpc of `service KV` in kv.proto, and the health check.
export function requiredMethods(protoText) {
  const service = /service KV \{([^}]*)\}/.exec(protoText);
  if (!service) return null;
  const rpcs = [...service[1].matchAll(/^\s*rpc (\w+)\(/gm)].map((m) => `gryadka.v1.KV/${m[1]}`);
  return [...rpcs, HEALTH_METHOD];
}

// Returns {commands: the buf curl commands with their answers, errors: sentences}.
export function loadReadme(readmePath, protoPath) {
  const errors = [];
  const lines = readFileSync(readmePath, "utf8").split("\n");
  const { commands, inBlock } = parseBlocks(lines, errors);
  if (commands.length === 0) errors.push(`README.md: no readme-check block (a line starting with ${READMECHECK_MARKER})`);
  lines.forEach((l, i) => {
    if (/^\s*(\$\s+)?grpcurl\s/.test(l) && !inBlock.has(i)) {
      errors.push(`README.md:${i + 1}: grpcurl command outside a readme-check block (no buf curl twin checked): ${l}`);
    }
  });
  checkTwins(commands, errors);
  const bufCommands = commands.filter((c) => c.tool === "buf");
  const called = new Set(bufCommands.map((c) => methodOf(c.words)));
  const required = requiredMethods(readFileSync(protoPath, "utf8"));
  if (required === null || required.length < 2) errors.push(`${protoPath}: no rpc found in service KV`);
  for (const m of required ?? []) {
    if (!called.has(m)) errors.push(`README.md: no buf curl command calls ${m}`);
  }
  return { commands: bufCommands, errors };
}
