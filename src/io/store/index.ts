// The state store: the registry's journal + snapshot (journal.ts), its framing (framing.ts) and errors.
export {
  Journal,
  type JournalDamage,
  type JournalOpenResult,
  type JournalOptions,
  type JournalReplay,
  type JournalStats,
} from './journal';
export { StoreError, type StoreErrorCode } from './errors';
