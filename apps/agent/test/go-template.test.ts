import { describe, expect, it } from 'vitest';
import { renderInspect as writeInspect } from '../src/cli/inspect-format.js';
import { renderListing } from '../src/cli/listing.js';
import { COMPOSE_KIND, composeRow } from '../src/cli/listing-compose.js';
import { humanDuration } from '@skiff/runtime/parse';
import { CONTAINER_KIND, containerRow, displayablePorts, humanSize3, IMAGE_KIND, imageRows } from '../src/cli/listing-rows.js';
import { tabwrite } from '../src/cli/tabwriter.js';
import { compileTemplate, GoStruct, TemplateError } from '../src/cli/template/index.js';

// Go's text/template as docker's --format uses it; the expected outputs are what Go prints.

const run = (src: string, data: unknown) => compileTemplate(src).execute(data);
const ctx = new GoStruct('*formatter.ContainerContext', {
  ID: 'abc123',
  Names: 'web',
  Labels: 'a=1,b=2',
  Label: (k: unknown) => (({ a: '1', b: '2' }) as Record<string, string>)[String(k)] ?? '',
});
const inspect = {
  Id: 'f00',
  State: { Status: 'running', Pid: 1234, Running: true, ExitCode: 0 },
  Config: { Env: ['A=1', 'PATH=/bin'], Labels: { 'com.example': 'x', empty: '' }, Cmd: null },
  Mounts: [
    { Type: 'volume', Name: 'data', Destination: '/data' },
    { Type: 'bind', Source: '/host', Destination: '/mnt' },
  ],
  NetworkSettings: { Networks: { front: { IPAddress: '10.0.0.2' }, back: { IPAddress: '10.1.0.2' } } },
};

describe('Go templates: fields, functions, pipelines', () => {
  it('prints fields, nested fields, literal text and methods with arguments', () => {
    expect(run('{{.ID}}\t{{.Names}} x', ctx)).toBe('abc123\tweb x');
    expect(run('{{.Label "a"}}/{{.Label "zz"}}', ctx)).toBe('1/');
    expect(run('{{.State.Status}} {{.State.Pid}} {{.State.Running}}', inspect)).toBe('running 1234 true');
    expect(run('{{.Config.Cmd}}', inspect)).toBe('<nil>');
    expect(run('{{.Config.Env}} {{.Config.Labels}}', inspect)).toBe('[A=1 PATH=/bin] map[com.example:x empty:]');
  });

  it('json, index, len, upper/lower, join, split, title, pad, truncate, println', () => {
    expect(run('{{json .Config.Env}}', inspect)).toBe('["A=1","PATH=/bin"]');
    expect(run('{{json .}}', ctx)).toBe('{"ID":"abc123","Labels":"a=1,b=2","Names":"web"}');
    expect(run('{{index .Config.Labels "com.example"}}|{{index .Config.Env 1}}|{{index .Config.Labels "no"}}|{{index .State "no"}}', inspect)).toBe(
      'x|PATH=/bin||<no value>',
    );
    expect(run('{{len .Mounts}} {{len .Config.Labels}} {{len "héllo"}}', inspect)).toBe('2 2 6');
    expect(run('{{upper .Names}} {{lower "AbC"}} {{title "hello world"}}', ctx)).toBe('WEB abc Hello World');
    expect(run('{{join .Config.Env ","}} {{join (split "a:b:c" ":") "-"}}', inspect)).toBe('A=1,PATH=/bin a-b-c');
    expect(run('[{{pad "x" 1 2}}] {{truncate "abcdef" 3}}', {})).toBe('[ x  ] abc');
    expect(run('{{println .ID "x"}}', ctx)).toBe('abc123 x\n');
    expect(run('{{print 1 2 "a" "b" 3}}', {})).toBe('1 2ab3');
    expect(run('{{printf "%-6s|%5d|%.2f|%q|%v" "ab" 42 3.14159 "q" .Names}}', ctx)).toBe('ab    |   42|3.14|"q"|web');
  });

  it('pipelines pass the value on as the last argument', () => {
    expect(run('{{.Names | upper}}', ctx)).toBe('WEB');
    expect(run('{{.Config.Env | json}}', inspect)).toBe('["A=1","PATH=/bin"]');
    expect(run('{{.Config.Labels | len | printf "%d labels"}}', inspect)).toBe('2 labels');
    expect(run('{{(index .Mounts 1).Source}}', inspect)).toBe('/host');
  });

  it('range over lists and maps, with variables, else, break and continue', () => {
    expect(run('{{range .Mounts}}{{.Destination}},{{end}}', inspect)).toBe('/data,/mnt,');
    expect(run('{{range $i, $m := .Mounts}}{{$i}}:{{$m.Type}} {{end}}', inspect)).toBe('0:volume 1:bind ');
    expect(run('{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}};{{end}}', inspect)).toBe('back=10.1.0.2;front=10.0.0.2;');
    expect(run('{{range .Config.Cmd}}x{{else}}none{{end}}', inspect)).toBe('none');
    expect(run('{{range .Config.Env}}{{if eq . "A=1"}}{{continue}}{{end}}{{.}}{{break}}{{end}}', inspect)).toBe('PATH=/bin');
    expect(run('{{range .Mounts}}{{$.Id}}{{end}}', inspect)).toBe('f00f00');
  });

  it('if/else if/else, with, and/or/not, comparisons', () => {
    const t = '{{if eq .State.Status "exited"}}E{{else if .State.Running}}R{{else}}?{{end}}';
    expect(run(t, inspect)).toBe('R');
    expect(run('{{with .Config.Labels}}{{index . "com.example"}}{{end}}{{with .Config.Cmd}}x{{else}}-{{end}}', inspect)).toBe('x-');
    expect(run('{{and 1 0 2}} {{or 0 "" "z"}} {{not .State.Running}}', inspect)).toBe('0 z false');
    expect(run('{{lt 1 2}} {{ge "b" "a"}} {{ne .State.Pid 1}} {{eq .State.Status "a" "running"}}', inspect)).toBe('true true true true');
    expect(run('{{$x := .State.Pid}}{{if gt $x 1000}}big {{$x}}{{end}}{{$x = 1}} {{$x}}', inspect)).toBe('big 1234 1');
  });

  it('trim markers and comments', () => {
    expect(run('a  {{- .ID -}}  b{{/* gone */}}c {{- /* gone too */ -}} d', ctx)).toBe('aabc123bcd');
  });

  it('fails as Go does: unknown field of a struct, unknown function, syntax, bad calls', () => {
    const err = (src: string, data: unknown = ctx) => {
      try {
        run(src, data);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
        expect((e as TemplateError).exitCode).toBe(1);
        return (e as Error).message;
      }
      throw new Error(`no error for ${src}`);
    };
    expect(err('{{.Foo}}')).toBe('template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext');
    expect(err('x\n  {{.ID}} {{.Bar.Baz}}')).toBe('template: :2:12: executing "" at <.Bar.Baz>: can\'t evaluate field Bar in type *formatter.ContainerContext');
    expect(err('{{.ID.X}}')).toMatch(/can't evaluate field X in type string$/);
    expect(err('{{nope .ID}}')).toBe('template: :1: function "nope" not defined');
    expect(err('{{.ID')).toBe('template: :1: unclosed action');
    expect(err('{{if .ID}}x')).toMatch(/^template: :1: /);
    expect(err('{{end}}')).toMatch(/^template: :1: unexpected \{\{end\}\}/);
    expect(err('{{.Label}}')).toMatch(/wrong number of args for Label: want 1 got 0$/);
    expect(err('{{len 3}}')).toMatch(/error calling len: len of type int$/);
    expect(err('{{index .Config.Env 5}}', inspect)).toMatch(/error calling index: index out of range: 5$/);
    expect(err('{{$nope}}')).toBe('template: :1: undefined variable "$nope"');
    expect(err('{{.State.Status.X}}', inspect)).toMatch(/can't evaluate field X in type string$/);
  });
});

describe("docker's listing formats", () => {
  it("Go's tabwriter: minimum width 10, padding 3, the last cell free, blocks broken by short lines", () => {
    expect(tabwrite('A\tBB\tC\nlong-long-value\tb\tc\n')).toBe('A                 BB        C\nlong-long-value   b         c\n');
    expect(tabwrite('A\tB\nx\n1\t2\n')).toBe('A         B\nx\n1         2\n');
  });

  it('table: a header row from the same template, json: one object a line, custom: one line a row', () => {
    const rows = [ctx, new GoStruct(ctx.typeName, { ...ctx.fields, ID: 'def456', Names: 'db-with-a-long-name' })];
    expect(renderListing('table {{.ID}}\\t{{.Names}}\\t{{.Labels}}', rows, CONTAINER_KIND)).toBe(
      'CONTAINER ID   NAMES                 LABELS\nabc123         web                   a=1,b=2\ndef456         db-with-a-long-name   a=1,b=2\n',
    );
    expect(renderListing('table {{upper .Names}}', [], CONTAINER_KIND)).toBe('NAMES\n');
    expect(renderListing('{{.Names}}: {{.ID}}', rows, CONTAINER_KIND)).toBe('web: abc123\ndb-with-a-long-name: def456\n');
    expect(renderListing('json', rows.slice(0, 1), CONTAINER_KIND)).toBe('{"ID":"abc123","Labels":"a=1,b=2","Names":"web"}\n');
    expect(() => renderListing('{{.Nope}}', rows, CONTAINER_KIND)).toThrow(/^failed to execute template: template: :1:2: .*can't evaluate field Nope/);
  });

  it("the container row has docker's fields and values", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const row = containerRow(
      {
        Id: 'a'.repeat(64),
        Names: ['/web'],
        Image: 'busybox@sha256:' + 'b'.repeat(64),
        ImageID: 'sha256:' + 'c'.repeat(64),
        Command: 'sh -c "sleep 1000 && echo done"',
        Created: now / 1000 - 150,
        Ports: [
          { PrivatePort: 80, PublicPort: 8080, IP: '0.0.0.0', Type: 'tcp' },
          { PrivatePort: 443, Type: 'tcp' },
          { PrivatePort: 444, Type: 'tcp' },
        ],
        Labels: { b: '2', a: '1' },
        State: 'running',
        Status: 'Up 2 minutes',
        HostConfig: { NetworkMode: 'front' },
        NetworkSettings: { Networks: { front: {}, back: {} } as never },
        Mounts: [],
      },
      true,
      now,
    );
    expect(run('{{.ID}}|{{.Image}}|{{.Command}}|{{.RunningFor}}|{{.Ports}}|{{.Labels}}|{{.Networks}}|{{.Size}}|{{.LocalVolumes}}', row)).toBe(
      'aaaaaaaaaaaa|busybox|"sh -c \\"sleep 1000 &…"|2 minutes ago|443-444/tcp, 0.0.0.0:8080->80/tcp|a=1,b=2|back,front|0B|0',
    );
  });

  it('image rows: one per tag, <none> when untagged, sizes and durations as go-units', () => {
    const img = {
      id: 'sha256:' + 'd'.repeat(64),
      repoTags: ['reg:5000/app:v1', 'app:latest'],
      repoDigests: ['reg:5000/app@sha256:' + 'e'.repeat(64)],
      created: '2026-01-01T00:00:00Z',
      size: 4_321_000,
      labels: {},
      parentId: '',
    };
    const rows = imageRows(img, true, Date.parse('2026-01-03T01:00:00Z'));
    expect(rows.map((r) => run('{{.Repository}} {{.Tag}} {{.ID}} {{.Digest}} {{.Size}} {{.CreatedSince}}', r))).toEqual([
      `reg:5000/app v1 dddddddddddd sha256:${'e'.repeat(64)} 4.32MB 2 days ago`,
      'app latest dddddddddddd <none> 4.32MB 2 days ago',
    ]);
    expect(run('{{.Repository}}:{{.Tag}}', imageRows({ ...img, repoTags: [], repoDigests: [] }, true)[0])).toBe('<none>:<none>');
    expect(renderListing('table', rows.slice(1), IMAGE_KIND).split('\n')[0]).toBe('REPOSITORY   TAG       IMAGE ID       CREATED      SIZE');
    expect([humanSize3(0), humanSize3(999), humanSize3(1000), humanSize3(123_456_789)]).toEqual(['0B', '999B', '1kB', '123MB']);
    expect([0.5, 1, 59, 60, 3599, 3600, 86400 * 3].map((s) => humanDuration(s * 1000))).toEqual([
      'Less than a second',
      '1 second',
      '59 seconds',
      'About a minute',
      '59 minutes',
      'About an hour',
      '3 days',
    ]);
    expect(
      displayablePorts([
        { PrivatePort: 53, Type: 'udp' },
        { PrivatePort: 53, Type: 'tcp' },
      ]),
    ).toBe('53/tcp, 53/udp');
  });

  it("compose ps rows: compose's Name, Service, Project, ExitCode over the container fields", () => {
    const c = {
      id: 'f'.repeat(64),
      names: ['/app-web-1'],
      image: 'nginx',
      imageId: 'sha256:' + '1'.repeat(64),
      command: 'nginx -g "daemon off;"',
      created: Date.now() / 1000 - 5,
      state: 'exited' as const,
      status: 'Exited (3) 1 second ago',
      labels: { 'com.docker.compose.project': 'app', 'com.docker.compose.service': 'web' },
      ports: [],
      networks: ['app_default'],
    };
    const row = composeRow(c, true);
    expect(run('{{.Name}} {{.Service}} {{.Project}} {{.ExitCode}} {{.State}} {{.ID}} {{.Networks}} {{.Command}}', row)).toBe(
      'app-web-1 web app 3 exited ffffffffffff app_default "nginx -g \\"daemon of…"',
    );
    expect(renderListing('table {{.Service}}\\t{{.Name}}', [row], COMPOSE_KIND)).toBe('SERVICE   NAME\nweb       app-web-1\n');
  });

  it('inspect: no format is the indented array, json the array on one line, templates over maps', () => {
    const renderInspect = (format: string | undefined, objects: unknown[]) => {
      let out = '';
      writeInspect(format, objects, (t) => (out += t));
      return out;
    };
    expect(renderInspect(undefined, [{ a: 1 }])).toBe('[\n    {\n        "a": 1\n    }\n]\n');
    expect(renderInspect('json', [{ a: 1 }, { a: 2 }])).toBe('[{"a":1},{"a":2}]\n');
    expect(renderInspect('{{.State.Status}}', [inspect])).toBe('running\n');
    // docker's missingkey=error, and its inspector's words for any template error
    expect(() => renderInspect('{{.State.Status}} {{.Missing}}', [inspect])).toThrow(
      'template parsing error: template: :1:20: executing "" at <.Missing>: map has no entry for key "Missing"',
    );
    expect(() => renderInspect('{{.Id', [inspect])).toThrow(expect.objectContaining({ exitCode: 64 }));
    // what came before a failing object is printed, an empty line when nothing did, as docker
    let printed = '';
    expect(() => writeInspect('{{.Id}}{{.State.Status.X}}', [inspect], (t) => (printed += t))).toThrow(/nil pointer|can't evaluate/);
    expect(printed).toBe('\n');
    printed = '';
    expect(() => writeInspect('{{.State.Nope}}', [{ State: { Nope: 1 } }, inspect], (t) => (printed += t))).toThrow(/map has no entry/);
    expect(printed).toBe('1\n');
    expect(() => renderListing('{{.Names', [], CONTAINER_KIND)).toThrow('failed to parse template: template: :1: unclosed action');
  });

  it("a missing map key: <no value> by default (events' attributes), an error only with missingkey=error", () => {
    expect(run('{{.Attributes.name}}|{{.Attributes.exitCode}}', { Attributes: { name: 'web' } })).toBe('web|<no value>');
    expect(() => compileTemplate('{{.A.b}}', { missingKeyError: true }).execute({ A: {} })).toThrow('map has no entry for key "b"');
  });
});
