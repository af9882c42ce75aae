/**
 * What upgrading a legacy model (IR < 4, opset < 13) to IR 8 / opset 13 did, and the check that
 * it computes the same: original and upgraded run on the same inputs in onnxruntime.
 */
import { z } from 'zod';

export const UpgradeChangeSchema = z.object({ node: z.string(), op: z.string(), what: z.string() });
export type UpgradeChange = z.infer<typeof UpgradeChangeSchema>;

/** The most an upgraded model's outputs may differ from the original's: max |Δ| / max |original|, per output. */
export const UPGRADE_MAX_REL_DIFF = 1e-5;

export const UpgradeReportSchema = z.object({
  fromIr: z.number().int(),
  fromOpset: z.number().int(),
  toIr: z.number().int(),
  toOpset: z.number().int(),
  /** One line per converted node. */
  changes: z.array(UpgradeChangeSchema),
  /** Graph inputs dropped because an initializer of the same name gives their value (IR 3). */
  removedInitializerInputs: z.number().int().nonnegative(),
  verification: z.object({
    /** Input sets both models ran on. */
    samples: z.number().int().nonnegative(),
    /** The largest max |Δ| / max |original| over every output and sample. */
    maxRelDiff: z.number().nonnegative(),
    limit: z.number().positive(),
    /** The output it was largest for. */
    worstOutput: z.string().nullable(),
  }),
});
export type UpgradeReport = z.infer<typeof UpgradeReportSchema>;

/** "IR 3 / opset 9 → IR 8 / opset 13: 48 nodes converted, verified (max relative difference 0 on 8 inputs)". */
export function describeUpgrade(u: UpgradeReport): string {
  const converted = `${u.changes.length} node${u.changes.length === 1 ? '' : 's'} converted`;
  const dropped = u.removedInitializerInputs > 0 ? `, ${u.removedInitializerInputs} weight inputs made constants` : '';
  const diff = u.verification.maxRelDiff === 0 ? '0' : u.verification.maxRelDiff.toExponential(1);
  return (
    `IR ${u.fromIr} / opset ${u.fromOpset} → IR ${u.toIr} / opset ${u.toOpset}: ${converted}${dropped}; verified in onnxruntime ` +
    `(max relative difference ${diff} on ${u.verification.samples} input set${u.verification.samples === 1 ? '' : 's'}, limit 1e-5)`
  );
}
