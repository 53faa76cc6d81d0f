// Whether the AF_PACKET addon loads here, for tests that need it to skip with the reason otherwise.
import { loadLinkBinding } from '../../src/io/link/native';

export function addonUnavailableReason(): string | undefined {
  try {
    loadLinkBinding();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
