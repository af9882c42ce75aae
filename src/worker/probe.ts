/**
 * Probe: can this execution provider run a model on this machine, and how long does it
 * take to get there? One session on exactly the requested EP (no CPU fallback list),
 * one run on all-zero inputs, and the profiler's record of where the nodes actually ran:
 * ONNX Runtime may accept an EP and still run every node on the CPU, which would make
 * a "works" answer a lie.
 *
 * Failures are answers, not errors: EP_UNAVAILABLE when this build does not have the EP
 * or the EP cannot start here (missing libraries, no adapter); EP_FAILED when it started
 * but could not run the model or ran none of it.
 */
import { summarizePlacement, providerNameForEp } from '../core/bench/placement';
import { modelBytesOf, type ProbeResult, type RequestOf } from '../core/worker-host/protocol';
import { zeroFeeds } from './feeds';
import { createProfiledSession, type ProfiledSession } from './profiling';
import { runtimeBackends } from './runtime';
import { throwIfCancelled } from './cancel';
import { messageOf, sessionOptions } from './session';

export async function probe(request: RequestOf<'probe'>, signal: AbortSignal): Promise<ProbeResult> {
  const { ep } = request;
  const known = runtimeBackends();
  if (!known.some((b) => b.name === ep)) {
    return {
      ok: false,
      ep,
      code: 'EP_UNAVAILABLE',
      message: `This ONNX Runtime build has no "${ep}" execution provider (it knows: ${known.map((b) => b.name).join(', ')}).`,
    };
  }

  const started = performance.now();
  let profiled: ProfiledSession;
  try {
    profiled = await createProfiledSession(modelBytesOf(request.modelBytes), sessionOptions(ep, request.epOptions));
  } catch (error) {
    return { ok: false, ep, code: 'EP_UNAVAILABLE', message: `The ${ep} execution provider could not start: ${messageOf(error)}` };
  }
  const created = performance.now();

  try {
    throwIfCancelled(signal);
    let firstRunMs: number;
    try {
      const feeds = zeroFeeds(profiled.session);
      const runStarted = performance.now();
      await profiled.session.run(feeds);
      firstRunMs = performance.now() - runStarted;
    } catch (error) {
      return {
        ok: false,
        ep,
        code: 'EP_FAILED',
        message: `The ${ep} execution provider could not run the probe model: ${messageOf(error)}`,
      };
    }
    const ms = performance.now() - started;

    const placement = summarizePlacement(await profiled.takeTrace(), ep);
    const provider = providerNameForEp(ep);
    const nodesOnEp = placement.nodes.filter((n) => n.provider === provider).length;
    if (nodesOnEp === 0) {
      const ranOn = [...new Set(placement.nodes.map((n) => n.provider))].join(', ') || 'nothing';
      return {
        ok: false,
        ep,
        code: 'EP_FAILED',
        message: `ONNX Runtime accepted the ${ep} execution provider but ran no node on it (they ran on ${ranOn}).`,
      };
    }
    return {
      ok: true,
      ep,
      ms,
      detail: {
        provider,
        sessionCreateMs: created - started,
        firstRunMs,
        nodes: placement.nodes.length,
        nodesOnEp,
        fallbackNodes: placement.fallbackNodes,
      },
    };
  } finally {
    await profiled.close();
  }
}
