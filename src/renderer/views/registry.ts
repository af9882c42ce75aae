import type { Component } from 'svelte';
import type { IconName } from '../lib/icons';
import BenchView from './BenchView.svelte';
import CompareView from './CompareView.svelte';
import DecideView from './DecideView.svelte';
import HardwareView from './HardwareView.svelte';
import MachinesView from './MachinesView.svelte';
import ModelView from './ModelView.svelte';
import QuantizeView from './QuantizeView.svelte';
import RunsView from './RunsView.svelte';

export interface ViewEntry {
  /** Also the URL hash (#/hardware) and the nav test id (nav-hardware). */
  id: string;
  label: string;
  icon: IconName;
  component: Component;
}

/** The navigation, top to bottom. A new view is one line here. */
export const VIEWS: readonly ViewEntry[] = [
  // In the order a person works: what they have, what it runs on, measure, try precisions, decide.
  { id: 'model', label: 'Model', icon: 'model', component: ModelView },
  { id: 'hardware', label: 'Hardware', icon: 'chip', component: HardwareView },
  { id: 'machines', label: 'Machines', icon: 'server', component: MachinesView },
  { id: 'bench', label: 'Benchmark', icon: 'gauge', component: BenchView },
  { id: 'quantize', label: 'Quantize', icon: 'sparkle', component: QuantizeView },
  { id: 'decide', label: 'Decide', icon: 'check', component: DecideView },
  { id: 'compare', label: 'Compare', icon: 'copy', component: CompareView },
  { id: 'runs', label: 'Runs', icon: 'list', component: RunsView },
];
