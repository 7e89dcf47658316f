/**
 * V8's young generation capped at 16 MiB per semi-space, for every process that parses (sandboxes, the OCR child)
 * and, through `npm run worker` and the image's NODE_OPTIONS, the worker. Node 24 sizes semi-spaces from the
 * machine's memory (far above 16 MiB on a 24 GiB host), and a parser allocating garbage fast fills them before
 * scavenging: pdf.js extracting 100 pages peaked at ~450 MiB with the default and ~325 MiB with 16, in the same
 * time or less (bench/worker-rss, BENCHMARKS.md). 16 MiB was Node's default before semi-spaces scaled.
 */
export const SEMI_SPACE_FLAG = '--max-semi-space-size=16';
