// Go text/template's parser: tokens to a tree of text, actions and if/range/with blocks.
import { TemplateError } from './errors.js';
import { lex, position, type Token } from './lexer.js';

export type Arg =
  | { type: 'field'; pos: number; names: string[] }
  | { type: 'variable'; pos: number; name: string; names: string[] }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; value: number; text: string }
  | { type: 'string'; pos: number; value: string }
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'chain'; pos: number; node: Arg; names: string[] }
  | { type: 'pipe'; pos: number; pipe: Pipe };

export interface Command {
  pos: number;
  args: Arg[];
}

export interface Pipe {
  pos: number;
  decl: string[];
  /** `$x = …` rather than `$x := …` */
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pos: number; pipe: Pipe }
  | { type: 'if' | 'with' | 'range'; pos: number; pipe: Pipe; list: Node[]; elseList?: Node[] }
  | { type: 'break' | 'continue'; pos: number };

type Ender = 'end' | 'else' | 'eof';

export function parse(src: string, funcs: ReadonlySet<string>): Node[] {
  return new Parser(src, lex(src), funcs).parseTemplate();
}

class Parser {
  private i = 0;
  private vars: string[][] = [['$']];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  parseTemplate(): Node[] {
    const { list, ender } = this.parseList();
    if (ender.kind !== 'eof') this.fail(ender.pos, `unexpected {{${ender.kind}}}`);
    return list;
  }

  private fail(pos: number, msg: string): never {
    throw new TemplateError(`template: :${position(this.src, pos).line}: ${msg}`);
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  /** the next token that is not a space */
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.kind === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }
  private expectRight(context: string): void {
    const t = this.nextNonSpace();
    if (t.kind !== 'right') this.fail(t.pos, `unexpected "${t.value}" in ${context}`);
  }

  /** nodes up to `{{end}}`, `{{else…}}` or the end of the template */
  private parseList(): { list: Node[]; ender: { kind: Ender; pos: number } } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') return { list, ender: { kind: 'eof', pos: t.pos } };
      if (t.kind === 'text') {
        list.push({ type: 'text', text: t.value });
        continue;
      }
      // t is `{{`
      const k = this.peekNonSpace();
      if (k.kind === 'keyword') {
        this.nextNonSpace();
        switch (k.value) {
          case 'end':
            this.expectRight('end');
            return { list, ender: { kind: 'end', pos: k.pos } };
          case 'else':
            // `{{else}}`, or `{{else if …}}` which the caller reads on
            if (this.peekNonSpace().kind === 'right') this.nextNonSpace();
            return { list, ender: { kind: 'else', pos: k.pos } };
          case 'if':
          case 'with':
          case 'range':
            list.push(this.parseControl(k.value, k.pos));
            continue;
          case 'break':
          case 'continue':
            if (!this.rangeDepth) this.fail(k.pos, `{{${k.value}}} outside {{range}}`);
            this.expectRight(k.value);
            list.push({ type: k.value, pos: k.pos });
            continue;
          default:
            this.fail(k.pos, `{{${k.value}}} is not supported in --format templates`);
        }
      }
      list.push({ type: 'action', pos: k.pos, pipe: this.parsePipe('command', false) });
    }
  }

  private parseControl(kind: 'if' | 'with' | 'range', pos: number): Node {
    this.vars.push([]);
    const pipe = this.parsePipe(kind, kind === 'range');
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.ender.kind === 'else') {
      const k = this.peekNonSpace();
      if (k.kind === 'keyword' && (k.value === 'if' || k.value === 'with') && kind !== 'range') {
        // `{{else if x}}…{{end}}` is `{{else}}{{if x}}…{{end}}{{end}}`: the inner block takes the {{end}}
        this.nextNonSpace();
        elseList = [this.parseControl(k.value, k.pos)];
      } else {
        const rest = this.parseList();
        if (rest.ender.kind !== 'end') this.fail(rest.ender.pos, `expected end; found ${rest.ender.kind}`);
        elseList = rest.list;
      }
    } else if (body.ender.kind !== 'end') this.fail(pos, `unexpected EOF`);
    this.vars.pop();
    return { type: kind, pos, pipe, list: body.list, elseList };
  }

  /** a pipeline up to `}}` (or `)` when nested in parentheses) */
  private parsePipe(context: string, allowTwoVars: boolean, end: 'right' | 'rightParen' = 'right'): Pipe {
    const pos = this.peekNonSpace().pos;
    const pipe: Pipe = { pos, decl: [], assign: false, cmds: [] };
    // declarations: `$x :=`, `$i, $e :=`, `$x =`
    const save = this.i;
    const v = this.nextNonSpace();
    if (v.kind === 'variable') {
      const after = this.nextNonSpace();
      if (after.kind === 'declare' || after.kind === 'assign') {
        pipe.decl.push(v.value);
        pipe.assign = after.kind === 'assign';
      } else if (after.kind === 'comma' && allowTwoVars) {
        const v2 = this.nextNonSpace();
        const d = this.nextNonSpace();
        if (v2.kind !== 'variable' || d.kind !== 'declare') this.fail(v2.pos, `too many declarations in ${context}`);
        pipe.decl.push(v.value, v2.value);
      } else this.i = save;
    } else this.i = save;
    if (pipe.assign && !this.vars.some((s) => s.includes(pipe.decl[0]!))) this.fail(v.pos, `undefined variable "${pipe.decl[0]}"`);
    for (;;) {
      const t = this.peekNonSpace();
      if (t.kind === end) {
        this.nextNonSpace();
        break;
      }
      if (t.kind === 'right' || t.kind === 'rightParen' || t.kind === 'eof') this.fail(t.pos, `unexpected "${t.value}" in ${context}`);
      pipe.cmds.push(this.parseCommand(context));
      const sep = this.peekNonSpace();
      if (sep.kind === 'pipe') this.nextNonSpace();
    }
    if (!pipe.cmds.length) this.fail(pos, `missing value for ${context}`);
    if (!pipe.assign) this.vars[this.vars.length - 1]!.push(...pipe.decl);
    return pipe;
  }

  private parseCommand(context: string): Command {
    const pos = this.peekNonSpace().pos;
    const args: Arg[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.kind === 'pipe' || t.kind === 'right' || t.kind === 'rightParen') break;
      args.push(this.parseOperand(context));
      // operands are separated by spaces: `.A.B` is one operand, `.A .B` two
      const after = this.peek();
      if (after.kind !== 'space' && after.kind !== 'pipe' && after.kind !== 'right' && after.kind !== 'rightParen')
        this.fail(after.pos, `unexpected "${after.value}" in operand`);
    }
    if (!args.length) this.fail(pos, 'missing command');
    return { pos, args };
  }

  private parseOperand(context: string): Arg {
    const t = this.nextNonSpace();
    let node: Arg;
    switch (t.kind) {
      case 'field':
        node = { type: 'field', pos: t.pos, names: [t.value] };
        break;
      case 'variable':
        if (!this.vars.some((s) => s.includes(t.value))) this.fail(t.pos, `undefined variable "${t.value}"`);
        node = { type: 'variable', pos: t.pos, name: t.value, names: [] };
        break;
      case 'dot':
        node = { type: 'dot', pos: t.pos };
        break;
      case 'nil':
        node = { type: 'nil', pos: t.pos };
        break;
      case 'bool':
        node = { type: 'bool', pos: t.pos, value: t.value === 'true' };
        break;
      case 'string':
        node = { type: 'string', pos: t.pos, value: t.value };
        break;
      case 'number': {
        const n = Number(t.value.replace(/_/g, '').replace(/^([+-]?)0([0-7]+)$/, '$10o$2'));
        if (Number.isNaN(n)) this.fail(t.pos, `bad number syntax: "${t.value}"`);
        node = { type: 'number', pos: t.pos, value: n, text: t.value };
        break;
      }
      case 'identifier':
        if (!this.funcs.has(t.value)) this.fail(t.pos, `function "${t.value}" not defined`);
        node = { type: 'identifier', pos: t.pos, name: t.value };
        break;
      case 'leftParen':
        node = { type: 'pipe', pos: t.pos, pipe: this.parsePipe('parenthesized pipeline', false, 'rightParen') };
        break;
      default:
        this.fail(t.pos, `unexpected "${t.value}" in ${context}`);
    }
    // `.A.B`, `$x.A`, `(pipe).A`: fields right after the operand, no space between
    const names: string[] = [];
    while (this.peek().kind === 'field') names.push(this.next().value);
    if (!names.length) return node;
    if (node.type === 'field' || node.type === 'variable') return { ...node, names: [...node.names, ...names] };
    if (node.type === 'dot' || node.type === 'nil' || node.type === 'bool' || node.type === 'string' || node.type === 'number')
      this.fail(t.pos, `unexpected . after term "${t.value}"`);
    return { type: 'chain', pos: t.pos, node, names };
  }
}
