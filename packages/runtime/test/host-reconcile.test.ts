import { describe, expect, it } from 'vitest';
import { classifyBridge } from '../src/network/host-reconcile.js';
import { formatMark, parseMark } from '../src/network/host-mark.js';

const me = { agent: 'skiff0', rootId: 'a'.repeat(32) };
const previous = formatMark({ agent: 'skiff0', rootId: 'b'.repeat(32) });
const known = new Set(['skiff0', 'skbr-0123456789']);

describe('which bridges an agent may reclaim', () => {
  it('sorts bridges by their mark: own, a previous installation, unknown, legacy, foreign', () => {
    expect(classifyBridge({ name: 'skiff0', alias: formatMark(me) }, me, known)).toBe('own');
    expect(classifyBridge({ name: 'skbr-0123456789', alias: formatMark(me) }, me, known)).toBe('own');
    expect(classifyBridge({ name: 'skbr-9999999999', alias: formatMark(me) }, me, known)).toBe('unknown');
    expect(classifyBridge({ name: 'skiff0', alias: previous }, me, known)).toBe('previous-install');
    expect(classifyBridge({ name: 'skbr-5555555555', alias: previous }, me, known)).toBe('previous-install');
    // bridges an older version made (no mark): the store's are adopted, the default one without a network is stale
    expect(classifyBridge({ name: 'skbr-0123456789', alias: '' }, me, known)).toBe('own');
    expect(classifyBridge({ name: 'skiff0', alias: '' }, me, new Set())).toBe('legacy-default');
    // another agent's (another bridge name in the mark), unmarked strangers, and other software's aliases
    expect(classifyBridge({ name: 'skbr-7777777777', alias: formatMark({ agent: 'ska123456', rootId: 'c'.repeat(32) }) }, me, known)).toBe('foreign');
    expect(classifyBridge({ name: 'skbr-7777777777', alias: '' }, me, known)).toBe('foreign');
    expect(classifyBridge({ name: 'docker0', alias: '' }, me, known)).toBe('foreign');
    expect(classifyBridge({ name: 'skiff0', alias: 'my lab bridge' }, me, known)).toBe('foreign');
  });

  it('parses only well-formed marks', () => {
    expect(parseMark(formatMark(me))).toEqual(me);
    expect(parseMark('skiff:skiff0')).toBeUndefined();
    expect(parseMark('skiff:skiff0:not-hex')).toBeUndefined();
    expect(parseMark('skiff:a b:' + 'a'.repeat(32))).toBeUndefined();
  });
});
