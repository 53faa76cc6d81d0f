// Leases (sps-protocol.md §6): the grant is min(request, 24 h); at the lease end the owner is woken
// (Apple deregisters expiring records *with* wake) and, if it does not come back within the wake
// sequence, its records are dropped with goodbyes. The engine's clock is milliseconds.
export const MS_PER_SECOND = 1000;

export function leaseEndFor(now: number, grantedSeconds: number): number {
  return now + grantedSeconds * MS_PER_SECOND;
}

export function leaseExpired(leaseEnd: number, now: number): boolean {
  return now >= leaseEnd;
}
