/**
 * A small SQL tokenizer for the few Redshift commands the local warehouse interprets itself
 * (CREATE/DROP/ALTER DATABASE … INTEGRATION). Everything else goes to PostgreSQL untouched.
 */
export interface Token {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'punct';
  /** The identifier or literal value: unquoted words lower-cased, quotes removed and unescaped. */
  value: string;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const rest = sql.slice(i);
    const space = /^(?:\s+|--[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
    const literal = /^'((?:[^']|'')*)'/.exec(rest);
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest);
    const number = /^\d+(?:\.\d+)?/.exec(rest);
    if (quoted) {
      tokens.push({ kind: 'quoted', value: (quoted[1] ?? '').replaceAll('""', '"') });
      i += quoted[0].length;
    } else if (literal) {
      tokens.push({ kind: 'string', value: (literal[1] ?? '').replaceAll("''", "'") });
      i += literal[0].length;
    } else if (word) {
      tokens.push({ kind: 'word', value: word[0].toLowerCase() });
      i += word[0].length;
    } else if (number) {
      tokens.push({ kind: 'number', value: number[0] });
      i += number[0].length;
    } else {
      tokens.push({ kind: 'punct', value: rest[0] ?? '' });
      i += 1;
    }
  }
  return tokens;
}

/** Cursor over tokens with the helpers a recursive-descent parser needs. */
export class TokenCursor {
  #at = 0;

  constructor(
    readonly tokens: readonly Token[],
    private readonly fail: (near: string) => Error,
  ) {}

  get done(): boolean {
    return this.#at >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#at + offset];
  }

  /** True (and consumes it) when the next token is the keyword `word`. */
  accept(word: string): boolean {
    const next = this.peek();
    if (next && (next.kind === 'word' || next.kind === 'punct') && next.value === word) {
      this.#at++;
      return true;
    }
    return false;
  }

  expect(word: string): void {
    if (!this.accept(word)) throw this.error();
  }

  /** An identifier: unquoted (lower-cased) or double-quoted (kept as written). */
  identifier(): string {
    const next = this.peek();
    if (!next || (next.kind !== 'word' && next.kind !== 'quoted')) throw this.error();
    this.#at++;
    return next.value;
  }

  /** An identifier or a string literal (Redshift accepts both for a source database name). */
  name(): string {
    const next = this.peek();
    if (next?.kind === 'string') {
      this.#at++;
      return next.value;
    }
    return this.identifier();
  }

  string(): string {
    const next = this.peek();
    if (next?.kind !== 'string') throw this.error();
    this.#at++;
    return next.value;
  }

  number(): number {
    const next = this.peek();
    if (next?.kind !== 'number') throw this.error();
    this.#at++;
    return Number(next.value);
  }

  skipRest(): void {
    this.#at = this.tokens.length;
  }

  end(): void {
    if (!this.done) throw this.error();
  }

  error(): Error {
    const next = this.peek();
    return this.fail(next ? (next.kind === 'quoted' ? `"${next.value}"` : next.value) : 'end of input');
  }
}
