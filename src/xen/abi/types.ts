// Shapes of the ABI tables in generated.ts (written from /usr/include/xen by
// test/xen/abi-generate.ts; checked against the headers by test/xen/abi-headers.test.ts).

/** A family of numbers sharing a prefix in Xen's headers: `EVTCHNOP_send` is EVTCHNOP.send. */
export interface AbiFamily {
  /** The C prefix, e.g. `EVTCHNOP_`; a member's Xen name is prefix + key. */
  readonly prefix: string;
  /** Header under /usr/include/xen that defines it. */
  readonly header: string;
  /** Members are bit masks to be OR-ed (SIF_*, GTF_*), not alternatives. */
  readonly flags: boolean;
  readonly values: Readonly<Record<string, number>>;
}

/** One member of a guest structure (32-bit x86 layout). Nested members use dotted paths. */
export interface AbiField {
  readonly offset: number;
  readonly size: number;
  /** The C type as the headers spell it (`xen_pfn_t`, `uint32_t[4]`, `struct vcpu_info[32]`). */
  readonly type: string;
  /** For arrays: the number of elements. */
  readonly count?: number;
}

export interface AbiStruct {
  /** The C type: `struct start_info`, `union grant_entry_v2`. */
  readonly ctype: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, AbiField>>;
}
