'use client';
import { useQuery } from '@tanstack/react-query';
import { ago, bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { ErrorAlert } from './shared';
import { ScrollRegion } from '../scroll-region';

/** `docker history` of one image: newest step first, created-by and the layer size of each. */
export function ImageHistoryView({ imageId }: { imageId: string }) {
  const q = useQuery(useTRPC().images.history.queryOptions({ ref: imageId }));
  const rows = q.data;
  const error = q.error ? errorMessage(q.error) : '';
  if (error) return <ErrorAlert message={error} />;
  if (!rows) return <p className="text-xs text-zinc-500">loading history…</p>;
  return (
    <ScrollRegion className="" label="history" testId="image-history">
      <table className="w-full min-w-[36rem] text-left text-xs">
        <thead className="text-zinc-500">
          <tr>
            <th className="py-1 pr-2 font-medium">Image</th>
            <th className="pr-2 font-medium">Created</th>
            <th className="pr-2 font-medium">Created by</th>
            <th className="pr-2 text-right font-medium">Size</th>
            <th className="font-medium">Comment</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((h, i) => (
            <tr key={i} data-testid="history-row" className="border-t border-zinc-100 align-top dark:border-zinc-800">
              <td className="py-1 pr-2 font-mono">{h.id === '<missing>' ? '<missing>' : h.id.replace(/^sha256:/, '').slice(0, 12)}</td>
              <td className="whitespace-nowrap pr-2" title={h.created}>
                {ago(h.created)}
              </td>
              <td className="max-w-[32rem] break-all pr-2 font-mono" title={h.createdBy}>
                {h.createdBy || <span className="font-sans text-zinc-500">not recorded in the image</span>}
              </td>
              <td className="whitespace-nowrap pr-2 text-right tabular-nums">{h.emptyLayer ? '0 B' : bytes(h.size)}</td>
              <td className="text-zinc-500">{h.comment}</td>
            </tr>
          ))}
          {!rows.length && (
            <tr>
              <td colSpan={5} className="py-2 text-zinc-500">
                No history recorded in this image.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
