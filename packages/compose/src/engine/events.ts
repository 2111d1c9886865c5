/** A line of progress, as `docker compose` prints them: `Container app-web-1  Started` */
export interface ComposeEvent {
  kind: 'Network' | 'Volume' | 'Container' | 'Image' | 'Service' | 'Warning';
  name: string;
  status: string;
  /** build or pull output that belongs to this line */
  detail?: string;
}
