/**
 * `vmexit:<REASON>` breakpoint names and the `reason` name in vmexit conditions, over the VMX
 * exit reason table of the hypervisor's ABI (src/xen/abi/vmx.ts). Accepts `IO_INSTRUCTION`,
 * `EXIT_REASON_IO_INSTRUCTION` and `io_instruction` alike.
 */
import { EXIT_REASON } from '../xen/abi/vmx';

export const EXIT_REASONS: Readonly<Record<string, number>> = EXIT_REASON;

/** `IO_INSTRUCTION` / `EXIT_REASON_IO_INSTRUCTION` / `io_instruction` → 30; undefined if unknown. */
export function exitReasonNumber(name: string): number | undefined {
  const key = name.toUpperCase().replace(/^EXIT_REASON_/, '');
  return EXIT_REASONS[key];
}
