import { createContext } from 'svelte';
import type { Backend } from '../backend';
import type { AppController, NavigationController } from './app.svelte';
import type { BenchController } from './bench.svelte';
import type { BrowserGpuController } from './browser-gpu.svelte';
import type { HardwareController } from './hardware.svelte';
import type { ModelController } from './model.svelte';
import type { RunsController } from './runs.svelte';

/** Every controller the views share, created once by App.svelte. */
export interface Controllers {
  backend: Backend;
  app: AppController;
  navigation: NavigationController;
  hardware: HardwareController;
  browserGpu: BrowserGpuController;
  model: ModelController;
  bench: BenchController;
  runs: RunsController;
}

export const [getControllers, setControllers] = createContext<Controllers>();
