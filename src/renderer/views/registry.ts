import type { Component } from 'svelte';
import type { IconName } from '../lib/icons';
import HardwareView from './HardwareView.svelte';
import ModelView from './ModelView.svelte';

export interface ViewEntry {
  /** Also the URL hash (#/hardware) and the nav test id (nav-hardware). */
  id: string;
  label: string;
  icon: IconName;
  component: Component;
}

/** The navigation, top to bottom. A new view is one line here. */
export const VIEWS: readonly ViewEntry[] = [
  { id: 'model', label: 'Model', icon: 'model', component: ModelView },
  { id: 'hardware', label: 'Hardware', icon: 'chip', component: HardwareView },
];
