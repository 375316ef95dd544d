// The shape of a cmdlet as the binder and the help printer see it. Cmdlet families in
// src/cli/cmdlets/ declare these; nothing here does I/O.

/** How a parameter's text is turned into a value before the cmdlet validates it. */
export type ValueKind =
  | 'string'     // taken verbatim (a Banner may hold commas and spaces)
  | 'int'        // decimal integer; 'unlimited' only when allowUnlimited
  | 'bool'       // $true/$false, true/false, 1/0 (see values.ts parseBoolean)
  | 'switch'     // present = true; -Name:$false = false
  | 'enum'       // one of `values`, matched case-insensitively, returned in canonical case
  | 'size'       // ByteQuantifiedSize: 10MB, 36 MB (37,748,736 bytes), 1.5GB, 512, unlimited
  | 'timespan'   // EnhancedTimeSpan: hh:mm:ss or d.hh:mm:ss; returned as seconds
  | 'secret';    // a password: never echoed in errors

export interface ParameterSpec {
  name: string;                 // canonical Exchange spelling, e.g. 'ExternalConnectionSettings'
  kind: ValueKind;
  multi?: boolean;              // multi-valued: a,b | {a,b} | "a","b" | @("a","b") | @{Add=..;Remove=..}
  values?: readonly string[];   // for 'enum'
  allowUnlimited?: boolean;     // for 'size' and 'int'
  aliases?: readonly string[];
  positional?: number;          // 0 for Identity
  required?: boolean;
  help: string;                 // one line for Get-Help
}

/** What the binder returns for one multi-valued parameter written as @{Add=...; Remove=...}. */
export interface MultiValueChange {
  add: unknown[];
  remove: unknown[];
}

export type BoundValue =
  | string
  | number
  | boolean
  | 'unlimited'
  | unknown[]
  | MultiValueChange
  | null;               // $null clears a parameter

export interface BoundArguments {
  /** Keyed by canonical parameter name. */
  values: Record<string, BoundValue>;
  /** Common parameters accepted without effect here (-Confirm, -DomainController, -Verbose, -ErrorAction; -WhatIf:$false). */
  common: Record<string, BoundValue>;
  help: boolean;        // -? was given
  /**
   * Bool parameters given without a value and bound to $true. Bash expands an unquoted `$true`
   * or `$false` to nothing, so the caller should warn that `$false` must be quoted in bash.
   * Absent when there are none.
   */
  implied?: string[];
}

/** Thrown for any syntax or binding error; the message names the parameter and what it accepts. */
export class CmdletSyntaxError extends Error {
  constructor(message: string, readonly parameter?: string) {
    super(message);
    this.name = 'CmdletSyntaxError';
  }
}
