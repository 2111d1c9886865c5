// docker's formatters for `events --format`, `info --format` and `system df --format`.
import type { RuntimeEvent, SystemInfo } from '@skiff/runtime';
import { dockerEvent } from '../docker-json/event.js';
import { dockerInfo } from '../docker-json/info.js';
import { goHumanSize } from './listing-rows.js';
import type { ListingKind } from './listing.js';
import { compileTemplate, GoStruct, type Template, TemplateError } from './template/index.js';

/** events.Message as a Go struct: its field names (`.Status`, `.TimeNano`), its JSON tags for `{{json .}}` */
export function eventStruct(e: RuntimeEvent, typeName = 'events.Message'): GoStruct {
  const m = dockerEvent(e);
  // a Go map marshals with its keys sorted
  m.Actor.Attributes = Object.fromEntries(Object.entries(m.Actor.Attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return new GoStruct(
    typeName,
    {
      Status: m.status ?? '',
      ID: m.id ?? '',
      From: m.from ?? '',
      Type: m.Type,
      Action: m.Action,
      Actor: new GoStruct('events.Actor', { ID: m.Actor.ID, Attributes: m.Actor.Attributes }, { ...m.Actor }),
      Scope: m.scope,
      Time: m.time,
      TimeNano: m.timeNano,
    },
    m as unknown as Record<string, unknown>,
  );
}

/**
 * `docker events --format`: `json` is `{{json .}}`; the template is tried on an empty message
 * first, so a bad field fails before any event arrives (exit 64, "Error parsing format: …").
 */
export function eventTemplate(format: string): Template {
  const source = format.trim() === 'json' ? '{{json .}}' : format;
  try {
    const tmpl = compileTemplate(source);
    tmpl.execute(eventStruct({ type: 'container', action: '', id: '', attributes: {}, time: 0 } as RuntimeEvent, '*events.Message'));
    return tmpl;
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`Error parsing format: ${e.message}`, 64);
    throw e;
  }
}

/**
 * `docker info --format`: the server's fields as dockerd's /info answers (exit 64 on a template
 * that does not parse); a failing template still ends its line, as docker's Fprintln after Execute.
 */
export function renderInfo(format: string, info: SystemInfo, write: (text: string) => void): void {
  const source = format.trim() === 'json' ? '{{json .}}' : format;
  let tmpl: Template;
  try {
    tmpl = compileTemplate(source);
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`template parsing error: ${e.message}`, 64);
    throw e;
  }
  const struct = new GoStruct('system.dockerInfo', { ...dockerInfo(info), ClientInfo: { Debug: false, Context: 'default' }, ServerErrors: null });
  try {
    write(tmpl.execute(struct));
  } finally {
    write('\n');
  }
}

export const DF_KIND: ListingKind = {
  defaultTable: 'table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t{{.Reclaimable}}',
  headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
};

/** one row of docker's disk usage summary: sizes as go-units' HumanSize, reclaimable with its share */
export function dfRow(type: string, t: { count: number; active: number; size: number; reclaimable: number }): GoStruct {
  const humanSize = (n: number) => goHumanSize(n, 4);
  const share = t.size > 0 ? ` (${Math.floor((t.reclaimable * 100) / t.size)}%)` : '';
  return new GoStruct('*formatter.diskUsageContext', {
    Type: type,
    TotalCount: String(t.count),
    Active: String(t.active),
    Size: humanSize(t.size),
    Reclaimable: `${humanSize(t.reclaimable)}${share}`,
  });
}
