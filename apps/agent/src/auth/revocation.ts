import type { Principal } from './principal.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'auth' });

/**
 * Revocation that reaches already-authenticated principals (open WebSockets, running
 * subscriptions, and later any cache of token checks): a principal carries its user's epoch
 * from when it was authenticated, and every call compares it here — a Map lookup, no query.
 * A user's epoch moves on delete, role change, password change or disable; a revoked token
 * or logged-out session is remembered by id (ids are never reused, and the sets grow only
 * by one short string per revocation).
 */
export class Revocations {
  private readonly userEpochs = new Map<string, number>();
  private readonly tokens = new Set<string>();
  private readonly sessions = new Set<string>();
  private readonly listeners = new Set<() => void>();
  /** moves on every revocation: authenticate() redoes a lookup that a revocation overtook */
  version = 0;

  epochOf(userId: string): number {
    return this.userEpochs.get(userId) ?? 0;
  }

  revokeUser(userId: string): void {
    this.userEpochs.set(userId, this.epochOf(userId) + 1);
    this.notify();
  }

  revokeToken(tokenId: string): void {
    this.tokens.add(tokenId);
    this.notify();
  }

  revokeSession(sessionId: string): void {
    this.sessions.add(sessionId);
    this.notify();
  }

  /** whether this principal may still act: not revoked, its user unchanged, not expired */
  isCurrent(p: Principal, now = Date.now()): boolean {
    if (p.kind === 'root' || p.kind === 'anonymous') return true;
    if (p.expiresAt !== undefined && p.expiresAt <= now) return false;
    if (p.userId !== undefined && this.epochOf(p.userId) !== (p.epoch ?? 0)) return false;
    if (p.tokenId !== undefined && this.tokens.has(p.tokenId)) return false;
    if (p.sessionId !== undefined && this.sessions.has(p.sessionId)) return false;
    return true;
  }

  /** called after every revocation (listeners re-check their principals); returns the unsubscribe */
  onRevoke(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    this.version++;
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (e) {
        log.warn('a revocation listener failed', { err: e });
      }
    }
  }
}

/** one agent per process: the routers, the servers and authenticate() share this */
export const revocations = new Revocations();
