'use client';
import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { ImageDetail } from '../../../components/resources/image-detail';
import { useTitle } from '../../../components/use-title';

/** /images/view?ref=<tag or id>: a search parameter, not a route segment, so the page exports statically */
export default function ImagePageShell() {
  // useSearchParams needs a Suspense boundary in a statically rendered page
  return (
    <Suspense>
      <ImagePage />
    </Suspense>
  );
}

function ImagePage() {
  const ref = useSearchParams().get('ref') ?? '';
  useTitle(ref, 'Images');
  // the key starts afresh when the link goes from one image to another
  return <ImageDetail key={ref} imageRef={ref} />;
}
