// Go's text/tabwriter as docker's tables use it (minwidth 10, tabwidth 1, padding 3, spaces).

interface Options {
  minwidth: number;
  padding: number;
}

const DOCKER: Options = { minwidth: 10, padding: 3 };
const width = (s: string) => [...s].length;

/**
 * Aligns tab-terminated cells into columns. As in Go, a column is aligned over a block of
 * consecutive lines that all have a cell in it, and the text after a line's last tab is
 * not part of any column.
 */
export function tabwrite(text: string, opts: Options = DOCKER): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const last = lines.pop()!; // after the final newline: nothing, or an unterminated line
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c)).join(''));
    }
  };

  // Go's Writer.format: recursive over columns, one block of lines at a time
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(start, i);
      start = i;
      let w = opts.minwidth;
      for (; i < line1 && column < lines[i]!.length - 1; i++) w = Math.max(w, width(lines[i]![column]!) + opts.padding);
      widths.push(w);
      format(start, i);
      widths.pop();
      start = i;
      i--; // the loop's i++ would skip the line that ended the block
    }
    writeLines(start, line1);
  };
  format(0, lines.length);
  return out.map((l) => `${l}\n`).join('') + last.join('\t');
}
