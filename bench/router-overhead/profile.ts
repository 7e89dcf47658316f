/**
 * CPU profile of one mode's client side, summarised by where the time goes (package and function), to find
 * what the router adds. `npx node bench/router-overhead/profile.ts --mode router --concurrency 1 --calls 5000`.
 * Modes: direct (openai SDK to the simulator) and router. `--prompt-chars N` sends a longer prompt. Add `--save FILE.cpuprofile` to open it in DevTools.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { GenerateRequest } from '@aegis/llm-router';
import OpenAI from 'openai';
import { API_KEY, MODEL, startEnvironment } from './environment.ts';
import { type Call, runBlock } from './load.ts';
import { roundMs, summarize } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    mode: { type: 'string', default: 'router' },
    concurrency: { type: 'string', default: '1' },
    calls: { type: 'string', default: '5000' },
    top: { type: 'string', default: '25' },
    save: { type: 'string' },
    /** Prompt size in characters; the default is one short sentence. Long prompts show per-byte costs. */
    'prompt-chars': { type: 'string' },
  },
  strict: true,
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** Which library a frame belongs to: the answer to "is it our code, the SDK, the drivers or Node?". */
function owner(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace && !url.includes('node_modules')) return `@aegis/${workspace[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  if (url.startsWith('node:')) return /^node:internal\/deps\/undici/.test(url) ? 'node:undici' : 'node:core';
  return url.includes('/bench/') ? 'bench' : url;
}

function summariseProfile(profile: Profile, top: number): void {
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const msPerHit = (profile.endTime - profile.startTime) / 1000 / Math.max(1, totalHits);
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const who = owner(url, functionName);
    byOwner.set(who, (byOwner.get(who) ?? 0) + hits);
    const key = `${functionName || '(anonymous)'}  ${who}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const print = (title: string, entries: Map<string, number>, limit: number): void => {
    console.log(`\n${title} (self time, ms, % of profile):`);
    for (const [key, hits] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      console.log(
        `${(hits * msPerHit).toFixed(0).padStart(8)}  ${((hits / totalHits) * 100).toFixed(1).padStart(5)}%  ${key}`,
      );
    }
  };
  print('by package', byOwner, 30);
  print('by function', byFunction, top);
}

const concurrency = Number(flags.concurrency);
const calls = Number(flags.calls);
const env = await startEnvironment();
try {
  const messages = [
    { role: 'user' as const, content: 'Summarise in one sentence why RAG needs a cost ledger.' },
  ];
  let call: Call;
  if (flags.mode === 'direct') {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseUrl, maxRetries: 0 });
    call = () => client.chat.completions.create({ model: MODEL, messages, max_tokens: 64 });
  } else if (flags.mode === 'router') {
    const { router } = await env.makeRouter();
    const request: GenerateRequest = { task: 'generation', messages, maxOutputTokens: 64 };
    call = () => router.generate(request);
  } else {
    throw new Error(`--mode must be direct or router, got ${flags.mode}`);
  }
  await runBlock(call, Math.min(1_000, calls), concurrency, []);

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const samples: number[] = [];
  const wall = await runBlock(call, calls, concurrency, samples);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();

  const summary = summarize(samples, wall);
  console.log(
    `${flags.mode} at concurrency ${concurrency}: ${calls} calls, mean ${roundMs(summary.mean)} ms, p50 ${roundMs(summary.p50)} ms, ${Math.round(summary.throughputPerSec)}/s; CPU per call ${roundMs(
      ((profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) -
        (profile.nodes.find((node) => node.callFrame.functionName === '(idle)')?.hitCount ?? 0)) *
        ((profile.endTime - profile.startTime) /
          1000 /
          Math.max(
            1,
            profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0),
          ))) /
        calls,
    )} ms (non-idle samples)`,
  );
  summariseProfile(profile, Number(flags.top));
  if (flags.save) await writeFile(flags.save, JSON.stringify(profile));
} finally {
  await env.close();
}
