// docker's history and stats formatter contexts, for `history --format` and `stats --format`.
import type { ContainerStats, ImageHistoryEntry } from '@skiff/runtime';
import { humanBinary, humanSize } from './format.js';
import type { ListingKind } from './listing.js';
import { humanDuration } from '@skiff/runtime/parse';
import { humanSize3 } from './listing-rows.js';
import { GoStruct } from './template/index.js';

export const HISTORY_KIND: ListingKind = {
  defaultTable: 'table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}',
  headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
};

/** docker's historyContext: human sizes and times unless --human=false, CreatedBy cut at 45 */
export function historyRow(e: ImageHistoryEntry, opts: { trunc: boolean; human: boolean }, now = Date.now()): GoStruct {
  const created = e.created ? Date.parse(e.created) : undefined;
  const by = e.createdBy.replaceAll('\t', ' ');
  return new GoStruct('*formatter.historyContext', {
    ID: e.id === '<missing>' || !opts.trunc ? e.id : e.id.replace(/^sha256:/, '').slice(0, 12),
    CreatedSince: created === undefined ? 'N/A' : opts.human ? `${humanDuration(now - created)} ago` : new Date(created).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedAt: created === undefined ? 'N/A' : new Date(created).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedBy: opts.trunc && [...by].length > 45 ? `${[...by].slice(0, 44).join('')}…` : by,
    Size: opts.human ? humanSize3(e.size) : String(e.size),
    Comment: e.comment,
  });
}

export const STATS_KIND: ListingKind = {
  defaultTable: 'table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}',
  headers: {
    Container: 'CONTAINER',
    ID: 'CONTAINER ID',
    Name: 'NAME',
    CPUPerc: 'CPU %',
    MemUsage: 'MEM USAGE / LIMIT',
    MemPerc: 'MEM %',
    NetIO: 'NET I/O',
    BlockIO: 'BLOCK I/O',
    PIDs: 'PIDS',
  },
};

/** docker's statsContext for one sample */
export function statsRow(c: { id: string; name: string; asGiven: string }, s: ContainerStats): GoStruct {
  const memPct = s.memoryLimit ? (s.memoryUsage / s.memoryLimit) * 100 : 0;
  return new GoStruct('*formatter.statsContext', {
    Container: c.asGiven,
    ID: c.id.slice(0, 12),
    Name: c.name,
    CPUPerc: `${s.cpuPercent.toFixed(2)}%`,
    MemUsage: `${humanBinary(s.memoryUsage)} / ${humanBinary(s.memoryLimit)}`,
    MemPerc: `${memPct.toFixed(2)}%`,
    NetIO: `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`,
    BlockIO: `${humanSize(s.blockRead)} / ${humanSize(s.blockWrite)}`,
    PIDs: String(s.pids),
  });
}
