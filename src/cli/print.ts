import { describeProfile } from '../shared/domain/profile';
import { chooseInputValue, formatInputValue, type InputValues } from '../shared/domain/input-values';
import type { HardwareProfile } from '../shared/domain/hardware';
import type { ModelInfo, TensorInfo } from '../shared/domain/model';
import type { SampleInfo } from '../shared/domain/sample';
import { formatBytes, formatCount } from '../shared/stats';
import { renderPairs, renderTable } from './table';

const shape = (t: TensorInfo): string => (t.shape === null ? 'unknown rank' : `[${t.shape.join(', ')}]`);

/** " — 2.05 K made by 1 ConstantOfShape node": parameters that nodes make rather than store. */
function producedNote(info: ModelInfo): string {
  const made = Object.entries(info.parameters.fromNodes ?? {}).filter(([op, p]) => op !== 'Constant' && p.count > 0);
  if (made.length === 0) return '';
  const parts = made.map(([op, p]) => `${formatCount(p.count)} made by ${p.nodes} ${op} node${p.nodes === 1 ? '' : 's'}`);
  return `, including ${parts.join(', ')}`;
}

function macsLine(info: ModelInfo): string {
  if (info.macs === null) return `unknown — ${info.macsReason ?? 'shapes not known'}`;
  const counted = `${formatCount(info.macs)} (${formatCount(info.flops ?? 2 * info.macs)} FLOPs)`;
  const range = info.macsRange;
  return range
    ? `${counted}, the larger If branches; ${formatCount(range.min)}–${formatCount(range.max)} depending on the branches taken`
    : counted;
}

/** How control flow was counted, and what keeps MACs unknown: dims to set, nodes to look at. */
function macsDetails(info: ModelInfo): string[] {
  const lines: string[] = [];
  const blocked = info.macsUnknown;
  if (blocked) {
    lines.push('', `MACs blocked (${blocked.reason})`);
    if (blocked.dims.length > 0) lines.push(`  dims without a value: ${blocked.dims.join(', ')}`);
    for (const n of blocked.nodes)
      lines.push(`  ${n.op} ${n.node ? `"${n.node}"` : '(unnamed)'}: ${n.detail}${n.dims.length ? ` (${n.dims.join(', ')})` : ''}`);
    if (blocked.nodeCount > blocked.nodes.length) lines.push(`  … and ${blocked.nodeCount - blocked.nodes.length} more nodes`);
  }
  const flow = info.macsControlFlow ?? [];
  if (flow.length > 0) lines.push('', 'MACs through control flow', ...flow.map((f) => `  · ${f.note}`));
  return lines;
}

/** What each input will be fed (--input values, stated defaults, random), and the ones that need a value. */
function inputData(info: ModelInfo, values: InputValues): string[] {
  return info.inputs.map((t) => {
    const chosen = chooseInputValue(t.name, t.type, t.shape ? t.shape.length : null, values);
    if ('required' in chosen) return `needs a value: --input ${t.name}=VALUE`;
    if (!chosen.value) return 'seeded random';
    return chosen.stated ? `default ${chosen.stated}` : formatInputValue(chosen.value);
  });
}

export function printModel(info: ModelInfo, values: InputValues = {}): string {
  const lines: string[] = [];
  lines.push(
    `${info.name}  ` +
      `(${formatBytes(info.sizeBytes)}${info.externalDataBytes ? ` + ${formatBytes(info.externalDataBytes)} external data` : ''})`,
  );
  lines.push(
    renderPairs([
      ['Path', info.path],
      ...(info.convertedFrom ? [['Converted from', `${info.convertedFrom.name} (${info.convertedFrom.label})`] as [string, string]] : []),
      ['Producer', [info.producer.name, info.producer.version].filter(Boolean).join(' ') || '—'],
      ['IR version', info.irVersion],
      ['Opsets', info.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')],
      ['Precision', `${info.precision}${info.quantized ? ` (quantized: ${info.quantization.join(', ')})` : ''}`],
      ['Parameters', `${formatCount(info.parameters.total)} (${formatBytes(info.parameters.bytes)})${producedNote(info)}`],
      ['Nodes', info.nodeCount],
      ['MACs', macsLine(info)],
    ]),
  );
  lines.push(...macsDetails(info));
  if (info.dims.length) {
    lines.push('', 'Symbolic dimensions');
    lines.push(
      renderTable(
        ['name', 'value', 'from'],
        info.dims.map((d) => [d.name, d.value ?? '—', d.source]),
        { indent: '  ' },
      ),
    );
  }
  if (info.profile) {
    const origin = info.profile.origin === 'sample' ? 'stated by the sample' : 'saved for this model';
    lines.push('', `Input profile (${origin}): ${describeProfile(info.profile) || 'empty'}`);
  }
  lines.push('', 'Inputs');
  const data = inputData(info, values);
  lines.push(
    renderTable(
      ['name', 'type', 'shape', 'data'],
      info.inputs.map((t, i) => [t.name, t.type, shape(t), data[i] as string]),
      { indent: '  ' },
    ),
  );
  lines.push('', 'Outputs');
  lines.push(
    renderTable(
      ['name', 'type', 'shape'],
      info.outputs.map((t) => [t.name, t.type, shape(t)]),
      { indent: '  ' },
    ),
  );
  const dtypes = Object.entries(info.parameters.byDtype).sort((a, b) => b[1].bytes - a[1].bytes);
  if (dtypes.length) {
    lines.push('', 'Parameters by type');
    lines.push(
      renderTable(
        ['type', 'values', 'bytes'],
        dtypes.map(([t, v]) => [t, formatCount(v.count), formatBytes(v.bytes)]),
        { indent: '  ' },
      ),
    );
  }
  const ops = Object.entries(info.opHistogram).sort((a, b) => b[1] - a[1]);
  lines.push('', 'Operators');
  lines.push(
    renderTable(
      ['op', 'nodes', 'MACs'],
      ops.map(([op, n]) => [op, n, info.macsByOp[op] !== undefined ? formatCount(info.macsByOp[op]) : '']),
      { indent: '  ' },
    ),
  );
  if (info.externalData.length) {
    lines.push('', 'External data');
    lines.push(
      renderTable(
        ['file', 'tensors', 'bytes'],
        info.externalData.map((e) => [e.location, e.tensors, formatBytes(e.bytes)]),
        { indent: '  ' },
      ),
    );
  }
  const metadata = Object.entries(info.metadata);
  if (metadata.length) lines.push('', 'Metadata', renderPairs(metadata, '  '));
  if (info.warnings.length) lines.push('', 'Warnings', ...info.warnings.map((w) => `  ! ${w}`));
  return lines.join('\n');
}

export function printSamples(samples: SampleInfo[]): string {
  return [
    renderTable(
      ['name', 'task', 'inputs', 'params', 'MACs'],
      samples.map((s) => [
        s.name,
        s.task,
        s.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(' '),
        formatCount(s.approxParams),
        formatCount(s.approxMacs),
      ]),
    ),
    '',
    'Open one with: inferscope inspect sample:NAME',
  ].join('\n');
}

const STATUS_LABEL: Record<string, string> = {
  ready: 'ready',
  'not-installed': 'not installed',
  'no-device': 'no device',
  failed: 'failed',
};

export function printHardware(p: HardwareProfile): string {
  const cpu = p.cpu;
  const lines: string[] = [];
  lines.push('CPU');
  lines.push(
    renderPairs(
      [
        ['Model', cpu.brand],
        ['Cores', `${cpu.physicalCores} physical, ${cpu.logicalCores} logical`],
        [
          'Clock',
          [cpu.baseGhz ? `${cpu.baseGhz} GHz base` : null, cpu.maxGhz ? `${cpu.maxGhz} GHz max` : null].filter(Boolean).join(', ') || '—',
        ],
        [
          'Peak FP32 (estimate)',
          cpu.peakGflopsFp32 === null ? 'unknown' : `${formatCount(cpu.peakGflopsFp32 * 1e9)}FLOP/s = ${cpu.peakGflopsFormula}`,
        ],
        ['Inference ISA', cpu.inferenceFlags.map((f) => `${f.present ? '+' : '-'}${f.name}`).join(' ')],
      ],
      '  ',
    ),
  );
  lines.push('', 'Memory and OS');
  lines.push(
    renderPairs(
      [
        ['Memory', `${formatBytes(p.memory.totalBytes)} total, ${formatBytes(p.memory.availableBytes)} available`],
        ['OS', `${p.os.distro} ${p.os.release} (${p.os.platform} ${p.os.arch}, kernel ${p.os.kernel})`],
      ],
      '  ',
    ),
  );
  lines.push('', 'GPUs');
  lines.push(
    p.gpus.length
      ? renderTable(
          ['vendor', 'name', 'memory', 'driver', 'CUDA', 'compute'],
          p.gpus.map((g) => [
            g.vendor,
            g.name,
            g.vramBytes === null ? '—' : formatBytes(g.vramBytes),
            g.driver ?? '—',
            g.cudaVersion ?? '—',
            g.computeCapability ?? '—',
          ]),
          { indent: '  ' },
        )
      : '  none detected',
  );
  lines.push('', 'Execution providers');
  lines.push(
    renderTable(
      ['provider', 'status', 'probe', 'detail'],
      p.providers.map((e) => [
        e.name,
        STATUS_LABEL[e.status] ?? e.status,
        e.probeMs === null ? '' : `${e.probeMs.toFixed(0)} ms`,
        e.detail + (e.installHint ? ` — install: ${e.installHint}` : ''),
      ]),
      { indent: '  ' },
    ),
  );
  if (p.notes.length) lines.push('', 'Notes', ...p.notes.map((n) => `  · ${n}`));
  return lines.join('\n');
}
