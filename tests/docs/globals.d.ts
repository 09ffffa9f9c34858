// The part of Deno's global namespace the READMEs' Deno block uses, as
// Deno's own lib.deno.ns.d.ts declares it, so that tsc checks that block
// (typecheck-only) with the others.
declare namespace Deno {
  export const env: {
    get(key: string): string | undefined;
  };
}
