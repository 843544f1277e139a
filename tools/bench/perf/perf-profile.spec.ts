import { latestPerfMap, parsePerfScript, perfMapLookup, sampleCategory, type Sample } from './perf-profile';

async function collect(lines: string[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of parsePerfScript(lines)) out.push(s);
  return out;
}

describe('parsePerfScript', () => {
  it('reads each sample: its command (spaces included), pid, frames innermost first, and whether it stopped in the kernel', async () => {
    const samples = await collect([
      'C2 CompilerThre 20133 ',
      '\t    7f0a1b2c3d4e Compile::Optimize',
      '\t    7f0a1b2c0000 C2Compiler::compile_method',
      '',
      'MainThread 21802 ',
      '\tffffffff8164958c tcp_sendmsg',
      '\t          85f16 __GI___writev',
      "\t    3c1a2b3c4d5e JS:*'send /work/main/node_modules/kafkajs/src/network/connection.js:379:13",
      '',
      'swapper     0 ',
      '\tffffffff81000100 pv_native_safe_halt',
    ]);
    expect(samples.map((s) => [s.comm, s.pid, s.kernelLeaf, s.frames.length])).toEqual([
      ['C2 CompilerThre', 20133, false, 2],
      ['MainThread', 21802, true, 3],
      ['swapper', 0, true, 1],
    ]);
    expect(samples[1]?.frames[0]).toBe('[k] tcp_sendmsg');
    expect(samples[1]?.frames[2]).toBe("JS:*'send /work/main/node_modules/kafkajs/src/network/connection.js:379:13");
  });
});

describe('sampleCategory', () => {
  it('names the innermost package, library or app frame, so a socket write kafkajs asked for counts as kafkajs', () => {
    expect(sampleCategory(['tcp_sendmsg', "JS:*'writeGeneric node:internal/stream_base_commons:93:22", 'JS:+send /work/main/node_modules/kafkajs/src/network/connection.js:379:13', "JS:+'onBatch /work/main/dist/libs/kafka/src/kafka-batch.transport.js:374:18"])).toBe('kafkajs');
    expect(sampleCategory(["JS:+'onBatch /work/main/dist/libs/kafka/src/kafka-batch.transport.js:374:18", 'JS:+x /work/main/node_modules/@nestjs/microservices/context/rpc-context-creator.js:41:48'])).toBe('@hookstream/kafka');
    expect(sampleCategory(['JS:+x /work/main/node_modules/@nestjs/microservices/context/rpc-context-creator.js:41:48'])).toBe('@nestjs/microservices');
    expect(sampleCategory(["JS:*'process /work/main/dist/apps/validator/src/validation/validation.service.js:39:18"])).toBe('app code');
  });

  it('falls back to node core, the garbage collector, the compilers, then other native work', () => {
    expect(sampleCategory(['uv__io_poll', "JS:*'processTicksAndRejections node:internal/process/task_queues:72:35"])).toBe('node core (JavaScript)');
    expect(sampleCategory(['_ZN2v88internal9Scavenger14ScavengeObjectEv', 'start_thread'])).toBe('V8 garbage collector');
    expect(sampleCategory(['_ZN2v88internal8compiler12PipelineImpl21OptimizeTurbofanGraphEv'])).toBe('V8 compilers');
    expect(sampleCategory(['epoll_wait', 'uv__io_poll'])).toBe('other native (event loop, V8 runtime, kernel)');
  });
});

describe('latestPerfMap', () => {
  const map = latestPerfMap([
    '1000 100 JS:~arrayString pg/lib/utils.js:23:21', // compiled early; its memory reused by both below
    '2000 10 JS:*other a.js:1:1',
    '1000 80 JS:*recordFirstMany deliveries.repository.js:175:20',
    '1080 40 JS:*stringify b.js:2:2', // overlaps the first line's tail, not the third's
    '\u0000\u00002000 10 half-written', // a line V8 is still writing
  ]);

  it('keeps, for each address, the name written last (V8 reuses the memory of dropped code)', () => {
    expect(map.names).toEqual(['JS:*recordFirstMany deliveries.repository.js:175:20', 'JS:*stringify b.js:2:2', 'JS:*other a.js:1:1']);
  });

  it('names the code at an address, and nothing outside every entry', () => {
    expect(perfMapLookup(map, 0x1000)).toBe('JS:*recordFirstMany deliveries.repository.js:175:20');
    expect(perfMapLookup(map, 0x10b0)).toBe('JS:*stringify b.js:2:2');
    expect(perfMapLookup(map, 0x200f)).toBe('JS:*other a.js:1:1'); // sizes are hex too: 0x2000 + 0x10
    expect(perfMapLookup(map, 0x2010)).toBeUndefined();
    expect(perfMapLookup(map, 0xfff)).toBeUndefined();
  });
});
