/** Skiff's sail as an inline SVG: an emoji (⛵) shows as a box where no emoji font is installed */
export function Logo({ className = 'h-5 w-5' }: { className?: string }) {
  return (
    <svg viewBox="0 0 16 16" className={`${className} inline-block fill-sky-600 align-[-3px]`} role="img" aria-label="Skiff logo">
      <path d="M8 1 L8 11 L3 11 Z M9 3 L13 11 L9 11 Z M1 12.5 H15 L13 15 H3 Z" />
    </svg>
  );
}
