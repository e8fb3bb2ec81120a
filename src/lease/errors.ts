// Lease backend failures: "could not reach it" (LEASE_UNREACHABLE) apart from "it refused us" (LEASE_REFUSED).
import { BotwardenError } from '../errors.js';

/** The backend could not be reached (refused connection, timeout, closed socket, unusable state dir). */
export function leaseUnreachable(description: string, detail: string, cause?: unknown): BotwardenError {
  return new BotwardenError('LEASE_UNREACHABLE', `cannot reach the lease backend ${description}: ${detail}`, {
    exit: 'leaseUnreachable',
    hint: 'check that the backend runs and that the --lease URL (host, port, database, path) is right',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The backend answered but refused (authentication, permissions, wrong data type at the key, SQL error). */
export function leaseRefused(description: string, detail: string, cause?: unknown): BotwardenError {
  return new BotwardenError('LEASE_REFUSED', `the lease backend ${description} refused the request: ${detail}`, {
    exit: 'leaseUnreachable',
    hint: 'check the credentials and permissions in the --lease URL',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** True when the backend could not be reached (worth retrying at start-up); false for a refusal or anything else. */
export function isLeaseUnreachable(err: unknown): err is BotwardenError {
  return err instanceof BotwardenError && err.code === 'LEASE_UNREACHABLE';
}

/** True for the errors above: a backend problem the elector retries, not a bug. */
export function isLeaseBackendError(err: unknown): err is BotwardenError {
  return err instanceof BotwardenError && (err.code === 'LEASE_UNREACHABLE' || err.code === 'LEASE_REFUSED');
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
