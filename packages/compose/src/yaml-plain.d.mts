interface PlainBase {
  /** offset in the text where the node starts */
  o?: number;
  tag?: string;
}
export interface PlainScalar extends PlainBase {
  k: 'scalar';
  v: unknown;
  /** written without quotes (a `<<` merge key must be) */
  plain: boolean;
}
export interface PlainSeq extends PlainBase {
  k: 'seq';
  items: PlainNode[];
}
export interface PlainMap extends PlainBase {
  k: 'map';
  pairs: [PlainNode, PlainNode][];
}
export interface PlainAlias extends PlainBase {
  k: 'alias';
  source: string;
  /** the anchored node; absent for an unknown anchor */
  to?: Exclude<PlainNode, null>;
}
export type PlainNode = PlainScalar | PlainSeq | PlainMap | PlainAlias | null;
export type PlainDocument = { root: PlainNode; error?: undefined } | { error: { message: string; offset: number }; root?: undefined };
export declare function plainDocument(text: string, maxNodes: number): PlainDocument;
